import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    // Many tests start real server processes (tsx) and threads: on a loaded 2-core machine one
    // start-up alone has taken over 30 s. A hang still fails, just later.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Integration suites start real servers and worker threads; 2-core machines choke on more.
    maxWorkers: 2,
    globalSetup: ['test/setup/mongo.ts'],
    reporters: ['default'],
    // In-process servers log JSON on stdout like the real one; keep test output to warnings.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
