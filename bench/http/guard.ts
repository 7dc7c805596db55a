/**
 * What crash containment costs per request (issue 10, item 1): the same trivial uWS route served
 * bare and through `guardApp` (AsyncLocalStorage request record, wrapped onData/onWritable/
 * onAborted/writeStatus, the framing check), side by side in one process, measured with wrk,
 * alternating A/B/A/B so drift from other load hits both. Prints requests/s and the ratio.
 *
 *   npx tsx bench/http/guard.ts [seconds=5] [rounds=3]
 */

import type { TemplatedApp } from 'uWebSockets.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardApp } from '../../src/http/common/guard.js';
import { exchange } from '../../src/http/common/index.js';
import { loadUws } from '../../src/http/common/uws.js';
import { createLogger } from '../../src/log.js';
import { wrk } from './wrk.js';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const uws = loadUws();

function serve(app: TemplatedApp): number {
  app.get('/x', (res) => {
    const x = exchange(res);
    x.text(200, 'ok');
  });
  let port = 0;
  app.listen('127.0.0.1', 0, (s) => {
    port = uws.us_socket_local_port(s as never);
  });
  return port;
}

const dir = await mkdtemp(join(tmpdir(), 'vs-bench-guard-'));
const bare = serve(uws.App());
const guarded = serve(guardApp(uws.App(), createLogger('bench')));
const lua = 'wrk.method = "GET"';
const totals = { bare: 0, guarded: 0 };
for (let r = 0; r < rounds; r++) {
  for (const [name, port] of [
    ['bare', bare],
    ['guarded', guarded],
  ] as const) {
    const res = await wrk(dir, {
      url: `http://127.0.0.1:${port}/x`,
      lua,
      connections: 32,
      seconds,
    });
    totals[name] += res.rps;
    console.log(`round ${r + 1} ${name.padEnd(8)} ${Math.round(res.rps)} req/s`);
  }
}
const b = totals.bare / rounds;
const g = totals.guarded / rounds;
console.log(
  `\nbare ${Math.round(b)} req/s, guarded ${Math.round(g)} req/s: guarded = ${(g / b).toFixed(3)}× bare`,
);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
await rm(dir, { recursive: true, force: true });
process.exit(0);
