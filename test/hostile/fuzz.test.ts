/**
 * Socket-level fuzzing of the upload and relay endpoints (issue 10, tests; STYLE.md 16) against
 * the real `video-server` process (all four services, two HTTP threads): 1,000 generated hostile
 * requests per run (fuzz-requests.ts), 50 at a time.
 *
 * Invariant per request: it gets a well-formed HTTP/1.1 answer that is not a 500 (a 500 means a
 * handler crashed), or a clean close. A request the server cannot finish (its body never ends)
 * is half-closed by the client after a quiet spell; the server must then close too — a
 * connection that stays open after that is a hang and fails the run.
 * Afterwards: the process is alive, every service answers `/health/live`, no temp file is left.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { build, caseArb, type HostileRequest, type Target } from './fuzz-requests.js';

const RUNS = 20;
const BATCH = 50;
/** With no byte from the server for this long, the client half-closes (ends its body). */
const QUIET_MS = 1_500;
/** After the half-close the server has this long to close: otherwise the connection hangs. */
const HANG_MS = 30_000;

let srv: TestServer;
let target: Target;

beforeAll(async () => {
  srv = await startTestServer({
    env: { HTTP_THREADS: '2', MAX_UPLOAD_BYTES: String(1024 * 1024) },
  });
  const api = srv.urls.api!;
  const userName = `fz${randomBytes(4).toString('hex')}`;
  const reg = await fetch(`${api}/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_name: userName, pwd: 'a long password' }),
  });
  expect(reg.status).toBe(201);
  const sessionId = ((await reg.json()) as { session_id: string }).session_id;
  const me = (await (
    await fetch(`${api}/user/${userName}`, { headers: { 'x-session-id': sessionId } })
  ).json()) as { id: string };
  const video = await fetch(`${api}/user/${userName}/videos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-session-id': sessionId },
    body: JSON.stringify({ author_id: me.id, name: 'fuzzed' }),
  });
  expect(video.status).toBe(201);
  const web = new URL(srv.urls.web!);
  target = {
    streamPort: Number(new URL(srv.urls.stream!).port),
    webPort: Number(web.port),
    webOrigin: web.origin,
    sessionId,
    userName,
    videoId: ((await video.json()) as { id: string }).id,
  };
}, 120_000);
afterAll(async () => {
  await srv?.stop();
});

type Outcome =
  | { kind: 'answered'; status: number }
  | { kind: 'closed' }
  | { kind: 'bad'; why: string };

function send(r: HostileRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = net.connect(r.port, '127.0.0.1');
    let data = '';
    let quiet: NodeJS.Timeout | undefined;
    let hang: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(quiet);
      clearTimeout(hang);
      if (data === '') return resolve({ kind: 'closed' });
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(data);
      if (!m)
        return resolve({
          kind: 'bad',
          why: `malformed answer ${JSON.stringify(data.slice(0, 80))}`,
        });
      const status = Number(m[1]);
      resolve(
        status === 500
          ? { kind: 'bad', why: `500: ${JSON.stringify(data)}` }
          : { kind: 'answered', status },
      );
    };
    const halfClose = () => {
      sock.end();
      hang = setTimeout(() => {
        sock.destroy();
        resolve({ kind: 'bad', why: 'the server kept the connection open after the client ended' });
      }, HANG_MS);
    };
    const armQuiet = () => {
      clearTimeout(quiet);
      if (!hang) quiet = setTimeout(halfClose, QUIET_MS);
    };
    sock.on('data', (d) => {
      data += d.toString('latin1');
      armQuiet();
    });
    sock.on('error', () => {}); // a reset is a close; 'close' follows
    sock.on('close', settle);
    sock.once('connect', async () => {
      for (const w of r.writes) {
        if (sock.destroyed) return;
        if (!sock.write(w)) await new Promise((ok) => sock.once('drain', ok));
      }
      armQuiet();
    });
  });
}

describe('fuzzing the upload and relay endpoints over raw sockets', () => {
  it(`${RUNS * BATCH} hostile requests: each answered (never 500) or closed; the server survives`, async () => {
    const seen = { answered: 0, closed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        const requests = cases.map((c) => build(target, c));
        const outcomes = await Promise.all(requests.map(send));
        outcomes.forEach((o, i) => {
          if (o.kind === 'bad') {
            console.log(
              'SERVER-LOG',
              srv
                .stdout()
                .filter((l) => l.includes('"level":50'))
                .slice(-3)
                .join('\n'),
            );
            throw new Error(`${requests[i]!.label}: ${o.why}`);
          }
          seen[o.kind]++;
        });
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    console.log('fuzz outcomes', JSON.stringify(seen));
    expect(seen.answered + seen.closed).toBe(RUNS * BATCH);
    expect(seen.answered).toBeGreaterThan(0);

    // The process is alive and every service answers a fresh request.
    expect(srv.child.exitCode).toBeNull();
    for (const [service, url] of Object.entries(srv.urls)) {
      const r = await fetch(`${url}/health/live`);
      expect(r.status, service).toBe(200);
    }
    // No upload left a temp file behind (aborted ones are removed asynchronously).
    const temps = async () =>
      (await readdir(join(srv.dataDir, 'videos')).catch(() => [] as string[])).filter((n) =>
        n.endsWith('.tmp'),
      );
    const until = Date.now() + 20_000;
    while ((await temps()).length > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(await temps()).toEqual([]);
  }, 600_000);
});
