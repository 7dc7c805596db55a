/** Shared pieces of the api tests: an app per file, a caller, registration, error checks. */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { mountApi } from '../../src/http/api/index.js';
import type { ServiceContext } from '../../src/http/context.js';
import { type Reply, request, startApp, type TestApp } from './harness.js';

export interface ApiFixture {
  readonly app: TestApp;
  call(method: string, path: string, opts?: Parameters<typeof request>[3]): Promise<Reply>;
  /** Registers `name` and returns its session id and user id. */
  register(name: string, pwd?: string): Promise<{ name: string; sid: string; id: string }>;
}

/** Starts an api app for the calling test file (torn down after it). */
export function useApi(
  config: Partial<Config> = {},
  extra: Pick<ServiceContext, 'now'> = {},
): ApiFixture {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startApp([mountApi], config, extra);
  });
  afterAll(() => app?.stop());
  const fixture: ApiFixture = {
    get app() {
      if (!app) throw new Error('api app not started');
      return app;
    },
    call: (method, path, opts) => request(fixture.app.url, method, path, opts),
    async register(name, pwd = 'correct horse') {
      const r = await fixture.call('POST', '/user', { body: { user_name: name, pwd } });
      expect(r.status).toBe(201);
      const sid: string = r.json.session_id;
      const me = await fixture.call('GET', `/user/${name}`, { sid });
      return { name, sid, id: me.json.id as string };
    },
  };
  return fixture;
}

export function expectError(r: Reply, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(r.type).toMatch(/^application\/json/);
  expect(r.json.error_code).toBe(code);
  expect(typeof r.json.error).toBe('string');
}

/** A clock the test moves by hand, passed to the app as ServiceContext.now: time without waiting. */
export function manualClock(start = Date.now()): { now: () => number; set(t: number): void } {
  let t = start;
  return {
    now: () => t,
    set(next) {
      t = next;
    },
  };
}
