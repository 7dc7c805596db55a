/** Id validation: no path or key is ever built from raw request input. */

/** Hex digit of either case (no regex: this runs on every download request). */
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** 0: not a UUID, 1: lower-case UUID, 2: a UUID with upper-case digits. */
function uuidKind(value: string): 0 | 1 | 2 {
  if (value.length !== 36) return 0;
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return 0; // '-'
    } else if (!isHex(c)) return 0;
    else if (c >= 65 && c <= 70) upper = true;
  }
  return upper ? 2 : 1;
}

/** True for a canonical 8-4-4-4-12 hex UUID (any version, either case). */
export function isUuid(value: string): boolean {
  return uuidKind(value) !== 0;
}

/** The lower-cased UUID, or undefined when `value` is not one (→ answer 400). */
export function parseUuid(value: string): string | undefined {
  const kind = uuidKind(value);
  return kind === 0 ? undefined : kind === 1 ? value : value.toLowerCase();
}
