/**
 * What the fs tus store holds in its directory (tus-fs-*.test.ts, tus-lease-fs.test.ts): the
 * names there, and in each upload's directory of markers `<id>.locks` as `<id>.locks/<name>`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The names in `dir` that `keep` accepts, and those in each `<id>.locks` among them, sorted. */
export async function namesDeep(dir: string, keep: (name: string) => boolean = () => true) {
  const out: string[] = [];
  for (const name of (await readdir(dir)).filter(keep)) {
    out.push(name);
    if (name.endsWith('.locks'))
      out.push(...(await readdir(join(dir, name))).map((f) => `${name}/${f}`));
  }
  return out.sort();
}
