/**
 * The project's one error catalog: one base class, one code prefix (`ERR_`), one way to rebuild an
 * error after it crossed a thread.
 *
 * - Every error the project throws on purpose is a `VideoServerError` subclass with a stable
 *   `code` (`ERR_…`), one subclass per condition. Callers match on classes (`instanceof`) or
 *   codes, never on `name` strings or messages.
 * - Each area keeps its subclasses in its own `errors.ts` (actors, channels, store, http, config,
 *   scheduler) and registers them here with `defineErrors`, which refuses a code already taken by
 *   another class: a code names exactly one condition in the whole project.
 * - Across a thread (postMessage, comlink, piscina) an error travels as `serializeError(err)` =
 *   `{code, message, name}` and comes back through `rebuildError`: an instance of the registered
 *   class (built without running its constructor, so constructors keep their own signatures),
 *   or a `RemoteError` keeping the code and name when the code is not registered here.
 * - The README's error table lists every registered code (test/errors.test.ts checks it).
 */

export class VideoServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An error from another thread whose code has no registered class. */
export class RemoteError extends VideoServerError {}

/** What crosses a thread boundary. */
export interface SerializedError {
  code: string;
  message: string;
  name?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: subclasses keep their own constructor signatures
export type ErrorClass = abstract new (...args: any[]) => Error;

interface Entry {
  readonly area: string;
  readonly ctor: ErrorClass;
}

const catalog = new Map<string, Entry>();

/** The fallback code of a thrown value that carries none (a TypeError, a string). */
export const UNKNOWN_CODE = 'ERR_UNKNOWN';

/**
 * Registers `codes` (code → class) for `area`. Throws when a code is malformed or already
 * belongs to another class; registering the same pair twice (a module loaded twice) is fine.
 */
export function defineErrors(area: string, codes: Readonly<Record<string, ErrorClass>>): void {
  for (const [code, ctor] of Object.entries(codes)) {
    if (!/^ERR_[A-Z0-9_]+$/.test(code)) {
      throw new TypeError(`error code ${code} (${area}) must match ERR_[A-Z0-9_]+`);
    }
    const had = catalog.get(code);
    if (had && had.ctor !== ctor) {
      throw new TypeError(`error code ${code} of ${area} is already taken by ${had.area}`);
    }
    catalog.set(code, { area, ctor });
  }
}

defineErrors('errors', { [UNKNOWN_CODE]: RemoteError });

/** Every registered code with its area and class (for the catalog test and the README). */
export function errorCatalog(): ReadonlyMap<string, Entry> {
  return catalog;
}

/** Any thrown value → `{code, message, name}`; errors without a string code get ERR_UNKNOWN. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : UNKNOWN_CODE,
      message: err.message,
      name: err.name,
    };
  }
  return { code: UNKNOWN_CODE, message: String(err) };
}

/** True for a plain `{code: string, message: string}` object (what serializeError produces). */
export function isSerializedError(v: unknown): v is SerializedError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as SerializedError).code === 'string' &&
    typeof (v as SerializedError).message === 'string'
  );
}

/** The inverse of `serializeError`: an instance of the registered class, else a RemoteError. */
export function rebuildError(data: SerializedError): Error {
  const entry = catalog.get(data.code);
  if (entry === undefined) {
    const err = new RemoteError(data.code, data.message);
    if (data.name) err.name = data.name;
    return err;
  }
  // Built without its constructor (whose arguments we do not have): the prototype gives the
  // class and its getters; the fields every VideoServerError has are set here.
  const err = Object.create(entry.ctor.prototype) as Error & { code: string };
  const own = { configurable: true, writable: true, enumerable: false };
  Object.defineProperty(err, 'message', { ...own, value: data.message });
  Object.defineProperty(err, 'code', { ...own, enumerable: true, value: data.code });
  Object.defineProperty(err, 'name', { ...own, value: data.name ?? entry.ctor.name });
  Object.defineProperty(err, 'stack', {
    ...own,
    value: `${data.name ?? entry.ctor.name}: ${data.message}\n    (rebuilt from another thread)`,
  });
  return err;
}
