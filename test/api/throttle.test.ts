/**
 * Floods (issue 10 item 5): sign-in per address and per account, sign-up per address and
 * comments per user are throttled with 429 010 and `Retry-After`, against the real api over
 * loopback, with the counters in LMDB (embedded) and in MongoDB (the dev server).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../../src/config.js';
import { foldUserName } from '../../src/store/user-name.js';
import { useMongoTestDb } from '../helpers/mongo.js';
import { type ApiFixture, expectError, useApi } from './fixture.js';
import type { Reply } from './harness.js';

const LIMITS: RateLimits = {
  signInAccount: { points: 3, durationSec: 600 },
  signInAddress: { points: 9, durationSec: 600 },
  signUpAddress: { points: 6, durationSec: 600 },
  commentUser: { points: 2, durationSec: 600 },
};

function expect429(r: Reply, maxSec: number): void {
  expectError(r, 429, '010');
  const after = Number(r.headers.get('retry-after'));
  expect(Number.isInteger(after)).toBe(true);
  expect(after).toBeGreaterThanOrEqual(1);
  expect(after).toBeLessThanOrEqual(maxSec);
}

const signIn = (api: ApiFixture, name: string, pwd: string, headers = {}) =>
  api.call('POST', `/user/${name}`, { body: { user_name: name, pwd }, headers });

function floodSuite(label: string, api: ApiFixture): void {
  describe(`throttles with counters in ${label}`, () => {
    it('limits sign-in attempts per account, cleared by a success, other accounts unaffected', async () => {
      await api.register('acct1', 'right password');
      await api.register('acct2', 'right password');
      // Two wrong, one right: the success clears the account's counter.
      for (let i = 0; i < 2; i++) expectError(await signIn(api, 'acct1', 'wrong pass'), 401, '002');
      expect((await signIn(api, 'acct1', 'right password')).status).toBe(200);
      // Now three wrong ones are allowed again, and the fourth attempt is refused before hashing,
      // even with the right password, in any case of the name.
      for (let i = 0; i < 3; i++) expectError(await signIn(api, 'acct1', 'wrong pass'), 401, '002');
      expect429(await signIn(api, 'acct1', 'right password'), 600);
      expect429(await signIn(api, 'ACCT1', 'right password'), 600);
      expect((await signIn(api, 'acct2', 'right password')).status).toBe(200);
    });

    it('limits sign-in attempts per client address, whatever the account', async () => {
      // 9 per address, and the previous test tried 9 times from this address (2 + 1 + 3, two
      // refused by the account limit after spending their address point, and acct2's one).
      expect429(await signIn(api, 'someone', 'whatever1'), 600);
      // A forged X-Forwarded-For changes nothing: no TRUST_PROXY, the socket's address counts.
      expect429(
        await signIn(api, 'someone', 'whatever1', { 'x-forwarded-for': '203.0.113.9' }),
        600,
      );
    });

    it('limits sign-ups per client address', async () => {
      // Two registrations above; four more are allowed, the fifth is refused and creates nothing.
      for (const n of ['su1', 'su2', 'su3', 'su4']) await api.register(n);
      const r = await api.call('POST', '/user', { body: { user_name: 'su5', pwd: 'long enough' } });
      expect429(r, 600);
      expect(await api.app.ctx.records.getUserByName('su5')).toBeUndefined();
    });

    it('limits comments per user', async () => {
      // The address's sign-up budget is spent: the user is written straight into the store.
      const sid = await seedUser(api, 'commenter');
      const me = await api.call('GET', '/user/commenter', { sid: sid.sid });
      const video = await api.call('POST', '/user/commenter/videos', {
        sid: sid.sid,
        body: { author_id: me.json.id, name: 'v' },
      });
      const post = () =>
        api.call('POST', `/videos/${video.json.id}/comments`, {
          sid: sid.sid,
          body: { author_id: me.json.id, content: 'hi' },
        });
      expect((await post()).status).toBe(201);
      expect((await post()).status).toBe(201);
      expect429(await post(), 600);
      const list = await api.call('GET', `/videos/${video.json.id}/comments`, { sid: sid.sid });
      expect(list.json.comments).toHaveLength(2);
    });
  });
}

/** A user and session written through the store (the api's sign-up budget is spent). */
async function seedUser(api: ApiFixture, name: string): Promise<{ sid: string }> {
  const { ctx } = api.app;
  const id = crypto.randomUUID();
  await ctx.records.createUser({ id, name, pwdHash: 'scrypt$x', createdAt: Date.now() });
  const sid = crypto.randomUUID();
  await ctx.records.createSession({
    id: sid,
    userId: id,
    userName: name,
    expiresAt: Date.now() + 60_000,
  });
  return { sid };
}

