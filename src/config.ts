/**
 * Typed configuration, from one place: defaults ← environment ← command-line flags.
 * The names are part of the public contract (ARCHITECTURE.md, "Configuration").
 * A bad value is a ConfigError naming the setting and what it accepts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defineErrors, VideoServerError } from './errors.js';
import {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  parseLogFormat,
  parseLogLevel,
} from './log.js';
import { STALL_MS } from './log-write.js';

export const SERVICES = ['web', 'api', 'stream', 'scheduler'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Config {
  /** Embedded database and video files. @default ./data (resolved to an absolute path) */
  dataDir: string;
  /** Use MongoDB for records when set. @default undefined → embedded LMDB */
  mongodbUri: string | undefined;
  /** Where video bytes live. `gridfs` needs `mongodbUri`; `s3` needs `s3Bucket`. @default 'fs' */
  blobStore: 'fs' | 'gridfs' | 's3';
  /** S3-compatible endpoint URL (`BLOB_STORE=s3`). @default undefined → AWS S3 */
  s3Endpoint: string | undefined;
  /** Bucket for `BLOB_STORE=s3`, created at start-up when missing. */
  s3Bucket: string | undefined;
  /** @default 'us-east-1' */
  s3Region: string;
  /** Path-style URLs (`http://host/bucket/key`), needed by most self-hosted S3 servers. @default false */
  s3ForcePathStyle: boolean;
  /** Bind address of the public services. @default 127.0.0.1 */
  host: string;
  /** Ports; 0 = any free port. @default web 8080, api 8000, stream 9000, scheduler 9001 */
  ports: Record<ServiceName, number>;
  /** uWS threads per service process. @default available cores */
  httpThreads: number;
  /** Limiter capacity (the seed used 2). @default 1024 */
  maxConns: number;
  /** Upload cap in bytes (the seed used 50 MB). @default 1 GiB */
  maxUploadBytes: number;
  /** Bytes of video one user may store in all; an upload beyond it is refused (413). @default 10 GiB */
  userQuotaBytes: number;
  /** Scheduler ticker period (seed 3 s). @default 3000 */
  schedulerIntervalMs: number;
  /** Deletion records per dispatch (seed 3). @default 3 */
  schedulerBatch: number;
  /** Idle lifetime of a session, renewed on use (seed: 30 min, fixed). @default 1800000 */
  sessionTtlMs: number;
  /** Absolute cap on a session's life however often it is used. @default 604800000 (7 days) */
  sessionMaxMs: number;
  /**
   * A tus upload not written to for this long (since its last stored byte, or its creation)
   * answers 410 and is removed by the scheduler's lifecycle sweep; 0 = never. @default 86400000
   * (24 h)
   */
  tusExpiryMs: number;
  /**
   * How often a tus write refreshes the lease that locks its upload (the heartbeat), and how old
   * a lease may get before it counts as a dead writer's and is taken over. The stale window is
   * how long a resume waits after a writer died; it must be several refreshes long, so a live but
   * slow writer is never taken for dead. @default 2000 / 10000
   */
  tusLeaseRefreshMs: number;
  tusLeaseStaleMs: number;
  /** Services this process runs. @default all four */
  only: ServiceName[];
  /** Where the services this process does not run live (split deployments). */
  apiUrl: string | undefined;
  streamUrl: string | undefined;
  schedulerUrl: string | undefined;
  /**
   * Bearer token of the scheduler's REST service, always required. Unset → generated at start-up
   * when the api runs in the same process; a scheduler or api on its own needs it set.
   */
  schedulerToken: string | undefined;
  /** Log threshold; every thread reads it from the environment (src/log.ts). @default info */
  logLevel: LogLevel;
  /** `json` lines, or `pretty` (pino-pretty) for a terminal. @default json */
  logFormat: LogFormat;
  /**
   * How long a log write waits for a stdout reader that takes nothing (a full pipe) before lines
   * are dropped and counted (src/log-write.ts; read from the environment by every thread).
   * @default 1000
   */
  logStallMs: number;
  /** One access log line per HTTP request. @default true (`ACCESS_LOG=off` disables) */
  accessLog: boolean;
  /** Prometheus `/metrics` port, bound to `host`; 0 = no metrics endpoint. @default 9464 */
  metricsPort: number;
  /** On SIGTERM, how long readiness reports 503 before listeners close. @default 2000 */
  shutdownGraceMs: number;
  /**
   * After an uncaught exception in the main thread, how long the graceful shutdown may take
   * before the process ends itself by SIGKILL (src/cli-run.ts): a bug may have left the
   * shutdown unable to finish. Above shutdownGraceMs, which the shutdown spends first.
   * @default 60000
   */
  fatalShutdownMs: number;
  /**
   * An HTTP thread whose heartbeat is silent this long is declared wedged and the process ends
   * (src/http/host-watchdog.ts); 0 = no watchdog. @default 30000
   */
  httpWatchdogMs: number;
  /**
   * The site's public origin (`https://videos.example.org`): the only Origin the web front accepts
   * on state-changing requests. @default undefined → the request's own Host (see README)
   */
  publicUrl: string | undefined;
  /**
   * Peers whose X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host are believed: addresses,
   * or `loopback`. @default [] (forwarded headers are ignored; the socket's address counts)
   */
  trustProxy: readonly string[];
  /** Sign-in, sign-up and comment throttles (points per window, in seconds). */
  rateLimits: RateLimits;
}

