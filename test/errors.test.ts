/**
 * The one error catalog (src/errors.ts): every area's errors.ts registers its classes; codes are
 * unique across the project, all share the `ERR_` prefix, each is listed in the README's error
 * table, and every registered error survives a thread crossing as its own class.
 *
 * The areas are found by scanning src/ for `defineErrors(` rather than by a hand-kept list, so a
 * new errors file cannot be forgotten here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defineErrors,
  errorCatalog,
  RemoteError,
  rebuildError,
  serializeError,
  VideoServerError,
} from '../src/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

const files = sources(src).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
/** Code literals passed to a constructor: `super('ERR_X', …)`. */
const superCodes = files.flatMap(({ path, text }) =>
  [...text.matchAll(/super\(\s*'([A-Z0-9_]+)'/g)].map((m) => ({ code: m[1] as string, path })),
);

beforeAll(async () => {
  for (const { path, text } of files) {
    if (text.includes('defineErrors(') && !path.endsWith(join('src', 'errors.ts'))) {
      await import(pathToFileURL(path).href);
    }
  }
});

describe('error catalog', () => {
  it('has one prefix, and every code a constructor uses is registered exactly once', () => {
    const codes = [...errorCatalog().keys()];
    expect(codes.length).toBeGreaterThan(40);
    for (const code of codes) expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
    const seen = new Map<string, string>();
    for (const { code, path } of superCodes) {
      const where = relative(root, path);
      expect(errorCatalog().has(code), `${code} (${where}) is not registered`).toBe(true);
      expect(seen.get(code), `${code} is used by two constructors`).toBeUndefined();
      seen.set(code, where);
    }
  });

  it('refuses a code already taken by another class', () => {
    class Impostor extends VideoServerError {}
    expect(() => defineErrors('test', { ERR_DUPLICATE: Impostor })).toThrow(/already taken/);
    expect(() => defineErrors('test', { NOT_PREFIXED: Impostor })).toThrow(/ERR_/);
  });

  it('lists each code in the README error table, and nothing else', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'));
    const table = section.slice(0, section.indexOf('\n## ', 1));
    const listed = [...table.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...errorCatalog().keys()].sort());
  });

  it('every registered class crosses a thread as itself, code and message intact', () => {
    for (const [code, { ctor }] of errorCatalog()) {
      const wire = structuredClone({ code, message: `m ${code}`, name: ctor.name });
      const back = rebuildError(wire);
      expect(back, code).toBeInstanceOf(ctor);
      expect(back, code).toBeInstanceOf(VideoServerError);
      expect(serializeError(back)).toEqual(wire);
    }
    const unknown = rebuildError({ code: 'ERR_NOT_OURS', message: 'x', name: 'TypeError' });
    expect(unknown).toBeInstanceOf(RemoteError);
    expect(unknown).toMatchObject({ code: 'ERR_NOT_OURS', name: 'TypeError' });
  });

  it('an HttpError rebuilt from its code has its status and api code back', async () => {
    const { HttpError } = await import('../src/http/common/errors.js');
    const back = rebuildError(serializeError(new HttpError('notFound', 'no such video')));
    expect(back).toBeInstanceOf(HttpError);
    expect(back).toMatchObject({ code: 'ERR_HTTP_NOT_FOUND', status: 404, errorCode: '005' });
  });
});
