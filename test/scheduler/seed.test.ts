/**
 * The seed's behaviour end to end over real HTTP on loopback: deletions recorded through the
 * REST service are carried out by the scheduler within a few ticks; the REST rules (400, token,
 * idempotence) and the /stats JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ServiceContext } from '../../src/http/context.js';
import { closeApp, loadUws, startHttpApps } from '../../src/http/index.js';
import { mountScheduler } from '../../src/http/scheduler/index.js';
import { createLogger } from '../../src/log.js';
import { type Scheduler, schedulerBoard, startScheduler } from '../../src/scheduler/index.js';
import { openStores } from '../../src/store/index.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';

const quiet = createLogger('test', 100);

/** `withScheduler`: a stats board shared with an in-process scheduler (as server.ts does). */
async function serve(env: Record<string, string> = {}, withScheduler = false) {
  const t = await tempConfig(env);
  const stores = await openStores(t.config);
  const board = withScheduler ? schedulerBoard() : undefined;
  const ctx: ServiceContext = {
    config: t.config,
    records: stores.records,
    queue: stores.queue,
    blobs: stores.blobs,
    limiter: undefined,
    schedulerBoard: board,
    log: quiet,
  };
  const apps = await startHttpApps(ctx, ['scheduler'], {
    host: '127.0.0.1',
    ports: { scheduler: 0 },
  });
  const base = `http://127.0.0.1:${apps.ports.scheduler}`;
  // The token loadConfig generated (all services in this config) or the one given in `env`.
  const auth = { authorization: `Bearer ${t.config.schedulerToken}` };
  return { ...t, stores, board, apps, base, auth };
}

describe('scheduler service (embedded store)', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  let scheduler: Scheduler;
  beforeAll(async () => {
    s = await serve({}, true);
    scheduler = startScheduler(
      s.config,
      { records: s.stores.records, queue: s.stores.queue, board: s.board, log: quiet },
      { poolThreads: 1 },
    );
  });
  afterAll(async () => {
    await scheduler?.close(5000);
    await s?.apps.close(1000);
    await s?.stores.close();
    await s?.cleanup();
  });

  it('deletes what was recorded with POST within a few ticks, and nothing else', async () => {
    const asked = [await seedVideo(s.stores), await seedVideo(s.stores), await seedVideo(s.stores)];
    const kept = await seedVideo(s.stores);
    for (const id of asked) {
      const res = await fetch(`${s.base}/video-delete-record/${id}`, {
        method: 'POST',
        headers: s.auth,
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
    }
    for (const id of asked) await waitFor(`video ${id} gone`, () => isGone(s.stores, id));
    expect(await isIntact(s.stores, kept)).toBe(true);
    // The runner counts an outcome after the executor reports it, which can trail the deletion
    // itself becoming visible in the store: wait for the count, then check nothing failed.
    await waitFor(
      'three deletions counted',
      () => scheduler.stats().runners['video-cleanup']!.done >= 3,
    );
    const stats = scheduler.stats().runners['video-cleanup']!;
    expect(stats.claimed).toBeGreaterThanOrEqual(3);
    expect(stats.done).toBeGreaterThanOrEqual(3);
    expect(stats.failed + stats.deadLettered).toBe(0);
  });

  it('is idempotent: recording twice is 200 and deletes once', async () => {
    const id = await seedVideo(s.stores);
    await scheduler.close(5000); // hold the runners so both posts hit a pending record
    const post = { method: 'POST', headers: s.auth };
    const a = await fetch(`${s.base}/video-delete-record/${id}`, post);
    const b = await fetch(`${s.base}/video-delete-record/${id}`, post);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await s.stores.queue.countDeletions()).pending).toBe(1);
    scheduler = startScheduler(
      s.config,
      { records: s.stores.records, queue: s.stores.queue, log: quiet },
      { poolThreads: 1 },
    );
    await waitFor('the video gone', () => isGone(s.stores, id));
  });

  it('answers 400 with a JSON error for an id that is not a UUID', async () => {
    for (const bad of ['nope', '..%2F..%2Fetc', '12345678-1234-1234-1234-1234567890']) {
      const res = await fetch(`${s.base}/video-delete-record/${bad}`, {
        method: 'POST',
        headers: s.auth,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String), error_code: '001' });
    }
    expect((await s.stores.queue.countDeletions()).pending).toBe(0);
  });

  it('serves per-runner counters and queue sizes as JSON on /stats', async () => {
    await waitFor(
      'the purge runner to have run',
      () => scheduler.stats().runners['session-purge']!.rounds > 0,
    );
    const res = await fetch(`${s.base}/stats`, { headers: s.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as {
      queue: unknown;
      runners: Record<string, Record<string, number>>;
    };
    expect(body.queue).toEqual({ pending: 0, dead: 0 });
    for (const name of ['video-cleanup', 'session-purge']) {
      expect(Object.keys(body.runners[name]).sort()).toEqual([
        'claimed',
        'coalesced',
        'deadLettered',
        'done',
        'failed',
        'inFlight',
        'lastRoundEnd',
        'lost',
        'roundErrors',
        'rounds',
      ]);
    }
    expect(body.runners['session-purge'].rounds).toBeGreaterThan(0);
  });
});

