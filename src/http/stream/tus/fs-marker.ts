/**
 * The taker's marker of fs-lease.ts: `<id>.locks/<stale token>.taking`, held by the one taker of
 * that stale lease while it re-reads and removes it, and what happens when that taker dies
 * holding it.
 *
 * Invariants:
 * - a marker is born whole (createWhole, as the lease is: written to a private file, then
 *   hard-linked; link(2) fails with EEXIST when one exists), and names its holder: the kernel's
 *   boot id, the pid namespace, the pid, and a random nonce naming this one hold;
 * - a marker is removed by its holder, or by whoever holds `<marker>.<nonce>.dead` (O_EXCL: one
 *   per hold) after proving the holder dead: same boot and pid namespace as this process, and no
 *   process with that pid (kill(pid, 0) → ESRCH; a zombie still counts as alive). A dead process
 *   makes no more system calls, so the lease removal it may have been about to make never comes.
 *   Under that `.dead` marker the marker is removed only if it still holds that hold's content
 *   (only its holder or that `.dead` holder could have changed it), then the `.dead` is dropped:
 *   a late recoverer finds another nonce or no marker, and removes nothing;
 * - no marker is ever taken from a holder that may be alive: not by age (a taker paused between
 *   its check and its unlink — SIGSTOP, swap, a saturated thread pool — would then remove a lease
 *   created after its check, and two writers would share the upload), not when its identity
 *   cannot be judged (another host or pid namespace on a shared DATA_DIR, or this container's
 *   own processes before it restarted, since a restart gets a new pid namespace; an empty marker
 *   of an earlier release; a thread of a live process). Those stay as before: the upload is locked
 *   until it expires (TUS_EXPIRY_MS), nothing is corrupted.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, readlink, unlink, writeFile } from 'node:fs/promises';

/** The errno code of a failed file operation (ENOENT, EEXIST …). */
export function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

let self: Promise<string | undefined> | undefined;

/** `<boot id> <pid namespace> <pid>` of this process; undefined where /proc cannot tell. */
function holder(): Promise<string | undefined> {
  self ??= Promise.all([
    readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
    readlink('/proc/self/ns/pid'),
  ]).then(
    ([boot, ns]) => `${boot.trim()} ${ns} ${process.pid}`,
    () => undefined,
  );
  return self;
}

/** Creates `path` naming this process as its holder; false when a marker exists. */
export async function holdMarker(path: string): Promise<boolean> {
  const nonce = randomBytes(12).toString('hex');
  return createWhole(path, `${(await holder()) ?? '? ? ?'} ${nonce}`, `${path}.${nonce}.new`);
}

/**
 * Creates `path` holding `content`, born whole: written to the private file `fresh` (a name
 * unique to this call, on the same filesystem), then hard-linked to `path` (link(2) fails with
 * EEXIST when it exists: one creator wins, and nobody reads it half-written). False when `path`
 * exists.
 */
export async function createWhole(path: string, content: string, fresh: string) {
  try {
    // Inside the try: a write that fails part-way (ENOSPC, EIO) has created the file already.
    await writeFile(fresh, content, { mode: 0o600 });
    await link(fresh, path);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(fresh).catch(() => {});
  }
}

/** True when the holder named by marker content `seen` is provably dead (see the header). */
async function deadHolder(seen: string): Promise<boolean> {
  const [boot, ns, pid] = seen.split(' ');
  const me = (await holder())?.split(' ');
  if (me === undefined || boot !== me[0] || ns !== me[1] || !/^[1-9][0-9]*$/.test(pid ?? '')) {
    return false;
  }
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return code(err) === 'ESRCH';
  }
}

/** Removes the marker at `path` if its holder died; true when this call removed it. */
export async function clearDeadMarker(path: string): Promise<boolean> {
  const seen = await readFile(path, 'utf8').catch(() => '');
  const nonce = seen.split(' ')[3] ?? '';
  if (!/^[0-9a-f]{24}$/.test(nonce) || !(await deadHolder(seen))) return false;
  const recovering = `${path}.${nonce}.dead`;
  try {
    await (await open(recovering, 'wx', 0o600)).close();
  } catch (err) {
    if (code(err) === 'EEXIST') return false; // another taker is clearing it
    throw err;
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => '')) !== seen) return false;
    await unlink(path);
    return true;
  } finally {
    await unlink(recovering).catch(() => {});
  }
}
