/**
 * The write lease of lease.ts for uploads under one directory (file-store.ts): `<id>.lock`, and
 * beside it the directory `<id>.locks` of the upload's markers and private files (created by the
 * first write or takeover): what a writer or taker that died leaves is in there, so removing the
 * upload removes that one directory and never searches the whole upload directory for them.
 * (Before, they sat beside the lease as `<id>.lock.<…>`; the sweep still collects those,
 * fs-leftovers.ts. Processes of both layouts must not share a directory at once: their takers
 * would not see each other's markers.)
 *
 * Invariants:
 * - a lease is born whole: its content, a random token (its version), is written to a private
 *   file `<id>.locks/<token>.new` that is then hard-linked to `<id>.lock` — link(2) fails with
 *   EEXIST when a lease exists, so among every thread and process on the directory exactly one
 *   create succeeds, and nobody ever reads a lease without its token;
 * - its mtime is its heartbeat; its age is measured on the same host's clock that wrote it (a
 *   shared DATA_DIR over NFS would need agreeing clocks). A refresh opens the lease, checks its
 *   token and moves its mtime through that one descriptor, so it only ever touches its own: a
 *   lease of another token, none, or its own with no name left (removed under it by a taker or by
 *   hand) reports the lease lost, and another write's lease is never refreshed by this one;
 * - taking over the stale lease of token T needs the exclusive marker `<id>.locks/<T>.taking`
 *   (O_EXCL: one taker per stale lease); under it the taker re-reads the lease through one file
 *   descriptor and removes it only if it still holds T and is still stale, then drops the marker.
 *   A late taker of T that gets the marker after that finds another token (T is never created
 *   again) or no lease, and removes nothing. A marker whose holder process died is cleared by the
 *   next taker, which then takes it (fs-marker.ts), only when that taker runs on the same host
 *   (boot id) and in the same pid namespace: a marker left by another node on a shared DATA_DIR,
 *   or by a container since restarted (a new pid namespace), is never judged dead, nor one whose
 *   holder may be alive; that upload stays locked until it expires (TUS_EXPIRY_MS), and nothing
 *   is corrupted;
 * - the release removes the lease only if it still holds the holder's own token.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { clearDeadMarker, code, createWhole, holdMarker } from './fs-marker.js';
import type { HeldLease, LeaseOps } from './lease.js';

/** The lease file opened for reading; undefined when there is none. */
async function openLease(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The lease file's token and age, read through one descriptor; undefined when there is none. */
async function readLease(path: string): Promise<HeldLease | undefined> {
  const fd = await openLease(path);
  if (fd === undefined) return undefined;
  try {
    const [st, content] = await Promise.all([fd.stat(), fd.readFile('utf8')]);
    return { version: content, ageMs: Date.now() - st.mtimeMs };
  } finally {
    await fd.close();
  }
}

/** The directory of upload `id`'s lease markers and private files, beside its lease. */
export function markerDir(dir: string, id: string): string {
  return join(dir, `${id}.locks`);
}

/** The lease operations for upload `id` in `dir` (the id is checked safe by the caller). */
export function fileLease(dir: string, id: string): LeaseOps {
  const path = join(dir, `${id}.lock`);
  const markers = markerDir(dir, id);
  const token = randomBytes(12).toString('hex');
  return {
    async create() {
      await mkdir(markers, { recursive: true, mode: 0o700 });
      return createWhole(path, token, join(markers, `${token}.new`));
    },
    inspect: () => readLease(path),
    async takeOver(stale: HeldLease, staleMs: number) {
      // An empty lease is an earlier release's (no token): it is never created again either.
      const name = /^[0-9a-f]{24}$/.test(stale.version) ? stale.version : 'untokened';
      const marker = join(markers, `${name}.taking`);
      await mkdir(markers, { recursive: true, mode: 0o700 });
      let held = await holdMarker(marker);
      // Another taker has it, unless that one died holding it: then this one clears and takes it.
      if (!held && (await clearDeadMarker(marker))) held = await holdMarker(marker);
      if (!held) return false;
      try {
        const now = await readLease(path);
        if (now?.version !== stale.version || now.ageMs <= staleMs) return false;
        await unlink(path);
        return true;
      } finally {
        await unlink(marker).catch(() => {});
      }
    },
    async refresh() {
      const fd = await openLease(path);
      if (fd === undefined) return false;
      try {
        if ((await fd.readFile('utf8')) !== token) return false;
        const now = new Date();
        await fd.utimes(now, now);
        // Unlinked since the open (taken over): the new mtime is on a file nobody reads.
        return (await fd.stat()).nlink > 0;
      } finally {
        await fd.close();
      }
    },
    async remove() {
      if ((await readLease(path))?.version === token) await unlink(path);
    },
  };
}
