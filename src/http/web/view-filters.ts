/**
 * Nunjucks filters the templates share. Dates are printed in UTC on the server (every node the
 * same text); the page's script may replace them with the visitor's local time.
 */
import type nunjucks from 'nunjucks';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** 83_000 → "1:23"; 3_723_000 → "1:02:03"; null (not probed yet) → "". */
export function formatDuration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** A spoken duration for screen readers: "1 minute 23 seconds". */
export function spokenDuration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.round(ms / 1000);
  const parts: string[] = [];
  const add = (n: number, unit: string) => {
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  };
  add(Math.floor(total / 3600), 'hour');
  add(Math.floor((total % 3600) / 60), 'minute');
  add(total % 60, 'second');
  return parts.join(' ') || '0 seconds';
}

/** ISO 8601 (or epoch ms) → "Nov 30, 2026". */
export function formatDate(value: string | number | undefined): string {
  if (value === undefined || value === '') return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** Epoch ms → ISO for `<time datetime>`; an ISO string passes through. */
export function isoDate(value: string | number | undefined): string {
  if (value === undefined || value === '') return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function addViewFilters(env: nunjucks.Environment): void {
  env.addFilter('duration', formatDuration);
  env.addFilter('spokenDuration', spokenDuration);
  env.addFilter('date', formatDate);
  env.addFilter('iso', isoDate);
}
