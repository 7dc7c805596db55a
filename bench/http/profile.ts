/**
 * `tsx bench/http/profile.ts [seconds]` (PROFILE_ACCESS_LOG=on: with the access log): CPU profile of the stream service's serving thread
 * under wrk — 1-byte ranges, then unknown ids — written as a .cpuprofile (open it in Chrome
 * DevTools or speedscope for the flame graph) plus a self-time summary, both in bench/results/.
 *
 * The host passes its own execArgv to its threads, so --cpu-prof on this process would not
 * reach them: this script wraps worker_threads.Worker (bench-only, before the host is loaded)
 * to add --cpu-prof to every thread it starts.
 *
 * The host is the compiled one (`dist/`, built first), as `npm start` runs it: loaded from
 * sources, its threads would run tsx's loader too, and the profile would show its hooks.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { machine } from '../channels/machine.js';
import { benchFixture } from './fixture.js';
import { wrk } from './wrk.js';

const SECONDS = Number(process.argv[2] ?? 5);
const out = resolve('bench/results');
const { tmp, config: base, vid } = await benchFixture();
// PROFILE_ACCESS_LOG=on profiles with the access log written (to this process's stdout).
const config = { ...base, accessLog: process.env.PROFILE_ACCESS_LOG === 'on' };
const profDir = join(tmp, 'prof');

const wt = createRequire(import.meta.url)('node:worker_threads');
const Original = wt.Worker;
wt.Worker = class extends Original {
  constructor(file: unknown, opts: { execArgv?: string[] } = {}) {
    const execArgv = [...(opts.execArgv ?? []), '--cpu-prof', `--cpu-prof-dir=${profDir}`];
    super(file, { ...opts, execArgv });
  }
};
syncBuiltinESMExports();
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: ROOT });
const { startHttpHost } = (await import(
  pathToFileURL(join(ROOT, 'dist/http/host.js')).href
)) as typeof import('../../src/http/host.js');
const host = await startHttpHost({
  ...config,
  only: ['stream'],
  httpThreads: 1,
  ports: { ...config.ports, stream: 0 },
});
const runs = [
  { name: '1-byte range', path: `/videos/${vid}`, lua: 'wrk.headers["Range"] = "bytes=0-0"\n' },
  { name: 'unknown id (404)', path: `/videos/${randomUUID()}`, lua: '' },
];
const rates: string[] = [];
for (const r of runs) {
  const res = await wrk(tmp, {
    url: `${host.urls.stream!}${r.path}`,
    lua: r.lua,
    connections: 32,
    seconds: SECONDS,
  });
  rates.push(`- ${r.name}: ${Math.round(res.rps).toLocaleString('en-US')} req/s while profiled`);
}
await host.close(1000);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
// The serving thread is the profile with the most busy (non-idle) samples.
const busy = (nodes: Node[]) =>
  nodes.reduce((n, x) => n + (x.callFrame.functionName === '(idle)' ? 0 : (x.hitCount ?? 0)), 0);
let best: { file: string; nodes: Node[]; busy: number } | undefined;
for (const f of files) {
  const p = JSON.parse(await readFile(join(profDir, f), 'utf8')) as { nodes: Node[] };
  const b = busy(p.nodes);
  if (!best || b > best.busy) best = { file: f, nodes: p.nodes, busy: b };
}
if (!best) throw new Error('no profile written');
const self = new Map<string, number>();
let total = 0;
for (const n of best.nodes) {
  const url = n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/');
  const key = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  total += n.hitCount ?? 0;
}
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30);
const stamp = new Date().toISOString().slice(0, 10);
await writeFile(
  join(out, `http-profile-${stamp}.cpuprofile`),
  await readFile(join(profDir, best.file)),
);
const md = `# Serving-thread CPU profile (stream service, ${SECONDS} s of 1-byte ranges then ${SECONDS} s of unknown ids, 32 conns)

\`tsx bench/http/profile.ts\`; the flame graph is \`http-profile-${stamp}.cpuprofile\` (Chrome DevTools → Performance, or speedscope).

${rates.join('\n')}

| self % | function |
|---:|---|
${top.map(([k, v]) => `| ${((v / total) * 100).toFixed(1)} | \`${k}\` |`).join('\n')}

${machine()}
`;
await writeFile(join(out, `http-profile.md`), md);
console.log(md);
await rm(tmp, { recursive: true, force: true });
