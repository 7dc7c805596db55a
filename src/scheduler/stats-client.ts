/**
 * Finding the scheduler's StatsBoard from any thread of the process (see stats.ts).
 *
 * Publisher (main thread, owned by startScheduler): answers every `hello` with the buffer and
 * announces it once at start. Client (e.g. an HTTP thread): sends `hello` and waits briefly for
 * an answer; once found, the board is cached and read with Atomics — no further messages.
 * Both channels are unref'd: stats discovery never keeps a process alive.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { StatsBoard, statsChannelName } from './stats.js';

interface BoardMessage {
  type: 'board';
  names: string[];
  buffer: SharedArrayBuffer;
}

type StorageKey = { dataDir: string; mongodbUri: string | undefined };

function isBoardMessage(m: unknown): m is BoardMessage {
  const b = m as BoardMessage | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    b.type === 'board' &&
    Array.isArray(b.names) &&
    b.buffer instanceof SharedArrayBuffer
  );
}

/** Starts answering `hello`; returns the function that stops it. */
export function publishStats(board: StatsBoard, key: StorageKey): () => void {
  const bc = new BroadcastChannel(statsChannelName(key));
  bc.unref();
  const message: BoardMessage = { type: 'board', names: [...board.names], buffer: board.buffer };
  bc.onmessage = (e) => {
    if ((e as MessageEvent).data === 'hello') bc.postMessage(message);
  };
  bc.postMessage(message);
  let closed = false;
  return () => {
    if (!closed) bc.close();
    closed = true;
  };
}

/** Per-thread reader of the board published by this process's scheduler, if any. */
export class SchedulerStatsClient {
  readonly #key: StorageKey;
  #board: StatsBoard | undefined;

  constructor(key: StorageKey) {
    this.#key = key;
  }

  /** The board, or undefined when no scheduler in this process answered within `timeoutMs`. */
  async board(timeoutMs = 250): Promise<StatsBoard | undefined> {
    if (this.#board) return this.#board;
    const bc = new BroadcastChannel(statsChannelName(this.#key));
    bc.unref();
    try {
      const found = await new Promise<BoardMessage | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        timer.unref();
        bc.onmessage = (e) => {
          const data = (e as MessageEvent).data;
          if (isBoardMessage(data)) {
            clearTimeout(timer);
            resolve(data);
          }
        };
        bc.postMessage('hello');
      });
      if (found) this.#board = new StatsBoard(found.names, found.buffer);
      return this.#board;
    } finally {
      bc.close();
    }
  }
}
