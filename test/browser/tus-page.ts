/**
 * Helpers of the page's tus upload tests (tus-resume, tus-retry): a large valid WebM —
 * sample.webm followed by a top-level EBML Void element (ID 0xEC, 8-byte size) of random bytes
 * padding it to `size`, which the server's probe accepts; a log of the page's tus exchanges; the
 * check that a video's served bytes are exactly the file's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));

/** Writes the file to `path`; resolves to its bytes. */
export async function bigWebm(path: string, size: number): Promise<Buffer> {
  const sample = await readFile(SAMPLE);
  const payload = size - sample.length - 9;
  const header = Buffer.alloc(9);
  header[0] = 0xec;
  header[1] = 0x01; // 8-byte vint marker; the size is in the next 7 bytes
  header.writeUIntBE(payload, 3, 6);
  const data = Buffer.concat([sample, header, randomBytes(payload)]);
  await writeFile(path, data);
  return data;
}

/** What the page's tus-js-client exchanged with `/files/`, as it happens. */
export function watchTus(page: Page) {
  const seen = { creations: [] as string[], headOffsets: [] as number[], patches: [] as number[] };
  page.on('response', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/files/')) return;
    const method = r.request().method();
    if (method === 'POST') seen.creations.push(r.headers().location ?? '');
    if (method === 'HEAD') seen.headOffsets.push(Number(r.headers()['upload-offset']));
    if (method === 'PATCH') seen.patches.push(r.status());
  });
  return seen;
}

/** Video `vid` at `origin` is served whole: `size` bytes whose SHA-256 is `digest`. */
export async function expectServed(
  page: Page,
  origin: string,
  vid: string,
  size: number,
  digest: string,
) {
  const bytes = await page.request.get(`${origin}/videos/${vid}`);
  expect(bytes.status()).toBe(200);
  const body = await bytes.body();
  expect(body.length).toBe(size);
  expect(createHash('sha256').update(body).digest('hex')).toBe(digest);
}
