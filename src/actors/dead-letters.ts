/**
 * Dead letters: messages that reached an actor after it stopped (or were still queued when it
 * crashed). They are published here instead of vanishing, so tests and operators can see them.
 * Listeners run synchronously and must not throw (a throwing listener is detached).
 */

export interface DeadLetter {
  /** The actor's name. */
  readonly actor: string;
  readonly message: unknown;
  /** 'stopped': sent after stop; 'crashed': still queued when the behaviour crashed. */
  readonly reason: 'stopped' | 'crashed';
  /** True when the message was an ask (its caller got a coded rejection). */
  readonly ask: boolean;
}

export type DeadLetterListener = (letter: DeadLetter) => void;

export class DeadLetters {
  #listeners = new Set<DeadLetterListener>();
  #count = 0;

  /** Dead letters published so far. */
  get count(): number {
    return this.#count;
  }

  /** Observe every dead letter from now on; returns the unsubscribe function. */
  subscribe(listener: DeadLetterListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  publish(letter: DeadLetter): void {
    this.#count++;
    for (const l of this.#listeners) {
      try {
        l(letter);
      } catch {
        // A broken observer must not break the actor that is stopping.
        this.#listeners.delete(l);
      }
    }
  }
}

/** The process-wide default sink used by actors spawned without `options.deadLetters`. */
export const deadLetters: DeadLetters = new DeadLetters();
