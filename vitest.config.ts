import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start real servers and worker threads; 2-core machines choke on more.
    maxWorkers: 2,
    globalSetup: ['test/setup/mongo.ts'],
    reporters: ['default'],
    // In-process servers log JSON on stdout like the real one; keep test output to warnings.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
