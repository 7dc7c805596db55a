/**
 * Builds (if needed) and starts the dev S3 server (SeaweedFS, tools/s3-dev) on free loopback
 * ports with a temporary data directory and one access key, so clients sign their requests
 * (SigV4); anonymous or wrongly signed requests are refused. Used by the S3 tests and benchmarks.
 *
 * `weed server` runs under a small bash guard that kills it when our stdin pipe closes: when
 * this process dies (even by SIGKILL) the server goes too, so a killed test run leaves no orphan.
 * The kill is SIGKILL: the data is thrown away, and weed's graceful SIGTERM shutdown takes
 * about 15 s on a loaded machine (every stop used to wait out a 10 s bound, then leave weed
 * running over its removed data directory).
 * weed reads every flag from an environment variable of the flag's name in capitals (`DEBUG`,
 * `S3_PORT`…), so it gets only PATH, HOME and TMPDIR: `DEBUG=pw:api` (Playwright's tracing) made
 * it exit 2 with its usage text.
 * Ready = a signed PutObject into a probe bucket succeeded (the S3 port answers before the
 * volume server has registered with the master; the first writes would fail).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePorts } from '../helpers/ports.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = join(ROOT, 'tools/s3-dev/build.sh');

export interface DevS3 {
  /** `http://127.0.0.1:PORT` (path-style addressing). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment for a video-server process using this server (bucket to be named by caller). */
  env(bucket: string): Record<string, string>;
  /** A signed client (path style) for assertions. */
  client(): S3Client;
  stop(): Promise<void>;
}

/** Runs tools/s3-dev/build.sh (a no-op when up to date); resolves to the binary path. */
export function buildDevS3(): Promise<string> {
  return new Promise((resolveP, reject) => {
    const child = execFile('bash', [BUILD], { timeout: 30 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`building tools/s3-dev failed: ${err.message}\n${stderr}`));
      else resolveP(stdout.trim().split('\n').pop() as string);
    });
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  });
}

// bash gives background jobs /dev/null as stdin unless redirected: fd 3 keeps our pipe for `cat`.
const GUARD =
  'exec 3<&0; "$0" "$@" </dev/null & pid=$!; ( cat <&3 >/dev/null; kill -KILL "$pid" 2>/dev/null ) & wait "$pid"';

export async function startDevS3(options: { startTimeoutMs?: number } = {}): Promise<DevS3> {
  const bin = await buildDevS3();
  const dir = await mkdtemp(join(tmpdir(), 's3-dev-'));
  const accessKeyId = `test${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const config = join(dir, 'identities.json');
  await writeFile(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'video-server-test',
          credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
  );
  await mkdir(join(dir, 'data'));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await freePorts(8);
  const args = [
    'server',
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-dir=${join(dir, 'data')}`,
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    '-master.telemetry=false', // no call home: tests use loopback only
    '-master.volumeSizeLimitMB=64',
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    '-volume.max=16',
    '-volume.preStopSeconds=0',
    '-filer',
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-filer.localSocket=${join(dir, 'filer.sock')}`,
    '-s3',
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-s3.localSocket=${join(dir, 's3.sock')}`,
    `-s3.config=${config}`,
    '-s3.autoCreateBucket=false',
  ];
  const env = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
  );
  const child = spawn('bash', ['-c', GUARD, bin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  // The first lines say why weed refused to start (its usage text follows); the last, the rest.
  let head = '';
  let tail = '';
  const keep = (d: Buffer) => {
    if (head.length < 2000) head += d.toString();
    else tail = (tail + d.toString()).slice(-4000);
  };
  const log = () => (tail === '' ? head : `${head}\n…\n${tail}`);
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const endpoint = `http://127.0.0.1:${s3}`;
  const region = 'us-east-1';
  const clients: S3Client[] = [];
  const client = () => {
    const c = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    clients.push(c);
    return c;
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const c of clients.splice(0)) c.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end(); // the guard kills weed
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    await waitReady(child, client(), options.startTimeoutMs ?? 90_000, log);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    env: (bucket) => ({
      BLOB_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: region,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    }),
    client,
    stop,
  };
}

/** Retries a signed CreateBucket + PutObject until both succeed, the process exits, or time runs out. */
async function waitReady(
  child: ChildProcess,
  s3: S3Client,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  child.once('exit', (code) => {
    exitCode = code;
  });
  let last: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`s3-dev exited with ${exitCode}:\n${log()}`);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'ready-probe' })).catch((e) => {
        if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
      });
      await s3.send(new PutObjectCommand({ Bucket: 'ready-probe', Key: 'probe', Body: 'ok' }));
      return;
    } catch (e) {
      last = e;
    }
    // Polling a readiness condition (not a hand-off we could await): the next try in 250 ms.
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`s3-dev not ready within ${timeoutMs} ms: ${String(last)}\n${log()}`);
}
