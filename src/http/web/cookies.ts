/**
 * The session cookie. It carries the api's session id, is HttpOnly (page scripts never see it)
 * and SameSite=Strict (no other site can make the browser send it), and lives as long as the
 * session does. `Secure` is added when the front is reached over https (a TLS proxy says so).
 */
export const SESSION_COOKIE = 'vs_sid';

/** The value of `name` in a Cookie header, or undefined. */
export function readCookie(header: string, name = SESSION_COOKIE): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export function sessionCookie(sessionId: string, maxAgeMs: number, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${SESSION_COOKIE}=${sessionId}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
