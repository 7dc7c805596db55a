/**
 * LMDB claims are exclusive across worker threads AND processes of the same data directory:
 * many claimers released together by one go signal; no record is handed out twice and every
 * record is handed out once. And a read on another thread (heldDeletions, as a deletion pool
 * thread confirms its leases) sees a claim committed just before.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbRecordStore } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';

const CLAIMER = fileURLToPath(new URL('./fixtures/claimer.ts', import.meta.url));

/**
 * Ends a held-reader thread the only safe way: it closes its store and exits by itself (the
 * message queues behind any id still in flight). Never worker.terminate() a thread that may be
 * inside an lmdb-js call: terminate() marks the thread's env as stopping at once, from this
 * thread, and a native method of lmdb-js called in that window (Txn.abort in store.close(),
 * Txn.renew, Env.stat...) cannot unwrap its object; node-addon-api then aborts the whole
 * process (FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw). The old cleanup raced
 * terminate() against the close requested just before; a fresh-clone CI run died of it.
 */
async function closeReader(w: Worker): Promise<number> {
  if (w.threadId === -1) return -1; // already exited
  const exited = once(w, 'exit') as Promise<[number]>;
  w.postMessage(null);
  const [code] = await exited;
  return code;
}

describe('LMDB claims across threads and processes', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('no record is handed out twice (3 worker threads + 3 processes + main thread)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'store-claims-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = LmdbRecordStore.open(dir);
    cleanups.push(() => store.close());
    const N = 400;
    const all = new Set<string>();
    for (let i = 0; i < N; i++) {
      const id = randomUUID();
      all.add(id);
      await store.queue.enqueueDeletion(id, i);
    }

    const wf = workerFile(import.meta.url, './fixtures/claimer');
    const workers = Array.from({ length: 3 }, (_, i) => {
      const w = new Worker(wf.url, {
        execArgv: wf.execArgv,
        workerData: { dir, owner: `thread-${i}` },
      });
      // Only a failed test gets here before the thread ended itself (see closeReader).
      cleanups.push(() => w.terminate());
      return w;
    });
    const exits = workers.map((w) => once(w, 'exit') as Promise<[number]>);
    const procs: ChildProcess[] = Array.from({ length: 3 }, (_, i) => {
      const p = spawn(process.execPath, ['--import', 'tsx', CLAIMER, dir, `proc-${i}`], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      cleanups.push(async () => void p.kill('SIGKILL'));
      return p;
    });
    const lines = procs.map((p) => createInterface({ input: p.stdout! })[Symbol.asyncIterator]());

    // Everyone ready, then one go: the claimers contend for the same oldest records.
    await Promise.all(workers.map((w) => once(w, 'message')));
    for (const l of lines) expect((await l.next()).value).toBe('ready');
    const results = [
      ...workers.map(async (w) => {
        w.postMessage('go');
        const [msg] = await once(w, 'message');
        return (msg as { ids: string[] }).ids;
      }),
      ...procs.map(async (p, i) => {
        p.stdin!.write('go\n');
        return JSON.parse((await lines[i]!.next()).value as string) as string[];
      }),
      (async () => {
        const ids: string[] = [];
        for (;;) {
          const batch = await store.queue.claimDeletions('main', 3, 60_000, 1000);
          if (batch.length === 0) return ids;
          ids.push(...batch.map((d) => d.videoId));
        }
      })(),
    ];
    const got = await Promise.all(results);
    // Each thread closed its store before it answered, then ended by itself.
    expect((await Promise.all(exits)).map(([code]) => code)).toEqual([0, 0, 0]);
    const flat = got.flat();
    expect(flat.length).toBe(N); // nothing twice...
    expect(new Set(flat)).toEqual(all); // ...and everything once
    // More than one claimer won something: the test really exercised contention.
    expect(got.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
  }, 120_000); // seven claimers, three of them fresh tsx processes: slow on a loaded machine

  it('heldDeletions on another thread sees a claim committed just before it asks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'store-held-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = LmdbRecordStore.open(dir);
    cleanups.push(() => store.close());
    const wf = workerFile(import.meta.url, './fixtures/held-reader');
    const w = new Worker(wf.url, { execArgv: wf.execArgv, workerData: { dir, owner: 'me' } });
    cleanups.push(() => closeReader(w));
    expect((await once(w, 'message'))[0]).toBe('ready');
    // The reader's snapshot predates each claim; without a fresh one it missed ~15 % of them
    // (the deletion task then renews those leases needlessly).
    const missed: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      await store.queue.enqueueDeletion(id, i);
      expect(await store.queue.claimDeletions('me', 1, 600_000, 1000)).toHaveLength(1);
      w.postMessage(id);
      const [held] = (await once(w, 'message')) as [string[]];
      if (held[0] !== id) missed.push(id);
    }
    expect(missed).toEqual([]);
    expect(await closeReader(w)).toBe(0); // closed its store and ended by itself
  }, 120_000);
});
