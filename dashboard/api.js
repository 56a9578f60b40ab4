// The collector's metrics API, as the dashboard reads it: `/v1/metrics/{endpoint}` with the
// admin key in the `Authorization` header. The key is kept in this tab's sessionStorage and
// nowhere else: never in a URL (the query carries only the filters), never in localStorage, so
// it is gone when the browser session ends.

const KEY_NAME = 'uptake.dashboard.adminKey';

export const session = {
  key() {
    try {
      return sessionStorage.getItem(KEY_NAME);
    } catch {
      return null;
    }
  },
  keep(key) {
    sessionStorage.setItem(KEY_NAME, key);
  },
  forget() {
    try {
      sessionStorage.removeItem(KEY_NAME);
    } catch {
      // Nothing kept.
    }
  },
};

/** An answer other than 200: its status and the API's own message (`{"error": ...}`). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The path and query of an endpoint; empty parameters are left out. */
export function metricsPath(endpoint, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return `/v1/metrics/${endpoint}${text ? `?${text}` : ''}`;
}

async function request(path, key) {
  let response;
  try {
    response = await fetch(path, {
      headers: { authorization: `Bearer ${key}` },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (error) {
    throw new ApiError(0, error.message);
  }
  if (response.ok) return response;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON: the status says it.
  }
  throw new ApiError(response.status, message);
}

/** An endpoint's JSON answer, with `key` (the session's key unless given). */
export async function metrics(endpoint, params, key = session.key()) {
  const response = await request(metricsPath(endpoint, params), key ?? '');
  return response.json();
}

/** An endpoint's CSV (`format=csv`) as text. */
export async function metricsCsv(endpoint, params) {
  const response = await request(metricsPath(endpoint, { ...params, format: 'csv' }), session.key() ?? '');
  return response.text();
}

/** Saves `text` as a file named `name` through a download link that lives for one click. */
export function saveFile(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
