/**
 * The dev server's process contract (tools/mongo-dev): one "listening" line with the real
 * port, a working MongoDB wire, exit on SIGTERM and when stdin closes (no orphans).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDevMongo } from '../setup/mongo-dev-server.js';

describe('tools/mongo-dev', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function start() {
    const bin = await buildDevMongo();
    const dir = await mkdtemp(join(tmpdir(), 'mongo-dev-t-'));
    dirs.push(dir);
    const child = spawn(bin, ['--listen', '127.0.0.1:0', '--dir', dir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    return { child, exited, line, dir };
  }

  for (const how of ['SIGTERM', 'stdin EOF'] as const) {
    it(`prints its address, serves the wire protocol, exits 0 on ${how}`, async () => {
      const { child, exited, line, dir } = await start();
      try {
        const m = /^mongo-dev listening on (mongodb:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(line);
        expect(m).not.toBeNull();
        expect(Number(m![2])).toBeGreaterThan(0);
        const client = await new MongoClient(`${m![1]}smoke`, {
          serverSelectionTimeoutMS: 5000,
        }).connect();
        await client
          .db()
          .collection('c')
          .insertOne({ _id: 'x' as never, v: 'ü' });
        expect(await client.db().collection('c').findOne({})).toEqual({ _id: 'x', v: 'ü' });
        await client.close();
        expect((await readdir(dir)).length).toBeGreaterThan(0); // SQLite files under --dir
      } finally {
        if (how === 'SIGTERM') child.kill('SIGTERM');
        else child.stdin!.end();
      }
      expect(await exited).toEqual([0, null]);
    });
  }
});