export interface RateLimit {
  points: number;
  durationSec: number;
}

/** Throttles of the api (`RATE_LIMITS`); each counts requests that passed input validation. */
export interface RateLimits {
  /** Sign-in attempts per account (cleared by a successful sign-in). @default 10 per 300 s */
  signInAccount: RateLimit;
  /** Sign-in attempts per client address. @default 60 per 60 s */
  signInAddress: RateLimit;
  /** Sign-ups per client address. @default 30 per 600 s */
  signUpAddress: RateLimit;
  /** Comments per user. @default 30 per 60 s */
  commentUser: RateLimit;
}

export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  signInAccount: Object.freeze({ points: 10, durationSec: 300 }),
  signInAddress: Object.freeze({ points: 60, durationSec: 60 }),
  signUpAddress: Object.freeze({ points: 30, durationSec: 600 }),
  commentUser: Object.freeze({ points: 30, durationSec: 60 }),
});

const RATE_LIMIT_NAMES: Readonly<Record<string, keyof RateLimits>> = Object.freeze({
  'sign-in-account': 'signInAccount',
  'sign-in-address': 'signInAddress',
  'sign-up-address': 'signUpAddress',
  'comment-user': 'commentUser',
});

/** `sign-in-address=60/60,comment-user=30/60` over the defaults. */
function rateLimits(name: string, raw: string): RateLimits {
  const out: RateLimits = { ...DEFAULT_RATE_LIMITS };
  for (const part of raw.split(',').map((s) => s.trim())) {
    const m = /^([a-z-]+)=(\d+)\/(\d+)$/.exec(part);
    const key = m ? RATE_LIMIT_NAMES[m[1]!] : undefined;
    if (!m || !key) {
      throw new ConfigError(
        name,
        `must be a list of <limit>=<points>/<seconds> with <limit> among ${Object.keys(RATE_LIMIT_NAMES).join(', ')}, got "${part}"`,
      );
    }
    out[key] = { points: int(name, m[2]!, 1, 1_000_000), durationSec: int(name, m[3]!, 1, 86_400) };
  }
  return out;
}

function trustList(name: string, raw: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const a of list) {
    if (a !== 'loopback' && isIP(a) === 0) {
      throw new ConfigError(name, `must list IP addresses or "loopback", got "${a}"`);
    }
  }
  return list;
}

function origin(name: string, raw: string): string {
  const u = url(name, raw);
  const parsed = new URL(u);
  if (parsed.pathname !== '/' || parsed.search || parsed.hash || parsed.username) {
    throw new ConfigError(name, `must be an origin like https://videos.example.org, got "${raw}"`);
  }
  return parsed.origin;
}

/** A bad setting: the message starts with its name (`PORT: …`). */
export class ConfigError extends VideoServerError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super('ERR_CONFIG', `${setting}: ${message}`);
  }
}

defineErrors('config', { ERR_CONFIG: ConfigError });

/** FATAL_SHUTDOWN_MS's default, and its margin past a SHUTDOWN_GRACE_MS at least as long: the
 *  shutdown's own fixed deadlines after the grace add up to about 50 s. */
const FATAL_SHUTDOWN_MS = 60_000;

const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = Object.freeze({
  web: 8080,
  api: 8000,
  stream: 9000,
  scheduler: 9001,
});

/** One row per setting: env name, flag, and how to parse it. */
interface Setting {
  env?: string;
  flag?: string;
  apply(cfg: Config, raw: string, name: string): void;
}

