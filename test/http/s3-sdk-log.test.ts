/**
 * The AWS SDK's own diagnostics are log lines. When S3 fails during a streamed request body (a
 * tus part on its way), the SDK prints "An error was encountered in a non-retryable streaming
 * request" with console.warn unless its client has a logger: plain text on the server's stderr.
 * The tus store's client (the one that streams parts) is made as the server makes it, in a
 * child process, against a loopback endpoint that resets the connection once a body arrives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT, runScript } from '../helpers/script.js';

let dir: string | undefined;
let server: Server | undefined;
afterAll(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SCRIPT = `
  import { createReadStream, writeFileSync } from 'node:fs';
  import { s3TusStore } from '${ROOT}src/http/stream/tus/s3-store.ts';
  const store = s3TusStore({
    s3Bucket: 'logs',
    s3Endpoint: process.env.FAKE_S3,
    s3Region: 'us-east-1',
    s3ForcePathStyle: true,
    tusExpiryMs: 60_000,
    tusLeaseRefreshMs: 2_000,
    tusLeaseStaleMs: 20_000,
  });
  // A part as the tus store streams it: a file's read stream (its length is known).
  const file = new URL('./part', import.meta.url);
  writeFileSync(file, Buffer.alloc(256 * 1024, 1));
  const body = createReadStream(file);
  const failed = await store.client.putObject({ Bucket: 'logs', Key: 'k', Body: body }).then(
    () => false,
    () => true,
  );
  if (!failed) process.exitCode = 3;
`;

it('S3 resetting a streamed upload: the SDK’s warning is a JSON line, nothing on stderr', {
  timeout: 60_000,
}, async () => {
  let requests = 0;
  server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      requests++;
      socket.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), 'vs-s3-sdk-log-'));
  const { code, out, err } = await runScript(dir, 'put', SCRIPT, {
    FAKE_S3: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    NODE_NO_WARNINGS: '1', // the SDK's Node-version notice is log-capture.test's
  });
  expect(err).toBe('');
  expect(code).toBe(0); // the put failed, as the endpoint made it
  expect(requests).toBeGreaterThan(0);
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; scope: string; msg: string });
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 40,
      scope: 's3',
      msg: expect.stringContaining('non-retryable streaming request'),
    }),
  );
});
