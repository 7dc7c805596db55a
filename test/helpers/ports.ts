/** Free loopback ports for child processes that cannot bind port 0 and report it back. */
import { createServer, type Server } from 'node:net';

/**
 * `n` distinct ports that were free a moment ago: all are held open together (so they differ),
 * then released. Another process could take one before the caller binds it; callers that
 * cannot retry should pass them promptly.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
