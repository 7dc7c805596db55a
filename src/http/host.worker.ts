/**
 * Entry of one HTTP thread: opens its own stores, builds the ServiceContext, starts the apps, and
 * talks to the host over parentPort:
 *   → { type: 'ready', ports }            once listening
 *   → { type: 'failed', code, message }   start-up failed (the thread then exits 1)
 *   ← { type: 'close', deadlineMs }       graceful close
 *   → { type: 'closed' }                  apps and stores closed (the thread then exits 0)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LimiterClient } from '../actors/index.js';
import type { Config, ServiceName } from '../config.js';
import { createLogger } from '../log.js';
import { openStores } from '../store/index.js';
import { startHttpApps } from './apps.js';
import type { ServiceContext } from './context.js';

export interface HttpThreadData {
  index: number;
  config: Config;
  services: ServiceName[];
  ports: Partial<Record<ServiceName, number>>;
  limiterShared: SharedArrayBuffer | undefined;
}

export type HostMessage =
  | { type: 'ready'; ports: Partial<Record<ServiceName, number>> }
  | { type: 'failed'; code: string; message: string }
  | { type: 'closed' };

const port = parentPort!;
const data = workerData as HttpThreadData;
const post = (m: HostMessage) => port.postMessage(m);

async function main(): Promise<void> {
  const log = createLogger(`http#${data.index}`);
  const stores = await openStores(data.config);
  try {
    const ctx: ServiceContext = {
      config: data.config,
      records: stores.records,
      queue: stores.queue,
      blobs: stores.blobs,
      limiter:
        data.limiterShared && data.services.includes('stream')
          ? new LimiterClient(data.limiterShared)
          : undefined,
      log,
    };
    const apps = await startHttpApps(ctx, data.services, {
      host: data.config.host,
      ports: data.ports,
    });
    port.on('message', (m: { type: 'close'; deadlineMs: number }) => {
      if (m.type !== 'close') return;
      apps
        .close(m.deadlineMs)
        .then(() => stores.close())
        .then(
          () => {
            post({ type: 'closed' });
            port.close();
          },
          (err: unknown) => {
            log.error('close failed', { err });
            process.exit(1);
          },
        );
    });
    post({ type: 'ready', ports: apps.ports });
  } catch (err) {
    await stores.close().catch(() => {});
    throw err;
  }
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  post({ type: 'failed', code: e?.code ?? 'ERR_HTTP_START', message: e?.message ?? String(err) });
  process.exit(1);
});
