/**
 * The lease that locks a tus upload during a write (src/http/stream/tus/lease.ts), on the fs
 * store over loopback: a lease file left by a writer that died holds the upload (409) while it is
 * fresh, and is taken over once it is older than LEASE_MS — the upload then completes whole.
 */
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LEASE_MS } from '../../src/http/stream/tus/lease.js';
import { type Stack, startStack } from './stack.js';
import { tusCreate, tusOffset, tusPatch } from './tus-client.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
let s: Stack;
let sample: Buffer;

beforeAll(async () => {
  s = await startStack();
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  await s?.close();
});

it("a dead writer's lease: 409 while fresh, taken over once older than LEASE_MS", async () => {
  const u = await s.user();
  const vid = await s.video(u.userId);
  const loc = (await tusCreate(s.url, u.sessionId, sample.length, vid)).headers.location as string;
  const id = loc.split('/').pop() as string;
  const lease = join(s.dir, 'tus', `${id}.lock`);
  await writeFile(lease, ''); // what a writer killed mid-PATCH leaves behind

  const held = await tusPatch(s.url, u.sessionId, loc, 0, sample, sample.length);
  expect(held.status, held.body).toBe(409);
  expect(await tusOffset(s.url, u.sessionId, loc)).toBe(0);

  const past = new Date(Date.now() - LEASE_MS - 5_000);
  await utimes(lease, past, past);
  const taken = await tusPatch(s.url, u.sessionId, loc, 0, sample, sample.length);
  expect(taken.status, taken.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  // The taker released the lease when its write ended.
  expect((await readdir(join(s.dir, 'tus'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
});
