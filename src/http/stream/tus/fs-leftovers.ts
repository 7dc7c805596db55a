/**
 * What the fs tus store's uploads can leave in its directory that their removal (file-store.ts
 * `remove`, which reads no listing) does not reach, collected by the expiry sweep from its one
 * listing of the directory:
 * - the layout before `<id>.locks` (fs-lease.ts) kept an upload's markers and private files
 *   beside its lease, as `<id>.lock.<…>`: what writers or takers that died left there goes with
 *   the upload when the sweep expires it, or at the next sweep once the upload was removed
 *   otherwise (DELETE, completion) — nothing of an upload from before is left for good;
 * - `<id>.lock` and `<id>.locks` of a write that raced the upload's removal (its create after
 *   the remove): that write ends with 404, and leaves them, empty, for the sweep.
 *
 * Invariant: a leftover is dropped only once its upload is gone, i.e. its `<id>.json` is absent
 * when checked after the listing named the leftover. A lease or marker is only ever created for
 * an upload whose `<id>.json` exists (every write follows the create), and an id is never used
 * again, so that absence is for good. The listing alone cannot tell: a name created while
 * readdir runs may be missed, `<id>.json` among them, and the markers of a live upload dropped
 * would let two takers hold one stale lease.
 */
import { rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { code } from './fs-marker.js';

/** `<id>.lock`, `<id>.locks`, or `<id>.lock.<…>` (the layout before), with a safe id. */
const LEFTOVER = /^([A-Za-z0-9_-]{1,128})\.lock(?:s?$|\.)/;

/** The lease and marker names among `names` (one listing of the directory), by upload id. */
export function leftoversById(names: readonly string[]): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const name of names) {
    const id = LEFTOVER.exec(name)?.[1];
    if (id === undefined) continue;
    const list = byId.get(id);
    if (list) list.push(name);
    else byId.set(id, [name]);
  }
  return byId;
}

/** Removes `names` (from leftoversById) in `dir`, whatever of them is still there. */
export async function drop(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const path = join(dir, name);
    // Best effort, as the unlinks of a release: what fails stays for the next sweep.
    if (name.endsWith('.locks')) await rm(path, { recursive: true, force: true }).catch(() => {});
    else await unlink(path).catch(() => {});
  }
}

/** Drops upload `id`'s leftovers `names` once its `<id>.json` is absent (see the header). */
export async function dropIfGone(dir: string, id: string, names: readonly string[]) {
  const absent = await stat(join(dir, `${id}.json`)).then(
    () => false,
    (err: unknown) => code(err) === 'ENOENT',
  );
  if (absent) await drop(dir, names);
}
