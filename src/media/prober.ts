/**
 * Media probing on a piscina pool (src/actors createPool): `probe(path)` → MediaInfo or
 * NotVideoError; `poster(path, durationMs)` → JPEG bytes of the frame near 10 % of the video,
 * at most 640 px wide. Each call runs one ffprobe/ffmpeg child from a pool thread, so at most
 * `threads` of them run per pool however many uploads finish at once (the rest queue).
 */
import { InvalidArgumentError } from '../actors/errors.js';
import { createPool, type Pool } from '../actors/pool.js';
import { workerFile } from '../worker-file.js';
import { MediaToolError } from './errors.js';
import type { MediaResult, MediaTask } from './probe.task.js';
import type { MediaInfo } from './probe-parse.js';

export interface MediaProberOptions {
  /** ffprobe/ffmpeg processes at once. @default 1 */
  threads?: number;
  /** Longest one probe or poster may take before it is killed. @default 120000 */
  timeoutMs?: number;
  /** Poster width cap in pixels (never scaled up). @default 640 */
  posterMaxWidth?: number;
  /** Where in the video the poster frame is taken, as a fraction of its duration. @default 0.1 */
  posterAt?: number;
}

export const MEDIA_PROBER_DEFAULTS = Object.freeze({
  threads: 1,
  timeoutMs: 120_000,
  posterMaxWidth: 640,
  posterAt: 0.1,
});

function check(o: MediaProberOptions): Required<MediaProberOptions> {
  const r = { ...MEDIA_PROBER_DEFAULTS, ...o };
  for (const k of ['threads', 'timeoutMs', 'posterMaxWidth'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) {
      throw new InvalidArgumentError(`options.${k} must be a positive integer`);
    }
  }
  if (!(r.posterAt >= 0 && r.posterAt < 1)) {
    throw new InvalidArgumentError('options.posterAt must be in [0, 1)');
  }
  return r;
}

export class MediaProber {
  readonly #pool: Pool<MediaTask, MediaResult>;
  readonly #o: Required<MediaProberOptions>;

  constructor(options: MediaProberOptions = {}) {
    this.#o = check(options);
    this.#pool = createPool<MediaTask, MediaResult>({
      file: workerFile(import.meta.url, './probe.task'),
      threads: this.#o.threads,
      idleTimeoutMs: 10_000,
      name: 'media',
    });
  }

  /** Rejects NotVideoError (the reason is safe to show) or MediaToolError. */
  async probe(path: string): Promise<MediaInfo> {
    return (await this.#pool.run({ op: 'probe', path, timeoutMs: this.#o.timeoutMs })) as MediaInfo;
  }

  /** A JPEG poster; rejects MediaToolError. */
  async poster(path: string, durationMs: number | null): Promise<Buffer> {
    const atMs = Math.floor((durationMs ?? 0) * this.#o.posterAt);
    const out = await this.#pool.run({
      op: 'poster',
      path,
      atMs,
      maxWidth: this.#o.posterMaxWidth,
      timeoutMs: this.#o.timeoutMs,
    });
    if (!(out instanceof Uint8Array)) throw new MediaToolError('poster task returned no bytes');
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

let shared: MediaProber | undefined;

/**
 * This thread's prober, created on first use. Its pool threads exit when idle, so an unused
 * prober holds nothing and nothing needs closing at shutdown.
 */
export function sharedMediaProber(): MediaProber {
  shared ??= new MediaProber();
  return shared;
}
