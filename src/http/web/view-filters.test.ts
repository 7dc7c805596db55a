import { describe, expect, it } from 'vitest';
import { safeNext } from './page-routes.js';
import { formatDate, formatDuration, isoDate, spokenDuration } from './view-filters.js';

describe('view filters', () => {
  it('formats durations like a video site', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(3_400)).toBe('0:03');
    expect(formatDuration(83_000)).toBe('1:23');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(Number.NaN)).toBe('');
    expect(spokenDuration(83_000)).toBe('1 minute 23 seconds');
    expect(spokenDuration(3_601_000)).toBe('1 hour 1 second');
  });

  it('prints dates in UTC and leaves bad ones empty', () => {
    expect(formatDate('2026-11-30T23:59:00Z')).toBe('Nov 30, 2026');
    expect(formatDate(Date.UTC(2026, 0, 2))).toBe('Jan 2, 2026');
    expect(formatDate('not a date')).toBe('');
    expect(isoDate(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoDate(undefined)).toBe('');
  });
});

describe('safeNext', () => {
  it('keeps paths on this site and refuses everything else', () => {
    expect(safeNext('/v/abc-123')).toBe('/v/abc-123');
    expect(safeNext('/userhome')).toBe('/userhome');
    for (const bad of [undefined, '', '//evil.example', '/\\evil', 'https://evil.example', 'v/x']) {
      expect(safeNext(bad)).toBe('/');
    }
  });
});
