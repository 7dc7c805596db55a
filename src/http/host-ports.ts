/**
 * Start-up check that each fixed port is really free (issue 10, item 9). uWS listens with
 * SO_REUSEPORT so that our threads share a port, but that also lets a second `video-server`
 * (another DATA_DIR, another database) join the port silently and take half the connections.
 * A plain bind — Node's net server sets no SO_REUSEPORT — fails with EADDRINUSE while any socket
 * listens there, reuseport or not, so we try one first and release it before the threads bind.
 *
 * The gap between the probe's close and the threads' bind is a few milliseconds; a process that
 * binds in it with SO_REUSEPORT is not detected (an accepted race, documented here only).
 */
import net from 'node:net';
import { ConfigError, type ServiceName } from '../config.js';

function probe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err) => resolve(err));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Rejects with a ConfigError naming the port setting (STREAM_PORT …) if a port is taken. */
export async function checkPortsFree(
  host: string,
  ports: Partial<Record<ServiceName, number>>,
): Promise<void> {
  for (const [service, port] of Object.entries(ports)) {
    if (!port) continue; // 0: the kernel picks a free one
    const err = await probe(host, port);
    if (!err) continue;
    const setting = `${service.toUpperCase()}_PORT`;
    const why =
      err.code === 'EADDRINUSE'
        ? 'is already in use (another video-server or program listens there)'
        : `cannot be bound (${err.code}: ${err.message})`;
    throw new ConfigError(setting, `${host}:${port} ${why}; choose another with --${service}-port`);
  }
}

/** `host` as it goes in a URL: a wildcard bind becomes loopback, an IPv6 address gets brackets. */
export function hostForUrl(host: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return h.includes(':') ? `[${h}]` : h;
}
