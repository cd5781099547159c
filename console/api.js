// The console's only way to the hub: fetch with the session cookie (sent by the browser,
// never readable here: HttpOnly), the session's CSRF token on every request that changes
// something, and an Idempotency-Key on every /v1 POST so a double click acts once.

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (method === 'POST' && path.startsWith('/v1/')) headers['Idempotency-Key'] = crypto.randomUUID();
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    // The session expired, was ended elsewhere, or its key was revoked: back to sign-in.
    if (response.status === 401 && path !== '/console/session') window.dispatchEvent(new Event('weft-session-ended'));
    throw new ApiError(response.status, data);
  }
  return data;
}

// Every item of a paginated list, up to `max`.
export async function allPages(path, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