describe('scheduler service access rules', () => {
  it('requires the configured token (Authorization: Bearer), also on loopback', async () => {
    const s = await serve({ SCHEDULER_TOKEN: 's3cret-token' });
    try {
      const id = crypto.randomUUID();
      const url = `${s.base}/video-delete-record/${id}`;
      expect((await fetch(url, { method: 'POST' })).status).toBe(401);
      const wrong = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error_code: '002' });
      expect((await fetch(`${s.base}/stats`)).status).toBe(401);
      expect((await s.stores.queue.countDeletions()).pending).toBe(0);
      const ok = await fetch(url, {
        method: 'POST',
        headers: { authorization: 'Bearer s3cret-token' },
      });
      expect(ok.status).toBe(200);
      expect(await s.stores.queue.getDeletion(id)).toMatchObject({ state: 'pending' });
      const stats = await fetch(`${s.base}/stats`, {
        headers: { authorization: 'Bearer s3cret-token' },
      });
      expect(await stats.json()).toMatchObject({ queue: { pending: 1, dead: 0 }, runners: null });
    } finally {
      await s.apps.close(1000);
      await s.stores.close();
      await s.cleanup();
    }
  });

  it('never records on GET (the seed deleted on GET): 405, with or without the token', async () => {
    const s = await serve();
    try {
      const id = await seedVideo(s.stores);
      for (const headers of [{}, s.auth]) {
        const res = await fetch(`${s.base}/video-delete-record/${id}`, { headers });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
      }
      expect(await s.stores.queue.getDeletion(id)).toBeUndefined();
      expect(await isIntact(s.stores, id)).toBe(true);
    } finally {
      await s.apps.close(1000);
      await s.stores.close();
      await s.cleanup();
    }
  });

  it('has no tokenless mode: generated with the api, required without it', () => {
    const all = loadConfig({ DATA_DIR: '/nonexistent' });
    expect(all.schedulerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadConfig({ DATA_DIR: '/nonexistent' }).schedulerToken).not.toBe(all.schedulerToken);
    for (const argv of [
      ['--only', 'scheduler'],
      ['--only', 'scheduler,stream'],
    ]) {
      expect(() => loadConfig({ DATA_DIR: '/nonexistent' }, argv)).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG', setting: 'SCHEDULER_TOKEN' }),
      );
    }
    expect(() =>
      loadConfig({ DATA_DIR: '/x', SCHEDULER_URL: 'http://127.0.0.1:9' }, ['--only', 'api']),
    ).toThrow(expect.objectContaining({ setting: 'SCHEDULER_TOKEN' }));
    expect(
      loadConfig({ DATA_DIR: '/x', SCHEDULER_TOKEN: 't' }, ['--only', 'scheduler']).schedulerToken,
    ).toBe('t');
    // A context without a token (built by hand, not by loadConfig) cannot mount the service.
    const ctx = {
      config: { ...all, schedulerToken: undefined },
      log: quiet,
    } as unknown as ServiceContext;
    const app = loadUws().App();
    try {
      expect(() => mountScheduler(app, ctx)).toThrow(
        expect.objectContaining({
          code: 'ERR_CONFIG',
          message: expect.stringMatching(/SCHEDULER_TOKEN/),
        }),
      );
    } finally {
      closeApp(app);
    }
  });
});
