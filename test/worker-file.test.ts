import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { workerFile } from '../src/worker-file.js';

describe('workerFile', () => {
  it('starts a TypeScript worker from sources with the tsx loader', async () => {
    const f = workerFile(import.meta.url, './fixtures/echo.worker');
    expect(f.path.endsWith('echo.worker.ts')).toBe(true);
    const w = new Worker(f.url, { execArgv: f.execArgv });
    try {
      w.postMessage(41);
      const [m] = await once(w, 'message');
      expect(m).toEqual({ echo: 41, answer: 'typed' });
    } finally {
      await w.terminate();
    }
  });

  it('starts a TypeScript piscina task from sources', async () => {
    const f = workerFile(import.meta.url, './fixtures/square.task');
    const pool = new Piscina({ filename: f.path, execArgv: f.execArgv, maxThreads: 1 });
    try {
      expect(await pool.run(7)).toBe(49);
    } finally {
      await pool.destroy();
    }
  });

  it('picks the .js sibling with no loader when the caller is compiled', () => {
    const f = workerFile('file:///app/dist/actors/pool.js', './task.worker');
    expect(f.url.href).toBe('file:///app/dist/actors/task.worker.js');
    expect(f.execArgv).toEqual([]);
  });
});