function int(name: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bad(name: string, message: string): never {
  throw new ConfigError(name, message);
}

function url(name: string, raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    return raw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
}

const port = (svc: ServiceName): Setting => ({
  env: `${svc.toUpperCase()}_PORT`,
  flag: `--${svc}-port`,
  apply: (c, raw, name) => {
    c.ports[svc] = int(name, raw, 0, 65535);
  },
});

const SETTINGS: Setting[] = [
  { env: 'DATA_DIR', flag: '--data-dir', apply: (c, raw) => void (c.dataDir = resolve(raw)) },
  {
    env: 'MONGODB_URI',
    flag: '--mongodb-uri',
    apply: (c, raw, name) => {
      if (!/^mongodb(\+srv)?:\/\//.test(raw)) {
        throw new ConfigError(name, 'must start with mongodb:// or mongodb+srv://');
      }
      c.mongodbUri = raw;
    },
  },
  {
    env: 'BLOB_STORE',
    flag: '--blob-store',
    apply: (c, raw, name) => {
      if (raw !== 'fs' && raw !== 'gridfs' && raw !== 's3')
        throw new ConfigError(name, `must be fs, gridfs or s3, got "${raw}"`);
      c.blobStore = raw;
    },
  },
  { env: 'S3_ENDPOINT', apply: (c, raw, n) => void (c.s3Endpoint = url(n, raw)) },
  {
    env: 'S3_BUCKET',
    apply: (c, raw, name) => {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw)) {
        throw new ConfigError(name, `must be a bucket name (3-63 of a-z 0-9 . -), got "${raw}"`);
      }
      c.s3Bucket = raw;
    },
  },
  {
    env: 'S3_REGION',
    apply: (c, raw, name) => {
      if (!/^[a-z0-9-]{1,64}$/.test(raw))
        throw new ConfigError(name, `must be a region name such as us-east-1, got "${raw}"`);
      c.s3Region = raw;
    },
  },
  {
    env: 'S3_FORCE_PATH_STYLE',
    apply: (c, raw, name) => {
      if (!/^(true|false|1|0)$/.test(raw))
        throw new ConfigError(name, `must be true or false, got "${raw}"`);
      c.s3ForcePathStyle = raw === 'true' || raw === '1';
    },
  },
  { env: 'HOST', flag: '--host', apply: (c, raw) => void (c.host = raw) },
  port('web'),
  port('api'),
  port('stream'),
  port('scheduler'),
  {
    env: 'HTTP_THREADS',
    flag: '--threads',
    apply: (c, raw, n) => void (c.httpThreads = int(n, raw, 1, 256)),
  },
  {
    env: 'STREAM_MAX_CONNS',
    flag: '--max-conns',
    apply: (c, raw, n) => void (c.maxConns = int(n, raw, 1)),
  },
  {
    env: 'MAX_UPLOAD_BYTES',
    flag: '--max-upload',
    apply: (c, raw, n) => void (c.maxUploadBytes = int(n, raw, 1)),
  },
  {
    env: 'USER_QUOTA_BYTES',
    flag: '--user-quota',
    apply: (c, raw, n) => void (c.userQuotaBytes = int(n, raw, 1)),
  },
  {
    env: 'SCHEDULER_INTERVAL_MS',
    apply: (c, raw, n) => void (c.schedulerIntervalMs = int(n, raw, 10)),
  },
  {
    env: 'SCHEDULER_BATCH',
    apply: (c, raw, n) => void (c.schedulerBatch = int(n, raw, 1, 10_000)),
  },
  { env: 'SESSION_TTL_MS', apply: (c, raw, n) => void (c.sessionTtlMs = int(n, raw, 1000)) },
  { env: 'SESSION_MAX_MS', apply: (c, raw, n) => void (c.sessionMaxMs = int(n, raw, 1000)) },
  {
    env: 'TUS_EXPIRY_MS',
    flag: '--tus-expiry',
    apply: (c, raw, n) => void (c.tusExpiryMs = int(n, raw, 0)),
  },
  {
    env: 'TUS_LEASE_REFRESH_MS',
    apply: (c, raw, n) => void (c.tusLeaseRefreshMs = int(n, raw, 10, 10_000)),
  },
  {
    env: 'TUS_LEASE_STALE_MS',
    // At most 30 s: the page's tus retries (views/static/js/upload.js) wait 44 s in all.
    apply: (c, raw, n) => void (c.tusLeaseStaleMs = int(n, raw, 30, 30_000)),
  },
  { env: 'API_URL', apply: (c, raw, n) => void (c.apiUrl = url(n, raw)) },
  { env: 'STREAM_URL', apply: (c, raw, n) => void (c.streamUrl = url(n, raw)) },
  { env: 'SCHEDULER_URL', apply: (c, raw, n) => void (c.schedulerUrl = url(n, raw)) },
  { env: 'SCHEDULER_TOKEN', apply: (c, raw) => void (c.schedulerToken = raw) },
  {
    env: 'LOG_LEVEL',
    apply: (c, raw, n) => {
      c.logLevel =
        parseLogLevel(raw) ?? bad(n, `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
    },
  },
  {
    env: 'LOG_STALL_MS',
    apply: (c, raw, n) => void (c.logStallMs = int(n, raw, 0, 600_000)),
  },
  {
    env: 'ACCESS_LOG',
    apply: (c, raw, n) => {
      if (raw !== 'on' && raw !== 'off') bad(n, `must be on or off, got "${raw}"`);
      c.accessLog = raw === 'on';
    },
  },
  {
    env: 'METRICS_PORT',
    flag: '--metrics-port',
    apply: (c, raw, n) => void (c.metricsPort = int(n, raw, 0, 65535)),
  },
  {
    env: 'SHUTDOWN_GRACE_MS',
    apply: (c, raw, n) => void (c.shutdownGraceMs = int(n, raw, 0, 600_000)),
  },
  {
    env: 'FATAL_SHUTDOWN_MS',
    flag: '--fatal-shutdown',
    apply: (c, raw, n) => void (c.fatalShutdownMs = int(n, raw, 1000, 3_600_000)),
  },
  {
    env: 'HTTP_WATCHDOG_MS',
    apply: (c, raw, n) => {
      const ms = int(n, raw, 0, 3_600_000);
      // A deadline near the 1 s heartbeat would declare busy-but-healthy threads wedged.
      if (ms !== 0 && ms < 2000) bad(n, `must be 0 (off) or at least 2000, got ${ms}`);
      c.httpWatchdogMs = ms;
    },
  },
  {
    env: 'LOG_FORMAT',
    apply: (c, raw, n) => {
      c.logFormat =
        parseLogFormat(raw) ?? bad(n, `must be one of ${LOG_FORMATS.join(', ')}, got "${raw}"`);
    },
  },
  {
    env: 'PUBLIC_URL',
    flag: '--public-url',
    apply: (c, raw, n) => void (c.publicUrl = origin(n, raw)),
  },
  { env: 'TRUST_PROXY', apply: (c, raw, n) => void (c.trustProxy = trustList(n, raw)) },
  { env: 'RATE_LIMITS', apply: (c, raw, n) => void (c.rateLimits = rateLimits(n, raw)) },
  {
    flag: '--only',
    apply: (c, raw, name) => {
      const list = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((s) => !(SERVICES as readonly string[]).includes(s));
      if (list.length === 0 || bad.length > 0) {
        throw new ConfigError(name, `must list services among ${SERVICES.join(',')}, got "${raw}"`);
      }
      c.only = [...new Set(list)] as ServiceName[];
    },
  },
];

export function defaultConfig(): Config {
  return {
    dataDir: resolve('./data'),
    mongodbUri: undefined,
    blobStore: 'fs',
    s3Endpoint: undefined,
    s3Bucket: undefined,
    s3Region: 'us-east-1',
    s3ForcePathStyle: false,
    host: '127.0.0.1',
    ports: { ...DEFAULT_PORTS },
    httpThreads: availableParallelism(),
    maxConns: 1024,
    maxUploadBytes: 1024 ** 3,
    userQuotaBytes: 10 * 1024 ** 3,
    schedulerIntervalMs: 3000,
    schedulerBatch: 3,
    sessionTtlMs: 30 * 60 * 1000,
    sessionMaxMs: 7 * 24 * 3600 * 1000,
    tusExpiryMs: 24 * 3600 * 1000,
    tusLeaseRefreshMs: 2000,
    tusLeaseStaleMs: 10_000,
    only: [...SERVICES],
    apiUrl: undefined,
    streamUrl: undefined,
    schedulerUrl: undefined,
    schedulerToken: undefined,
    logLevel: 'info',
    logFormat: 'json',
    logStallMs: STALL_MS,
    accessLog: true,
    metricsPort: 9464,
    shutdownGraceMs: 2000,
    fatalShutdownMs: FATAL_SHUTDOWN_MS,
    httpWatchdogMs: 30_000,
    publicUrl: undefined,
    trustProxy: [],
    rateLimits: DEFAULT_RATE_LIMITS,
  };
}

/**
 * The scheduler's token is never optional: generated when the api that uses it runs in this
 * process (32 random bytes), required when the scheduler or the api is on its own.
 */
function settleSchedulerToken(cfg: Config): void {
  if (cfg.schedulerToken) return;
  const runs = (s: ServiceName) => cfg.only.includes(s);
  if (runs('scheduler') && runs('api')) {
    cfg.schedulerToken = randomBytes(32).toString('base64url');
  } else if (runs('scheduler')) {
    throw new ConfigError(
      'SCHEDULER_TOKEN',
      'is required when the scheduler runs without the api (the remote api sends it)',
    );
  } else if (runs('api') && cfg.schedulerUrl) {
    throw new ConfigError(
      'SCHEDULER_TOKEN',
      'is required with SCHEDULER_URL (the scheduler checks it)',
    );
  }
}

/** Whether a setting was given, by its environment variable or its flag. */
function given(env: NodeJS.ProcessEnv, argv: readonly string[], name: string, flag: string) {
  return !!env[name] || argv.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/**
 * Builds the configuration. Flags take `--name value` or `--name=value`; unknown flags are errors.
 * @param argv flags only (no command word)
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = [],
): Config {
  const cfg = defaultConfig();
  for (const s of SETTINGS) {
    const raw = s.env ? env[s.env] : undefined;
    if (raw !== undefined && raw !== '') s.apply(cfg, raw, s.env!);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new ConfigError(flag, 'unknown option (see `video-server --help`)');
    const raw = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined) throw new ConfigError(flag, 'needs a value');
    setting.apply(cfg, raw, flag);
  }
  if (cfg.blobStore === 'gridfs' && !cfg.mongodbUri) {
    throw new ConfigError('BLOB_STORE', 'gridfs needs MONGODB_URI');
  }
  settleSchedulerToken(cfg);
  if (cfg.blobStore === 's3' && !cfg.s3Bucket) {
    throw new ConfigError('BLOB_STORE', 's3 needs S3_BUCKET');
  }
  if (cfg.sessionMaxMs < cfg.sessionTtlMs) {
    throw new ConfigError('SESSION_MAX_MS', 'must not be below SESSION_TTL_MS');
  }
  if (cfg.tusLeaseStaleMs < 3 * cfg.tusLeaseRefreshMs) {
    throw new ConfigError('TUS_LEASE_STALE_MS', 'must be at least 3 × TUS_LEASE_REFRESH_MS');
  }
  // The shutdown holds readiness at 503 for the grace before it closes anything: a bound within
  // it would SIGKILL every shutdown after an uncaught exception before a listener closed. Unset,
  // the bound follows a grace of a minute or more (one set before FATAL_SHUTDOWN_MS existed must
  // not stop the server from starting); set, it must be above the grace.
  if (cfg.fatalShutdownMs <= cfg.shutdownGraceMs) {
    if (given(env, argv, 'FATAL_SHUTDOWN_MS', '--fatal-shutdown')) {
      throw new ConfigError('FATAL_SHUTDOWN_MS', 'must be above SHUTDOWN_GRACE_MS');
    }
    cfg.fatalShutdownMs = cfg.shutdownGraceMs + FATAL_SHUTDOWN_MS;
  }
  return Object.freeze(cfg) as Config;
}

/**
 * Start-up check of DATA_DIR when this process keeps anything there (LMDB records unless
 * MONGODB_URI, video files unless BLOB_STORE=gridfs): created if missing, then a file written and
 * removed. Rejects with a ConfigError naming DATA_DIR, the path and the cause (a read-only file
 * system used to surface as "ENOENT mkdir …" from deep inside a store).
 */
export async function checkDataDir(config: Config): Promise<void> {
  if (config.mongodbUri && config.blobStore === 'gridfs') return;
  const probe = join(config.dataDir, `.write-check-${process.pid}`);
  try {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    const e = await rootCause(config.dataDir, err as NodeJS.ErrnoException);
    throw new ConfigError(
      'DATA_DIR',
      `${config.dataDir} is not a writable directory (${e.code ?? 'error'}: ${e.message})`,
    );
  }
}

/**
 * `mkdir -p` reports ENOENT when a missing component cannot be created (a read-only file system
 * says EROFS only to a plain mkdir): retry the first missing component alone to learn why.
 */
async function rootCause(dir: string, err: NodeJS.ErrnoException): Promise<NodeJS.ErrnoException> {
  if (err.code !== 'ENOENT') return err;
  let missing = dir;
  for (let parent = dirname(missing); parent !== missing; parent = dirname(parent)) {
    if (
      await stat(parent).then(
        () => true,
        () => false,
      )
    ) {
      return mkdir(missing).then(
        () => err,
        (e: NodeJS.ErrnoException) => e,
      );
    }
    missing = parent;
  }
  return err;
}

/** Help text for the flags, generated from the same table. */
export function describeSettings(): string {
  return SETTINGS.map((s) => `  ${(s.flag ?? '').padEnd(18)} ${s.env ?? ''}`).join('\n');
}
