/**
 * Real clients against the stream service: curl uploads the seed's multipart form and fetches
 * ranges; ffprobe (Debian's ffmpeg) reads videos straight from the URL — an mp4 whose index sits
 * at the end (so ffprobe must seek with Range requests) and a webm.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeWebm, type Stack, startStack } from './stack.js';

const run = promisify(execFile);
let s: Stack;
let webmPath: string;
let mp4Path: string;

beforeAll(async () => {
  s = await startStack();
  webmPath = makeWebm(s.dir);
  mp4Path = join(s.dir, 'test.mp4');
  // No +faststart: the moov index is written at the end, so a player has to seek to it.
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=duration=20:size=320x240:rate=25',
    '-c:v',
    'mpeg4',
    mp4Path,
  ]);
});
afterAll(async () => {
  await s?.close();
});

async function uploadWithCurl(path: string): Promise<string> {
  const { userId, sessionId } = await s.user();
  const vid = await s.video(userId);
  const { stdout } = await run('curl', [
    '-sS',
    '-w',
    '\n%{http_code}',
    '-H',
    `X-Session-Id: ${sessionId}`,
    '-F',
    `file=@${path}`,
    `${s.url}/upload/${vid}`,
  ]);
  expect(stdout).toBe('Uploaded successfully\n201');
  return vid;
}

/** ffprobe's format, and the Range headers it sent (from its debug log). */
async function probe(
  url: string,
): Promise<{ format_name: string; duration: string; ranges: string[] }> {
  const args = ['-v', 'debug', '-show_entries', 'format=format_name,duration', '-of', 'json', url];
  const { stdout, stderr } = await run('ffprobe', args);
  const ranges = [...stderr.matchAll(/^Range: (bytes=\d+-\d*)/gm)].map((m) => m[1]!);
  const { format } = JSON.parse(stdout) as { format: { format_name: string; duration: string } };
  return { ...format, ranges };
}

describe('curl', () => {
  it('uploads a multipart form and reads the video back whole and in ranges', async () => {
    const vid = await uploadWithCurl(webmPath);
    const original = await readFile(webmPath);
    const url = `${s.url}/videos/${vid}`;
    const whole = await run('curl', ['-sS', '--output', '-', url], {
      encoding: 'buffer',
      maxBuffer: 1 << 26,
    });
    expect(Buffer.compare(whole.stdout, original)).toBe(0);
    const part = await run('curl', ['-sS', '-r', '100-1099', '--output', '-', url], {
      encoding: 'buffer',
    });
    expect(Buffer.compare(part.stdout, original.subarray(100, 1100))).toBe(0);
    const { stdout: head } = await run('curl', ['-sSI', url]);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head).toMatch(/content-type: video\/webm/i);
    expect(head).toMatch(new RegExp(`content-length: ${original.length}`, 'i'));
  });
});

describe('ffprobe', () => {
  it('reads a webm from the URL', async () => {
    const vid = await uploadWithCurl(webmPath);
    const f = await probe(`${s.url}/videos/${vid}`);
    expect(f.format_name).toBe('matroska,webm');
    expect(Number(f.duration)).toBeCloseTo(2, 0);
  });

  it('reads an mp4 with its index at the end (seeking with ranges)', async () => {
    const vid = await uploadWithCurl(mp4Path);
    const f = await probe(`${s.url}/videos/${vid}`);
    expect(f.format_name).toContain('mp4');
    expect(Number(f.duration)).toBeCloseTo(20, 0);
    // It opened at 0, then jumped to the moov box near the end, then back to the media.
    expect(f.ranges[0]).toBe('bytes=0-');
    expect(f.ranges.some((r) => Number(r.slice(6, -1)) > 700_000)).toBe(true);
    // ffprobe drops its first connection when it seeks: every token still comes back.
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'token release');
  });
});
