/**
 * The media pool's task (runs on a piscina worker thread): ffprobe or ffmpeg on one local file.
 * The binaries come from the npm packages @ffprobe-installer/ffprobe and @ffmpeg-installer/ffmpeg
 * (no apt, nothing downloaded at run time). The worker thread only waits on the child process;
 * the pool's size bounds how many run at once, so uploads cannot fork without limit.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { defineTask } from '../actors/pool-task.js';
import { MediaToolError, NotVideoError } from './errors.js';
import { type MediaInfo, parseProbe, probeReason } from './probe-parse.js';

export type MediaTask =
  | { op: 'probe'; path: string; timeoutMs: number }
  | { op: 'poster'; path: string; atMs: number; maxWidth: number; timeoutMs: number };

export type MediaResult = MediaInfo | Uint8Array;

const require = createRequire(import.meta.url);
const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

function run(
  bin: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        encoding: 'buffer',
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
        if (e && (e.killed || typeof e.code !== 'number')) {
          reject(new MediaToolError(`${bin.split('/').pop()} failed: ${e.message}`, { cause: e }));
          return;
        }
        resolve({ code: e ? (e.code as unknown as number) : 0, stdout, stderr: stderr.toString() });
      },
    );
  });
}

async function probe(path: string, timeoutMs: number): Promise<MediaInfo> {
  const r = await run(
    FFPROBE,
    ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path],
    timeoutMs,
  );
  if (r.code !== 0) throw new NotVideoError(probeReason(r.stderr, path));
  return parseProbe(r.stdout.toString('utf8'));
}

/** One JPEG frame at `atMs`, scaled down to `maxWidth` (never up), even height. */
async function poster(path: string, atMs: number, maxWidth: number, timeoutMs: number) {
  const seek = (atMs / 1000).toFixed(3);
  const scale = `scale='min(${maxWidth},iw)':-2`;
  const args = ['-v', 'error', '-ss', seek, '-i', path, '-frames:v', '1', '-vf', scale];
  const r = await run(
    FFMPEG,
    [...args, '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1'],
    timeoutMs,
  );
  if (r.code !== 0 || r.stdout.length === 0) {
    throw new MediaToolError(`ffmpeg made no poster: ${probeReason(r.stderr, path)}`);
  }
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length);
}

export default defineTask<MediaTask, MediaResult>((t) =>
  t.op === 'probe' ? probe(t.path, t.timeoutMs) : poster(t.path, t.atMs, t.maxWidth, t.timeoutMs),
);
