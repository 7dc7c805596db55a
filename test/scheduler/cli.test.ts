/**
 * `video-server start --only scheduler` — the real command: the REST service on its HTTP thread
 * records deletions, the runners on the main thread carry them out, and /stats (served by the
 * HTTP thread) reads the runners' counters through the shared-memory board.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';

/** A scheduler on its own must be given its token (no api here could learn a generated one). */
const TOKEN = 'cli-scheduler-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('video-server start --only scheduler', () => {
  let t: Awaited<ReturnType<typeof tempConfig>>;
  let server: TestServer;
  let stores: Stores;
  beforeAll(async () => {
    t = await tempConfig();
    server = await startTestServer({
      only: 'scheduler',
      dataDir: t.config.dataDir,
      env: { SCHEDULER_INTERVAL_MS: '50', SCHEDULER_TOKEN: TOKEN },
    });
    // The embedded store is shared between processes: seed and observe from here.
    stores = await openStores(loadConfig({ DATA_DIR: t.config.dataDir }));
  });
  afterAll(async () => {
    const code = await server?.stop();
    await stores?.close();
    await t?.cleanup();
    expect(code).toBe(0);
  });

  it('deletes recorded videos and reports the runners and the actor tree on /stats', async () => {
    const base = server.urls.scheduler!;
    const asked = [await seedVideo(stores), await seedVideo(stores)];
    const kept = await seedVideo(stores);
    for (const id of asked) {
      const res = await fetch(`${base}/video-delete-record/${id}`, {
        method: 'POST',
        headers: AUTH,
      });
      expect(res.status).toBe(200);
    }
    for (const id of asked) await waitFor(`video ${id} gone`, () => isGone(stores, id));
    expect(await isIntact(stores, kept)).toBe(true);
    type Stats = {
      queue: { pending: number; dead: number };
      runners: Record<string, Record<string, number>> | null;
      actors: Array<{ id: string; state: string; thread: number; restarts: number }> | null;
    };
    const read = async () =>
      (await (await fetch(`${base}/stats`, { headers: AUTH })).json()) as Stats;
    // The runner's counters follow the executor's answer, which trails the store writes.
    await waitFor('the runner counted both', async () => {
      return ((await read()).runners?.['video-cleanup']?.done ?? 0) >= 2;
    });
    const stats = await read();
    expect(stats.queue).toEqual({ pending: 0, dead: 0 });
    expect(stats.runners).not.toBeNull();
    expect(stats.runners!['video-cleanup']!.done).toBe(2);
    expect(stats.runners!['session-purge']!.rounds).toBeGreaterThan(0);
    // The supervision tree, read by the HTTP thread from the scheduler's shared board.
    expect(stats.actors!.map((a) => [a.id, a.state, a.restarts])).toEqual([
      ['video-cleanup.dispatcher', 'running', 0],
      ['video-cleanup.executor', 'running', 0],
    ]);
    for (const a of stats.actors!) expect(a.thread).toBeGreaterThan(0);
    expect(new Set(stats.actors!.map((a) => a.thread)).size).toBe(2);
  });
});