/** Limits of the write-amplification suite: the sign-in address budget is never the one spent. */
const FLOOD_LIMITS: RateLimits = {
  ...LIMITS,
  signInAccount: { points: 2, durationSec: 600 },
  signInAddress: { points: 1000, durationSec: 600 },
  signUpAddress: { points: 1, durationSec: 600 },
};

/** The store's counter of `key` under `prefix`, read through a fresh limiter (no shared memory). */
async function storedPoints(api: ApiFixture, kind: keyof RateLimits, prefix: string, key: string) {
  const { points, durationSec } = FLOOD_LIMITS[kind];
  const res = await api.app.ctx.records
    .rateLimiter({ keyPrefix: prefix, points, durationSec })
    .get(key);
  return res?.consumedPoints;
}

/** Once a key's budget is spent, refusals come from the limiter's memory: the counter stays. */
function writeAmplificationSuite(label: string, api: ApiFixture): void {
  describe(`a flood on ${label}`, () => {
    const FLOOD = 8;
    const from = { 'x-forwarded-for': '203.0.113.50' };

    it('refuses sign-ins over the account budget without writing the counter', async () => {
      for (let i = 0; i < 2; i++)
        expectError(await signIn(api, 'victim', 'wrong pass'), 401, '002');
      const key = foldUserName('victim');
      expect(await storedPoints(api, 'signInAccount', 'sign-in-account', key)).toBe(2);
      for (let i = 0; i < FLOOD; i++) expect429(await signIn(api, 'victim', 'wrong pass'), 600);
      expect(await storedPoints(api, 'signInAccount', 'sign-in-account', key)).toBe(2);
    });

    it('refuses sign-ups over the address budget without writing the counter', async () => {
      const signUp = (n: string) =>
        api.call('POST', '/user', { body: { user_name: n, pwd: 'long enough' }, headers: from });
      expect((await signUp('flood0')).status).toBe(201);
      for (let i = 1; i <= FLOOD; i++) expect429(await signUp(`flood${i}`), 600);
      expect(await storedPoints(api, 'signUpAddress', 'sign-up-address', '203.0.113.50')).toBe(1);
      expect(await api.app.ctx.records.getUserByName(`flood${FLOOD}`)).toBeUndefined();
    });
  });
}

floodSuite('LMDB', useApi({ rateLimits: LIMITS }));
writeAmplificationSuite('LMDB', useApi({ rateLimits: FLOOD_LIMITS, trustProxy: ['loopback'] }));

describe('on MongoDB', () => {
  const uri = useMongoTestDb('throttle');
  floodSuite('MongoDB', useApi({ rateLimits: LIMITS, mongodbUri: uri }));
  const floodUri = useMongoTestDb('throttle-flood');
  writeAmplificationSuite(
    'MongoDB',
    useApi({ rateLimits: FLOOD_LIMITS, mongodbUri: floodUri, trustProxy: ['loopback'] }),
  );
});

describe('behind a trusted proxy', () => {
  const api = useApi({
    trustProxy: ['loopback'],
    rateLimits: { ...DEFAULT_RATE_LIMITS, signInAddress: { points: 1, durationSec: 600 } },
  });
  it('counts the forwarded client address, one budget per client', async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': `198.51.100.7, ${ip}` });
    expectError(await signIn(api, 'nobody1', 'whatever1', from('203.0.113.1')), 401, '002');
    expect429(await signIn(api, 'nobody1', 'whatever1', from('203.0.113.1')), 600);
    // Another client behind the same proxy has its own budget; the spoofable left part is ignored.
    expectError(await signIn(api, 'nobody1', 'whatever1', from('203.0.113.2')), 401, '002');
  });
});
