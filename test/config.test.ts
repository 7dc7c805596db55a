import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults that run out of the box', () => {
    const c = loadConfig({}, []);
    expect(c.ports).toEqual({ web: 8080, api: 8000, stream: 9000, scheduler: 9001 });
    expect(c.host).toBe('127.0.0.1');
    expect(c.maxConns).toBe(1024);
    expect(c.maxUploadBytes).toBe(1024 ** 3);
    expect(c.mongodbUri).toBeUndefined();
    expect(c.only).toEqual(['web', 'api', 'stream', 'scheduler']);
  });

  it('lets flags override the environment', () => {
    const c = loadConfig({ STREAM_PORT: '9100', STREAM_MAX_CONNS: '7' }, [
      '--stream-port=0',
      '--max-conns',
      '9',
    ]);
    expect(c.ports.stream).toBe(0);
    expect(c.maxConns).toBe(9);
  });

  it('names the bad setting', () => {
    expect(() => loadConfig({ STREAM_MAX_CONNS: 'lots' })).toThrow(
      /STREAM_MAX_CONNS: must be an integer/,
    );
    expect(() => loadConfig({}, ['--web-port', '70000'])).toThrow(
      /--web-port: must be between 0 and 65535/,
    );
    expect(() => loadConfig({}, ['--only', 'stream,db'])).toThrow(ConfigError);
    expect(() => loadConfig({}, ['--frobnicate'])).toThrow(/unknown option/);
    expect(() => loadConfig({ BLOB_STORE: 'gridfs' })).toThrow(/gridfs needs MONGODB_URI/);
    expect(() => loadConfig({ MONGODB_URI: 'postgres://x' })).toThrow(/MONGODB_URI/);
  });

  it('reads the HTTP watchdog deadline: 0 = off, else at least 2 s (the heartbeat is 1 s)', () => {
    expect(loadConfig({}, []).httpWatchdogMs).toBe(30_000);
    expect(loadConfig({ HTTP_WATCHDOG_MS: '0' }, []).httpWatchdogMs).toBe(0);
    expect(loadConfig({ HTTP_WATCHDOG_MS: '8000' }, []).httpWatchdogMs).toBe(8000);
    expect(() => loadConfig({ HTTP_WATCHDOG_MS: '1500' })).toThrow(
      /HTTP_WATCHDOG_MS: must be 0 \(off\) or at least 2000/,
    );
    expect(() => loadConfig({ HTTP_WATCHDOG_MS: 'soon' })).toThrow(/HTTP_WATCHDOG_MS/);
  });

  it('reads the bound on the shutdown after an uncaught exception: above the readiness grace', () => {
    expect(loadConfig({}, []).fatalShutdownMs).toBe(60_000);
    expect(loadConfig({ FATAL_SHUTDOWN_MS: '90000' }, []).fatalShutdownMs).toBe(90_000);
    expect(loadConfig({}, ['--fatal-shutdown', '5000']).fatalShutdownMs).toBe(5000);
    expect(() => loadConfig({ FATAL_SHUTDOWN_MS: '999' })).toThrow(
      /FATAL_SHUTDOWN_MS: must be between 1000/,
    );
    expect(() => loadConfig({ FATAL_SHUTDOWN_MS: 'later' })).toThrow(/FATAL_SHUTDOWN_MS/);
    expect(() => loadConfig({ FATAL_SHUTDOWN_MS: '2000' })).toThrow(
      /FATAL_SHUTDOWN_MS: must be above SHUTDOWN_GRACE_MS/,
    );
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: '90000' }, ['--fatal-shutdown=60000'])).toThrow(
      /FATAL_SHUTDOWN_MS: must be above SHUTDOWN_GRACE_MS/,
    );
    const c = loadConfig({ FATAL_SHUTDOWN_MS: '2000', SHUTDOWN_GRACE_MS: '0' }, []);
    expect(c.fatalShutdownMs).toBe(2000);
    // A grace of a minute or more set without the bound still starts: the bound follows it.
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '90000' }, []).fatalShutdownMs).toBe(150_000);
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '60000' }, []).fatalShutdownMs).toBe(120_000);
  });

  it('reads the log stall bound: how long a log write waits for a stdout that takes nothing', () => {
    expect(loadConfig({}, []).logStallMs).toBe(1000);
    expect(loadConfig({ LOG_STALL_MS: '0' }, []).logStallMs).toBe(0);
    expect(loadConfig({ LOG_STALL_MS: '120000' }, []).logStallMs).toBe(120_000);
    expect(() => loadConfig({ LOG_STALL_MS: '-1' })).toThrow(/LOG_STALL_MS/);
    expect(() => loadConfig({ LOG_STALL_MS: '600001' })).toThrow(/LOG_STALL_MS/);
  });

  it('reads the tus lease timing: stale at least 3 × refresh, at most 30 s', () => {
    const d = loadConfig({}, []);
    expect([d.tusLeaseRefreshMs, d.tusLeaseStaleMs]).toEqual([2000, 10_000]);
    const c = loadConfig({ TUS_LEASE_REFRESH_MS: '500', TUS_LEASE_STALE_MS: '4000' }, []);
    expect([c.tusLeaseRefreshMs, c.tusLeaseStaleMs]).toEqual([500, 4000]);
    expect(() => loadConfig({ TUS_LEASE_STALE_MS: '5000' })).toThrow(
      /TUS_LEASE_STALE_MS: must be at least 3 × TUS_LEASE_REFRESH_MS/,
    );
    expect(() => loadConfig({ TUS_LEASE_STALE_MS: '60000' })).toThrow(/TUS_LEASE_STALE_MS/);
    expect(() => loadConfig({ TUS_LEASE_REFRESH_MS: 'often' })).toThrow(/TUS_LEASE_REFRESH_MS/);
  });

  it('reads the S3 blob store settings, each validated by name', () => {
    const c = loadConfig({
      BLOB_STORE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:8333/',
      S3_BUCKET: 'videos',
      S3_REGION: 'eu-west-1',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(c).toMatchObject({
      blobStore: 's3',
      s3Endpoint: 'http://127.0.0.1:8333',
      s3Bucket: 'videos',
      s3Region: 'eu-west-1',
      s3ForcePathStyle: true,
    });
    expect(loadConfig({}).s3Region).toBe('us-east-1');
    expect(() => loadConfig({ BLOB_STORE: 's3' })).toThrow(/BLOB_STORE: s3 needs S3_BUCKET/);
    expect(() => loadConfig({ S3_BUCKET: 'Bad_Name' })).toThrow(/S3_BUCKET: must be a bucket name/);
    expect(() => loadConfig({ S3_ENDPOINT: 'ftp://x' })).toThrow(/S3_ENDPOINT/);
    expect(() => loadConfig({ S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/S3_FORCE_PATH_STYLE/);
    expect(() => loadConfig({ BLOB_STORE: 'nfs' })).toThrow(/fs, gridfs or s3/);
  });

  it('parses --only into a set of services', () => {
    const env = { SCHEDULER_TOKEN: 't' }; // a scheduler without the api needs its token
    expect(loadConfig(env, ['--only', 'stream,scheduler,stream']).only).toEqual([
      'stream',
      'scheduler',
    ]);
  });
});
