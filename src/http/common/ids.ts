/** Id validation: no path or key is ever built from raw request input. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical 8-4-4-4-12 hex UUID (any version, either case). */
export function isUuid(value: string): boolean {
  return value.length === 36 && UUID.test(value);
}

/** The lower-cased UUID, or undefined when `value` is not one (→ answer 400). */
export function parseUuid(value: string): string | undefined {
  return isUuid(value) ? value.toLowerCase() : undefined;
}
