/**
 * The page's only way to the api: the web front's `/api` relay. The session travels in an
 * HttpOnly cookie the front manages, so nothing here ever sees a session id.
 */

export class ApiFailure extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const FALLBACK = {
  0: 'The server cannot be reached. Check your connection.',
  401: 'Your session has ended. Please sign in again.',
  403: 'That is not allowed.',
  404: 'Not found.',
  409: 'That name is already taken.',
  413: 'That is too large.',
  429: 'The server is busy. Try again in a moment.',
  502: 'A backend service is unreachable.',
};

/** Calls the api through the relay; resolves with the parsed body, rejects with ApiFailure. */
export async function api(url, method, body) {
  let res;
  try {
    res = await fetch('/api', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({
        url,
        method,
        req_body: body === undefined ? '' : JSON.stringify(body),
      }),
    });
  } catch {
    throw new ApiFailure(0, FALLBACK[0]);
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const message = data?.error ?? FALLBACK[res.status] ?? `Request failed (${res.status}).`;
    throw new ApiFailure(res.status, message, data?.error_code);
  }
  return data;
}

/** Shows `message` in an alert element (or hides it for an empty message). */
export function showAlert(el, message, ok = false) {
  el.textContent = message ?? '';
  el.classList.toggle('is-ok', ok);
  el.hidden = !message;
}
