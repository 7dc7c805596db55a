/**
 * The site as real processes (an empty DATA_DIR is covered by test/cli.test.ts on the build):
 * a split deployment (`--only api,stream,scheduler` + `--only web` with API_URL/STREAM_URL)
 * works through the web front's proxies. A web front whose api is down answers 502/503.
 */
import { afterAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers.reverse()) expect(await s.stop()).toBe(0);
});

async function relay(web: string, url: string, method: string, body?: unknown, cookie?: string) {
  const res = await fetch(`${web}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ url, method, req_body: body === undefined ? '' : JSON.stringify(body) }),
  });
  return {
    status: res.status,
    json: (await res.json().catch(() => undefined)) as { error: string } | undefined,
    setCookie: res.headers.get('set-cookie') ?? '',
  };
}

it('works split across processes, and reports a dead api as 502/503', async () => {
  const back = await startTestServer({ only: 'api,stream,scheduler' });
  servers.push(back);
  const front = await startTestServer({
    only: 'web',
    env: {
      API_URL: back.urls.api!,
      STREAM_URL: back.urls.stream!,
      SCHEDULER_URL: back.urls.scheduler!,
    },
  });
  servers.push(front);
  const web = front.urls.web!;
  const reg = await relay(web, '/user', 'POST', { user_name: 'splitter', pwd: 'split password' });
  expect(reg.status).toBe(201);
  const cookie = reg.setCookie.split(';')[0]!;
  const page = await fetch(`${web}/userhome`, { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('data-user-name="splitter"');

  expect(await back.stop()).toBe(0);
  const down = await relay(web, '/user/splitter', 'GET', undefined, cookie);
  expect(down.status).toBe(502);
  expect(down.json?.error).toMatch(/unreachable/);
  const downPage = await fetch(`${web}/userhome`, { headers: { cookie }, redirect: 'manual' });
  expect(downPage.status).toBe(503);
  expect(downPage.headers.get('content-type')).toMatch(/^text\/html/);
  // Two server processes start one after the other: on a loaded 2-core machine that alone has
  // taken ~30 s, the default timeout.
}, 120_000);
