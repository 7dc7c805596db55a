/**
 * Runs the shipped deploy/nginx.conf with the Debian nginx binary, on loopback ports in a temp
 * dir. Only these lines are rewritten, and each must match exactly once (a drifted config fails
 * loudly instead of testing something else): the node list between `# nodes: begin/end`, the two
 * `listen` lines, the certificate pair (a fresh self-signed one from openssl), the log paths.
 * nginx runs with the environment of the shipped systemd drop-in (deploy/nginx.service.d/).
 * Temp paths, pid, `daemon off` and (as root) `user root` are added for the sandbox. The njs file
 * the config imports (deploy/nginx-headers.js) is copied next to it, as the install says.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CONF = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));
const HEADERS_JS = fileURLToPath(new URL('../../deploy/nginx-headers.js', import.meta.url));
const SERVICE_ENV = fileURLToPath(
  new URL('../../deploy/nginx.service.d/malloc.conf', import.meta.url),
);
const run = promisify(execFile);

export interface Nginx {
  /** `http://127.0.0.1:P` — the redirecting plain-HTTP server. */
  http: string;
  /** `https://127.0.0.1:P` — the TLS server proxying to the nodes. */
  https: string;
  httpsPort: number;
  /** The self-signed certificate (PEM) to trust. */
  ca: string;
  stop(): Promise<void>;
}

function replaceOnce(text: string, pattern: RegExp, by: string): string {
  const matches = text.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`));
  if (matches?.length !== 1) {
    throw new Error(
      `deploy/nginx.conf: expected one match of ${pattern}, found ${matches?.length ?? 0}`,
    );
  }
  return text.replace(pattern, by);
}

/**
 * The environment deploy/nginx.service.d/malloc.conf gives nginx (its `Environment=` lines), so
 * the tests and benchmarks run nginx as the deployment does. None found fails loudly.
 */
export async function deployNginxEnv(): Promise<Record<string, string>> {
  const text = await readFile(SERVICE_ENV, 'utf8');
  const env: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(/^Environment=([A-Z_][A-Z0-9_]*)=(\S+)$/gm)) {
    env[key!] = value!;
  }
  if (Object.keys(env).length === 0) {
    throw new Error(`${SERVICE_ENV}: expected Environment=KEY=VALUE lines, found none`);
  }
  return env;
}

/** deploy/nginx.conf with the sandbox's nodes, ports and paths. */
export async function renderConf(o: {
  nodes: string[];
  httpPort: number;
  httpsPort: number;
  cert: string;
  key: string;
  dir: string;
  /** Proxy on the plain-HTTP server too instead of redirecting (benchmarks: no TLS cost). */
  plainProxy?: boolean;
}): Promise<string> {
  let c = await readFile(CONF, 'utf8');
  c = replaceOnce(
    c,
    /# nodes: begin[^\n]*\n[\s\S]*?# nodes: end/,
    `# nodes: begin\n${o.nodes.map((n) => `        server ${n} max_fails=3 fail_timeout=10s;`).join('\n')}\n        # nodes: end`,
  );
  c = replaceOnce(c, /listen 443 ssl;/, `listen 127.0.0.1:${o.httpsPort} ssl;`);
  c = replaceOnce(c, /listen 80;/, `listen 127.0.0.1:${o.httpPort};`);
  c = replaceOnce(c, /ssl_certificate \S+;/, `ssl_certificate ${o.cert};`);
  c = replaceOnce(c, /ssl_certificate_key \S+;/, `ssl_certificate_key ${o.key};`);
  if (o.plainProxy) {
    c = replaceOnce(
      c,
      /return 301 https:\/\/\$host\$request_uri;/,
      'proxy_pass http://video_site;',
    );
  }
  c = replaceOnce(c, /access_log \S+;/, `access_log ${join(o.dir, 'access.log')};`);
  c = replaceOnce(c, /error_log \S+ warn;/, `error_log ${join(o.dir, 'error.log')} warn;`);
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${join(o.dir, t)};`)
    .join('\n');
  return replaceOnce(c, /http \{\n/, `http {\n${temps}\n`);
}

function waitPort(port: number, child: ChildProcess, log: () => Promise<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const onExit = async (code: number | null) =>
      reject(new Error(`nginx exited with ${code}:\n${await log()}`));
    child.once('exit', onExit);
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        child.off('exit', onExit);
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error('nginx did not listen within 30 s'));
        // Polling a port until nginx binds it; nginx prints nothing on success.
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export async function startNginx(
  nodes: string[],
  ports: { http: number; https: number },
  options: {
    plainProxy?: boolean;
    /** Leave out deploy/nginx.service.d's environment (benchmarks: what it is worth). */
    withoutServiceEnv?: boolean;
  } = {},
): Promise<Nginx> {
  const { withoutServiceEnv, ...render } = options;
  const dir = await mkdtemp(join(tmpdir(), 'nginx-nodes-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const conf = join(dir, 'nginx.conf');
    await copyFile(HEADERS_JS, join(dir, 'nginx-headers.js'));
    await writeFile(
      conf,
      await renderConf({
        nodes,
        httpPort: ports.http,
        httpsPort: ports.https,
        cert,
        key,
        dir,
        ...render,
      }),
    );
    const globals = `daemon off; pid ${join(dir, 'nginx.pid')};${process.getuid?.() === 0 ? ' user root;' : ''}`;
    const child = spawn(
      'nginx',
      ['-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', globals],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...(withoutServiceEnv ? {} : await deployNginxEnv()) },
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    };
    try {
      await waitPort(
        ports.https,
        child,
        async () => stderr + (await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')),
      );
    } catch (e) {
      await stop();
      throw e;
    }
    return {
      http: `http://127.0.0.1:${ports.http}`,
      https: `https://127.0.0.1:${ports.https}`,
      httpsPort: ports.https,
      ca: await readFile(cert, 'utf8'),
      stop,
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
