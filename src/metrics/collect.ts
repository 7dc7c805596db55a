/**
 * Scraping the HTTP threads' registries over port channels (src/channels).
 *
 * Per thread, two SPSC port channels: `ask` (main → thread, a sequence number) and `answer`
 * (thread → main, `{ seq, metrics }` = that thread's `getMetricsAsJSON()`). The main thread
 * sums the answers with prom-client's `AggregatorRegistry.aggregate` (server.ts).
 *
 * Invariants:
 * - A scrape includes every live thread or says which one did not answer: it never passes one
 *   thread's numbers off as the total. A thread that does not answer within `timeoutMs` is
 *   reported in `missing` (and counted by `metrics_scrape_missing_threads`).
 * - Scrapes of one thread are serialized; an answer carries the sequence number it answers, and
 *   late answers to a timed-out scrape are skipped, so an answer always matches its question.
 * - The thread side stops (its port unref'd) when its signal aborts, so it never keeps a closing
 *   thread alive.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import {
  createPortChannel,
  type PortChannelEnd,
  PortReceiver,
  PortSender,
} from '../channels/index.js';
import { threadMetrics } from './registry.js';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];
interface Answer {
  seq: number;
  metrics: MetricsJson;
}

/** The thread's halves, to send in workerData with both ports in the transfer list. */
export interface ScrapeEnds {
  ask: PortChannelEnd;
  answer: PortChannelEnd;
}

export function scrapeChannel(): { main: ThreadScraper; thread: ScrapeEnds } {
  const ask = createPortChannel(1);
  const answer = createPortChannel(1);
  return {
    main: new ThreadScraper(new PortSender(ask.sendEnd), new PortReceiver(answer.recvEnd)),
    thread: { ask: ask.recvEnd, answer: answer.sendEnd },
  };
}

export const scrapeTransfer = (ends: ScrapeEnds) => [ends.ask.port, ends.answer.port];

/** Main side of one thread. */
export class ThreadScraper {
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ask: PortSender<number>,
    private readonly answer: PortReceiver<Answer>,
  ) {}

  /** The thread's metrics, or undefined if it is gone or did not answer in time. */
  scrape(timeoutMs: number): Promise<MetricsJson | undefined> {
    const run = this.#queue.then(() => this.#once(timeoutMs));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #once(timeoutMs: number): Promise<MetricsJson | undefined> {
    const seq = ++this.#seq;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await this.ask.send(seq, signal);
      for (;;) {
        const r = await this.answer.recv(signal);
        if (!r.ok) return undefined;
        if (r.value.seq === seq) return r.value.metrics;
      }
    } catch {
      return undefined; // timed out, or the thread closed its end
    }
  }

  close(): void {
    try {
      this.ask.close();
    } catch {
      // already closed
    }
  }
}

/** Thread side: answers every ask with this thread's registry until `signal` aborts. */
export async function answerScrapes(ends: ScrapeEnds, signal: AbortSignal): Promise<void> {
  const asks = new PortReceiver<number>(ends.ask);
  const answers = new PortSender<Answer>(ends.answer);
  const { registry } = threadMetrics();
  try {
    for (;;) {
      const r = await asks.recv(signal);
      if (!r.ok) break;
      const metrics = (await registry.getMetricsAsJSON()) as MetricsJson;
      await answers.send({ seq: r.value, metrics }, signal);
    }
  } catch {
    // aborted: the thread is closing
  } finally {
    try {
      answers.close();
    } catch {
      // already closed
    }
  }
}
