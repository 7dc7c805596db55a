/**
 * Bad input gets a coded error naming what is wrong: scheduler options, and the REST access rule.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { bearerCheck, isLoopback } from '../../src/http/scheduler/index.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { backoffMs, resolveOptions } from '../../src/scheduler/options.js';
import type { DeletionQueue, RecordStore } from '../../src/store/types.js';

const config = defaultConfig();

describe('scheduler options', () => {
  it.each([
    [{ batch: 0 }, /options\.batch/],
    [{ intervalMs: 1.5 }, /options\.intervalMs/],
    [{ leaseMs: 50 }, /options\.leaseMs/],
    [{ leaseMs: 1000, taskTimeoutMs: 1000 }, /taskTimeoutMs .* below options\.leaseMs/],
    [{ maxAttempts: 0 }, /options\.maxAttempts/],
    [{ executeMarginMs: 0 }, /options\.executeMarginMs/],
    [{ claimTimeoutMs: 0.5 }, /options\.claimTimeoutMs/],
    [{ releaseAfterDeadlineMs: -1 }, /options\.releaseAfterDeadlineMs/],
    [{ poolThreads: -1 }, /options\.poolThreads/],
    [{ owner: '' }, /options\.owner/],
    [{ stores: { module: 42 as unknown as string } }, /options\.stores\.module/],
    [{ taskFile: 'x' as never }, /options\.taskFile/],
  ])('rejects %j', (bad, message) => {
    expect(() => resolveOptions(config, bad)).toThrow(
      expect.objectContaining({
        code: 'ERR_SCHEDULER_OPTION',
        message: expect.stringMatching(message),
      }),
    );
    // startScheduler validates before it starts anything (no pool, no ticker to clean up).
    expect(() =>
      startScheduler(config, { records: {} as RecordStore, queue: {} as DeletionQueue }, bad),
    ).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULER_OPTION' }));
  });

  it('takes interval and batch from the configuration, task timeout below the lease', () => {
    const o = resolveOptions({ ...config, schedulerIntervalMs: 1234, schedulerBatch: 7 });
    expect(o).toMatchObject({ intervalMs: 1234, batch: 7, leaseMs: 60_000, taskTimeoutMs: 30_000 });
    expect(o.executeMarginMs).toBe(30_000);
    expect(o.claimTimeoutMs).toBe(30_000);
    expect(o.releaseAfterDeadlineMs).toBe(2000);
    expect(o.owner).toMatch(/:\d+:/);
    expect(resolveOptions(config).owner).not.toBe(o.owner);
  });

  it('backs off exponentially with jitter, capped', () => {
    const o = resolveOptions(config, { backoffBaseMs: 100, backoffMaxMs: 1000 });
    for (let i = 0; i < 50; i++) {
      expect(backoffMs(o, 1)).toBeGreaterThanOrEqual(80);
      expect(backoffMs(o, 1)).toBeLessThanOrEqual(120);
      expect(backoffMs(o, 3)).toBeGreaterThanOrEqual(320);
      expect(backoffMs(o, 3)).toBeLessThanOrEqual(480);
      expect(backoffMs(o, 30)).toBeLessThanOrEqual(1200);
    }
  });
});

describe('scheduler access rule', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopback(h)).toBe(true);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1']) {
      expect(isLoopback(h)).toBe(false);
    }
  });

  it('always needs a token, on loopback too, and checks it exactly', () => {
    for (const missing of [undefined, '']) {
      expect(() => bearerCheck(missing)).toThrow(
        expect.objectContaining({
          code: 'ERR_CONFIG',
          message: expect.stringMatching(/^SCHEDULER_TOKEN/),
        }),
      );
    }
    const check = bearerCheck('tok');
    expect(check('Bearer tok')).toBe(true);
    expect(check('bearer   tok')).toBe(true);
    for (const h of [
      '',
      'tok',
      'Bearer',
      'Bearer tok2',
      'Bearer to',
      'Basic tok',
      'Bearer tok extra',
    ]) {
      expect(check(h)).toBe(false);
    }
  });
});
