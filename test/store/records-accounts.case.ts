/**
 * Users and sessions part of the RecordStore conformance suite (records.case.ts runs it on every
 * adapter): names unique regardless of case and round-tripping unicode, one winner among
 * concurrent registrations, size and id checks; sessions that expire at their time, deleted
 * once, extended only while they exist, purged exactly when expired.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Session, User } from '../../src/store/index.js';
import { STORE_LIMITS } from '../../src/store/index.js';
import type { Ctx } from './records.case.js';

const user = (name: string, over: Partial<User> = {}): User => ({
  id: randomUUID(),
  name,
  pwdHash: 'scrypt$abc',
  createdAt: 1000,
  ...over,
});

export function describeAccounts(ctx: Ctx): void {
  describe('users', () => {
    it('creates and finds by name and id, unicode names round-trip', async () => {
      const u = user('Zoë 山田 🎬');
      await ctx.store.createUser(u);
      expect(await ctx.store.getUserByName('Zoë 山田 🎬')).toEqual(u);
      expect(await ctx.store.getUserById(u.id)).toEqual(u);
      // Names are found (and unique) regardless of case; the record keeps the registered case.
      expect(await ctx.store.getUserByName('zoë 山田 🎬')).toEqual(u);
      expect(await ctx.store.getUserByName('ZOË 山田 🎬')).toEqual(u);
      expect(await ctx.store.getUserByName('nobody')).toBeUndefined();
      expect(await ctx.store.getUserById(randomUUID())).toBeUndefined();
    });

    it('rejects a taken name or id with ERR_DUPLICATE and keeps the first', async () => {
      const a = user('alice');
      await ctx.store.createUser(a);
      await expect(ctx.store.createUser(user('alice', { pwdHash: 'other' }))).rejects.toMatchObject(
        {
          code: 'ERR_DUPLICATE',
        },
      );
      await expect(ctx.store.createUser({ ...a, name: 'alice2' })).rejects.toMatchObject({
        code: 'ERR_DUPLICATE',
      });
      for (const other of ['ALICE', 'Alice', 'alIce']) {
        await expect(ctx.store.createUser(user(other))).rejects.toMatchObject({
          code: 'ERR_DUPLICATE',
        });
      }
      // A full case fold: "ß" and "SS" are one name.
      await ctx.store.createUser(user('straße'));
      await expect(ctx.store.createUser(user('STRASSE'))).rejects.toMatchObject({
        code: 'ERR_DUPLICATE',
      });
      expect(await ctx.store.getUserByName('alice')).toEqual(a);
      expect(await ctx.store.getUserByName('ALICE')).toEqual(a);
      expect(await ctx.store.getUserByName('alice2')).toBeUndefined();
    });

    it('only one of many concurrent registrations of one name wins', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => ctx.store.createUser(user('race'))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_DUPLICATE' });
      }
    });

    it(`accepts a name of ${STORE_LIMITS.nameBytes} UTF-8 bytes and rejects one more`, async () => {
      const max = 'é'.repeat(STORE_LIMITS.nameBytes / 2); // 2 bytes each
      await ctx.store.createUser(user(max));
      expect((await ctx.store.getUserByName(max))?.name).toBe(max);
      const over = user(`${max}x`);
      await expect(ctx.store.createUser(over)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      expect(await ctx.store.getUserById(over.id)).toBeUndefined();
      await expect(ctx.store.createUser(user(''))).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });

    it('rejects ids that are not UUIDs with ERR_INVALID_ID', async () => {
      await expect(ctx.store.createUser(user('x', { id: '../etc/passwd' }))).rejects.toMatchObject({
        code: 'ERR_INVALID_ID',
      });
      await expect(ctx.store.getUserById('1')).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
    });
  });

  describe('sessions', () => {
    const session = (expiresAt: number): Session => ({
      id: randomUUID(),
      userId: randomUUID(),
      userName: 'Ωmega',
      expiresAt,
    });

    it('finds a live session and reports an expired one missing', async () => {
      const s = session(5000);
      await ctx.store.createSession(s);
      expect(await ctx.store.getSession(s.id, 4999)).toEqual(s);
      expect(await ctx.store.getSession(s.id, 5000)).toBeUndefined(); // expired at expiresAt
      expect(await ctx.store.getSession(randomUUID(), 0)).toBeUndefined();
    });

    it('deletes once, then reports false', async () => {
      const s = session(5000);
      await ctx.store.createSession(s);
      expect(await ctx.store.deleteSession(s.id)).toBe(true);
      expect(await ctx.store.deleteSession(s.id)).toBe(false);
      expect(await ctx.store.getSession(s.id, 0)).toBeUndefined();
    });

    it('extends an existing session only, and purges by the new expiry', async () => {
      const s = session(1000);
      await ctx.store.createSession(s);
      expect(await ctx.store.extendSession(s.id, 5000)).toBe(true);
      expect(await ctx.store.getSession(s.id, 4999)).toEqual({ ...s, expiresAt: 5000 });
      expect(await ctx.store.purgeExpiredSessions(1000)).toBe(0);
      expect(await ctx.store.purgeExpiredSessions(5000)).toBe(1);
      expect(await ctx.store.extendSession(s.id, 9000)).toBe(false);
      expect(await ctx.store.getSession(s.id, 0)).toBeUndefined();
    });

    it('purges exactly the sessions expired at now', async () => {
      const old = [session(100), session(200), session(300)];
      const live = [session(301), session(10_000)];
      for (const s of [...old, ...live]) await ctx.store.createSession(s);
      expect(await ctx.store.purgeExpiredSessions(300)).toBe(3);
      expect(await ctx.store.purgeExpiredSessions(300)).toBe(0);
      for (const s of old) expect(await ctx.store.getSession(s.id, 0)).toBeUndefined();
      for (const s of live) expect(await ctx.store.getSession(s.id, 300)).toEqual(s);
    });
  });
}
