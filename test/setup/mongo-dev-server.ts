/**
 * Builds (if needed) and starts the dev MongoDB-wire server (tools/mongo-dev) on a free port
 * with a temporary data directory. Shared by the vitest global setup and the store benchmark.
 *
 * The child's stdin is a pipe we keep open: when this process dies (even by SIGKILL) the pipe
 * closes and the server exits by itself, so a killed test runner leaves no orphan.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = join(ROOT, 'tools/mongo-dev/build.sh');

export interface DevMongo {
  /** `mongodb://127.0.0.1:PORT/` */
  uri: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would (the data directory stays unless the server created it). */
  kill(): Promise<void>;
}

export interface DevMongoOptions {
  startTimeoutMs?: number;
  /** Listen port. @default 0 (any free port) */
  port?: number;
  /** Data directory, kept by stop() (to restart on the same data). @default a temp dir, removed */
  dir?: string;
}

/** Runs tools/mongo-dev/build.sh (a no-op when up to date); resolves to the binary path. */
export function buildDevMongo(): Promise<string> {
  return new Promise((resolveP, reject) => {
    const child = execFile('bash', [BUILD], { timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`building tools/mongo-dev failed: ${err.message}\n${stderr}`));
      else resolveP(stdout.trim().split('\n').pop() as string);
    });
    // Build progress ("building... a few minutes") is worth seeing on a fresh machine.
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  });
}

export async function startDevMongo(options: DevMongoOptions = {}): Promise<DevMongo> {
  const bin = await buildDevMongo();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'mongo-dev-')));
  const child = spawn(bin, ['--listen', `127.0.0.1:${options.port ?? 0}`, '--dir', dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!options.dir) await rm(dir, { recursive: true, force: true });
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    const uri = await readListenLine(child, options.startTimeoutMs ?? 30_000, () => stderr);
    return { uri, stop, kill };
  } catch (e) {
    await stop();
    throw e;
  }
}

function readListenLine(
  child: ChildProcess,
  timeoutMs: number,
  err: () => string,
): Promise<string> {
  return new Promise((resolveP, reject) => {
    let out = '';
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`mongo-dev did not start: ${why}\n${err()}`));
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /mongo-dev listening on (mongodb:\/\/\S+)/.exec(out);
      if (m) {
        cleanup();
        resolveP(m[1] as string);
      }
    };
    const onExit = (code: number | null) => fail(`exited with code ${code}`);
    const timer = setTimeout(() => fail(`no "listening" line within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.stdout?.resume(); // keep draining so the child never blocks on a full pipe
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
