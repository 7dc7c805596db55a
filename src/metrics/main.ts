/**
 * The main thread's metrics: process metrics (prom-client's defaults), and gauges/counters read at
 * scrape time from what the main thread owns — the limiter actor, the scheduler's stats board,
 * the deletion queue, the supervisor's restarts — and the log lines every thread dropped (the
 * process-wide totals of log-write.ts: defined here only, so the sum over threads' registries
 * cannot count them once per thread). Reading at scrape time keeps these off every hot path:
 * nothing is counted twice, the owners keep their own counters.
 */
import { Counter, collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import type { LimiterStats } from '../actors/index.js';
import { droppedLines } from '../log-write.js';
import type { SchedulerStats } from '../scheduler/index.js';

/** Where the values come from; each may be absent (that service does not run here). */
export interface MainSources {
  limiter?(): Promise<LimiterStats>;
  scheduler?(): SchedulerStats | undefined;
  deletions?(): Promise<{ pending: number; dead: number }>;
  /** Restarts per supervised child so far. */
  restarts(): Readonly<Record<string, number>>;
}

/** Sets a counter to an externally kept total (prom-client counters only go up by inc). */
function setTotal<L extends string>(c: Counter<L>, labels: Partial<Record<L, string>>, v: number) {
  c.reset();
  c.inc(labels, v);
}

export function defineMainMetrics(registry: Registry, src: MainSources): void {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'limiter_tokens',
    help: 'Stream limiter: capacity and tokens in use',
    labelNames: ['kind'],
    registers,
    async collect() {
      if (!src.limiter) return;
      const s = await src.limiter();
      this.set({ kind: 'capacity' }, s.capacity);
      this.set({ kind: 'in_use' }, s.inUse);
    },
  });
  new Counter({
    name: 'limiter_rejected_total',
    help: 'Stream requests refused by the limiter (answered 429)',
    registers,
    async collect() {
      if (src.limiter) setTotal(this, {}, (await src.limiter()).rejected);
    },
  });
  new Gauge({
    name: 'scheduler_deletion_queue',
    help: 'Deletion records by state (pending, dead)',
    labelNames: ['state'],
    registers,
    async collect() {
      if (!src.deletions) return;
      const c = await src.deletions().catch(() => undefined);
      if (!c) return; // the store is down: no sample rather than a false zero
      this.set({ state: 'pending' }, c.pending);
      this.set({ state: 'dead' }, c.dead);
    },
  });
  const board = (
    name: string,
    help: string,
    pick: (r: SchedulerStats['runners'][string]) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames: ['runner'],
      registers,
      collect() {
        const s = src.scheduler?.();
        if (!s) return;
        this.reset();
        for (const [runner, r] of Object.entries(s.runners)) this.inc({ runner }, pick(r));
      },
    });
  board('scheduler_rounds_total', 'Scheduler rounds started, per runner', (r) => r.rounds);
  board('scheduler_done_total', 'Deletions done (video cleanup) / sessions purged', (r) => r.done);
  board(
    'scheduler_failed_total',
    'Failed deletion attempts (retried, or dead-lettered at the last attempt)',
    (r) => r.failed + r.deadLettered,
  );
  new Counter({
    name: 'log_lines_dropped_total',
    help: 'Log lines the log destination did not take (a dead, stalled or trickling reader; src/log-write.ts), every thread, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of droppedLines()) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'actor_restarts_total',
    help: 'Restarts of supervised children (limiter, scheduler, http)',
    labelNames: ['child'],
    registers,
    collect() {
      this.reset();
      for (const [child, n] of Object.entries(src.restarts())) this.inc({ child }, n);
    },
  });
}
