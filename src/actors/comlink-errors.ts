/**
 * Make errors thrown by a thread actor's method cross comlink as `{code, message}` and come back
 * as the same class (errors.ts registry). comlink's built-in 'throw' handler rebuilds every error
 * as a plain Error and drops `code`. Imported for its side effect by both sides; idempotent.
 */
import { type TransferHandler, transferHandlers } from 'comlink';
import { isSerializedError, rebuildError, serializeError } from './errors.js';

type Thrown = { value: unknown };
type Wire =
  | { isError: true; value: { code: string; message: string; name?: string; stack?: string } }
  | { isError: false; value: unknown };

const builtin = transferHandlers.get('throw') as TransferHandler<Thrown, Wire> | undefined;
if (builtin !== undefined && !(builtin as { coded?: boolean }).coded) {
  const handler: TransferHandler<Thrown, Wire> & { coded: true } = {
    coded: true,
    canHandle: (v): v is Thrown => builtin.canHandle(v),
    serialize: ({ value }) => {
      if (value instanceof Error) {
        return [{ isError: true, value: { ...serializeError(value), stack: value.stack } }, []];
      }
      return [{ isError: false, value }, []];
    },
    deserialize: (wire) => {
      if (wire.isError && isSerializedError(wire.value)) throw rebuildError(wire.value);
      throw wire.value;
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
