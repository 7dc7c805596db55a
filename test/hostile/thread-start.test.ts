/**
 * A replacement HTTP thread that can never start (its routes fail to mount — a bug, not an
 * outage): the host retries with a backoff, each failure counting against its restart budget,
 * then gives up — it closes the surviving thread, frees the port and emits 'crash' for its owner.
 * The limiter holder slot each failed start had claimed comes back (the host only learns a
 * thread's slot from its 'ready'), so failed starts cannot use up the limiter's slots.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LimiterClient, type LimiterRef, spawnLimiter } from '../../src/actors/index.js';
import { HOLDERS } from '../../src/actors/limiter-client.js';
import { type HttpHost, startHttpHost } from '../../src/http/host.js';
import { streamHostConfig } from '../http/stack.js';
import { get } from './get.js';

const FAULTS = new URL('../fixtures/http/fault-routes-once.ts', import.meta.url).href;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  delete process.env.FAULT_MOUNT_FAILS;
  for (const c of cleanups.reverse()) await c();
});

it('a replacement that never starts: retried within the budget, then the host gives up', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-thread-start-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = streamHostConfig(dir, 2);
  const limiter: LimiterRef = await spawnLimiter({ capacity: config.maxConns });
  cleanups.push(() => limiter.stop());
  const host: HttpHost = await startHttpHost(config, {
    limiterShared: limiter.shared,
    extraMounts: { stream: FAULTS },
    restart: { intensity: 3, periodMs: 600_000 },
  });
  cleanups.push(() => host.close(1000));
  const crashed = new Promise<Error>((resolve) => host.once('crash', resolve));
  const base = host.urls.stream!;
  expect((await get(`${base}/fault/thread`)).status).toBe(200);

  process.env.FAULT_MOUNT_FAILS = '1'; // threads started from now on fail to mount
  await expect(get(`${base}/fault/exit`)).rejects.toThrow();
  // One end + three failed starts = 4 restarts > intensity 3.
  const err = await crashed;
  expect(err).toMatchObject({ code: 'ERR_HTTP_THREAD_CRASH' });
  expect(err.message).toMatch(/failed to start 4 times/);
  expect(host.replacements).toBe(0);

  // The host closed its surviving thread before 'crash': the port is free for the next host.
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen({ host: '127.0.0.1', port: host.ports.stream, exclusive: true }, () =>
      probe.close(() => resolve()),
    );
  });
  // Every limiter holder slot is free again: the two started threads' and the failed starts'.
  const slots = Array.from({ length: HOLDERS }, () => new LimiterClient(limiter.shared).slot);
  expect(slots.filter((s) => s < 0)).toEqual([]);
}, 120_000);
