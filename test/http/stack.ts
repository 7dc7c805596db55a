/**
 * A real stream service on 127.0.0.1:0 in this process: LMDB records and fs blobs in a fresh temp
 * directory, the real limiter actor (SharedArrayBuffer + LimiterClient), the host's in-thread apps.
 * Plus seeding helpers (user, session, video record, blob) and small HTTP clients.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LimiterClient, type LimiterRef, spawnLimiter } from '../../src/actors/index.js';
import { type Config, defaultConfig } from '../../src/config.js';
import { type HttpApps, startHttpApps } from '../../src/http/apps.js';
import type { ServiceContext } from '../../src/http/context.js';
import { createLogger } from '../../src/log.js';
import { openStores, type Stores } from '../../src/store/index.js';
import type { DevS3 } from '../setup/s3-dev-server.js';

export interface Stack {
  url: string;
  port: number;
  dir: string;
  ctx: ServiceContext;
  stores: Stores;
  apps: HttpApps;
  limiter: LimiterClient | undefined;
  /** A user with a live session. */
  user(name?: string): Promise<{ userId: string; sessionId: string }>;
  /** A video record owned by `userId` (active unless told). */
  video(userId: string, state?: 'active' | 'deleting'): Promise<string>;
  /** A video record plus its blob holding `bytes`. */
  seed(bytes: Buffer, contentType?: string): Promise<string>;
  close(): Promise<void>;
}

export interface StackOptions {
  maxConns?: number;
  maxUploadBytes?: number;
  /** USER_QUOTA_BYTES. @default the configuration's default */
  userQuotaBytes?: number;
  /** false = no limiter (ctx.limiter undefined). @default true */
  limiter?: boolean;
  /** Records (and GridFS blobs) in this MongoDB instead of LMDB. @default unset */
  mongodbUri?: string;
  /** BLOB_STORE. @default 'fs' */
  blobStore?: Config['blobStore'];
  /** Any other setting (the S3 endpoint and bucket, TUS_EXPIRY_MS …). */
  config?: Partial<Config>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-http-test-'));
  const config: Config = Object.freeze({
    ...defaultConfig(),
    dataDir: dir,
    only: ['stream'] as Config['only'],
    httpThreads: 1,
    maxConns: options.maxConns ?? 64,
    maxUploadBytes: options.maxUploadBytes ?? 64 * 1024 * 1024,
    ...(options.userQuotaBytes === undefined ? {} : { userQuotaBytes: options.userQuotaBytes }),
    ...(options.mongodbUri === undefined ? {} : { mongodbUri: options.mongodbUri }),
    ...(options.blobStore === undefined ? {} : { blobStore: options.blobStore }),
    ...options.config,
  });
  const stores = await openStores(config);
  let limiterRef: LimiterRef | undefined;
  let limiter: LimiterClient | undefined;
  if (options.limiter !== false) {
    limiterRef = await spawnLimiter({ capacity: config.maxConns });
    limiter = new LimiterClient(limiterRef.shared);
  }
  const ctx: ServiceContext = {
    config,
    records: stores.records,
    queue: stores.queue,
    blobs: stores.blobs,
    limiter,
    log: createLogger('test'),
  };
  const apps = await startHttpApps(ctx, ['stream'], { host: '127.0.0.1', ports: { stream: 0 } });
  const port = apps.ports.stream!;
  const stack: Stack = {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    ctx,
    stores,
    apps,
    limiter,
    async user(name = `u${randomBytes(4).toString('hex')}`) {
      const userId = randomUUID();
      const sessionId = randomUUID();
      const now = Date.now();
      await stores.records.createUser({ id: userId, name, pwdHash: 'x', createdAt: now });
      await stores.records.createSession({
        id: sessionId,
        userId,
        userName: name,
        expiresAt: now + 60_000,
      });
      return { userId, sessionId };
    },
    async video(userId, state = 'active') {
      const id = randomUUID();
      await stores.records.createVideo({
        id,
        authorId: userId,
        name: 'v',
        createdAt: Date.now(),
        state,
      });
      return id;
    },
    async seed(bytes, contentType = 'video/mp4') {
      const { userId } = await stack.user();
      const id = await stack.video(userId);
      const w = await stores.blobs.createWriter(id, { contentType });
      await w.write(bytes);
      await w.commit();
      return id;
    },
    async close() {
      await apps.close(1000);
      await stores.close();
      await limiterRef?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

/**
 * A stack with BLOB_STORE=s3 on the dev S3 server, in `bucket`. The blob and tus stores read the
 * key from the standard AWS variables, so they are set in this (test file's own) process.
 */
export function startS3Stack(
  s3: Pick<DevS3, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>,
  bucket: string,
  config: Partial<Config> = {},
): Promise<Stack> {
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  return startStack({
    blobStore: 's3',
    config: {
      s3Endpoint: s3.endpoint,
      s3Bucket: bucket,
      s3Region: s3.region,
      s3ForcePathStyle: true,
      ...config,
    },
  });
}

let tinyMp4: Buffer | undefined;

/** A real 1-second 64×48 H.264 mp4 (moov first), made once with the npm-installed ffmpeg. */
function baseMp4(): Buffer {
  if (!tinyMp4) {
    const require = createRequire(import.meta.url);
    const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    tinyMp4 = execFileSync(ffmpeg, [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x48:rate=10'],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart+frag_keyframe'],
      ...['-f', 'mp4', 'pipe:1'],
    ]);
  }
  return tinyMp4;
}

/** Config for a multi-thread host running only the stream service on a free port in `dir`. */
export function streamHostConfig(dir: string, httpThreads = 2): Config {
  return Object.freeze({
    ...defaultConfig(),
    dataDir: dir,
    only: ['stream'] as Config['only'],
    ports: { ...defaultConfig().ports, stream: 0 },
    httpThreads,
    maxConns: 64,
  });
}

/**
 * A video of exactly `size` bytes that ffprobe accepts: a real tiny mp4 followed by a `free` box
 * of random bytes (players and ffprobe skip it), so every byte past the header is unique. Sizes
 * too small for that get the header-only fake (an `ftyp` box and random bytes), which is fine
 * for tests that seed blobs directly but is refused (415) by an upload.
 */
export function fakeMp4(size: number): Buffer {
  const base = baseMp4();
  if (size < base.length + 8) {
    const b = randomBytes(size);
    b.writeUInt32BE(24, 0);
    b.write('ftypisom', 4, 'latin1');
    return b;
  }
  const b = Buffer.allocUnsafe(size);
  base.copy(b, 0);
  b.writeUInt32BE(size - base.length, base.length);
  b.write('free', base.length + 4, 'latin1');
  randomBytes(size - base.length - 8).copy(b, base.length + 8);
  return b;
}

/** A real 2-second webm made by ffmpeg (libvpx) in `dir`. */
export function makeWebm(dir: string): string {
  const out = join(dir, 'test.webm');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=duration=2:size=160x120:rate=10',
    '-c:v',
    'libvpx',
    '-b:v',
    '200k',
    out,
  ]);
  return out;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request over a fresh connection; resolves with the whole reply. */
export function request(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Open descriptors of this process. */
export async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

/** Polls `probe` until it returns true (state settled by async closes), or fails after `ms`. */
export async function eventually(
  probe: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { readFile };
