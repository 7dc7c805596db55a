import { describe, expect, it } from 'vitest';
import {
  ActorCrashedError,
  ActorError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidArgumentError,
  LimiterOverReleaseError,
  PoolClosedError,
  RemoteError,
  rebuildError,
  ShutdownTimeoutError,
  SupervisorGaveUpError,
  serializeError,
  TaskAbortedError,
  WorkerExitedError,
} from '../../src/actors/index.js';

describe('actor error catalog', () => {
  const catalog: [new (m: string) => ActorError, string][] = [
    [AskTimeoutError, 'ERR_ASK_TIMEOUT'],
    [ActorStoppedError, 'ERR_ACTOR_STOPPED'],
    [ActorCrashedError, 'ERR_ACTOR_CRASHED'],
    [SupervisorGaveUpError, 'ERR_SUPERVISOR_GAVE_UP'],
    [WorkerExitedError, 'ERR_WORKER_EXITED'],
    [ShutdownTimeoutError, 'ERR_SHUTDOWN_TIMEOUT'],
    [InvalidArgumentError, 'ERR_ACTOR_INVALID_ARGUMENT'],
    [TaskAbortedError, 'ERR_TASK_ABORTED'],
    [PoolClosedError, 'ERR_POOL_CLOSED'],
    [LimiterOverReleaseError, 'ERR_LIMITER_OVER_RELEASE'],
  ];

  it.each(catalog)('%o crosses a thread as {code, message} and comes back as itself', (C, code) => {
    const err = new C('why');
    expect(err).toBeInstanceOf(ActorError);
    expect(err.code).toBe(code);
    expect(err.name).toBe(C.name);
    const wire = structuredClone(serializeError(err)); // what a postMessage would carry
    expect(wire).toEqual({ code, message: 'why', name: C.name });
    const back = rebuildError(wire);
    expect(back).toBeInstanceOf(C);
    expect((back as ActorError).code).toBe(code);
    expect(back.message).toBe('why');
  });

  it('unknown codes become RemoteError keeping code and name; non-errors get ERR_UNKNOWN', () => {
    const back = rebuildError({ code: 'ERR_ELSEWHERE', message: 'm', name: 'TypeError' });
    expect(back).toBeInstanceOf(RemoteError);
    expect((back as RemoteError).code).toBe('ERR_ELSEWHERE');
    expect(back.name).toBe('TypeError');
    expect(serializeError('plain string')).toEqual({
      code: 'ERR_UNKNOWN',
      message: 'plain string',
    });
    expect(serializeError(new TypeError('t'))).toMatchObject({
      code: 'ERR_UNKNOWN',
      name: 'TypeError',
    });
  });
});
