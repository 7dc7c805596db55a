/**
 * Driving the watch page's `<video id="player">` from a test. Page code runs as strings or
 * functions: the pages' CSP forbids string predicates in waitForFunction, and the project
 * compiles without DOM typings.
 */
import type { Page } from 'playwright-core';

// biome-ignore lint/suspicious/noExplicitAny: page-side predicates; the project has no DOM typings
declare const document: any;

/** Starts the player muted (no user gesture in a headless run) and waits for 0.5 s of play. */
export async function playMuted(page: Page): Promise<void> {
  await page.evaluate(
    `(async () => { const v = document.getElementById('player'); v.muted = true; await v.play(); })()`,
  );
  await page.waitForFunction(() => document.getElementById('player').currentTime > 0.5);
}

/** Seeks to `seconds`; resolves with the time the player landed on (its `seeked` event). */
export async function seekTo(page: Page, seconds: number): Promise<number> {
  await page.evaluate(`(() => {
    const v = document.getElementById('player');
    window.__seeked = new Promise((r) => v.addEventListener('seeked', () => r(v.currentTime), { once: true }));
    v.currentTime = ${Number(seconds)};
  })()`);
  return (await page.evaluate('window.__seeked')) as number;
}
