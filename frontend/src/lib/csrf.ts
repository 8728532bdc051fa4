/**
 * Helpers for talking to the Django REST framework API from the browser.
 */

const CSRF_COOKIE_NAME = 'csrftoken';

/** Methods Django treats as safe (RFC 9110); everything else needs X-CSRFToken. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Reads Django's CSRF token from the `csrftoken` cookie, or null if absent. */
export function csrfToken(): string | null {
  if (typeof document === 'undefined' || !document.cookie) return null;
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== CSRF_COOKIE_NAME) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/** DRF error body: `{"detail": "...", "errors": {"field": ["..."]}}`. */
export interface ApiErrorBody {
  detail?: string;
  errors?: Record<string, string[]>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: Record<string, string[]>;
  /** The parsed response body (JSON value, or text if not JSON; null if empty). */
  readonly body: unknown;

  constructor(status: number, body: unknown, statusText = '') {
    const parsed = normalizeErrorBody(body);
    super(parsed.detail ?? (statusText ? `${status} ${statusText}` : `Request failed (${status})`));
    this.name = 'ApiError';
    this.status = status;
    this.detail = parsed.detail;
    this.errors = parsed.errors ?? {};
    this.body = body;
  }
}

function normalizeErrorBody(body: unknown): ApiErrorBody {
  // Non-JSON bodies (e.g. Django's HTML 500 page) are kept on `body` only.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const obj = body as Record<string, unknown>;
  const result: ApiErrorBody = {};
  if (typeof obj.detail === 'string') result.detail = obj.detail;
  if (obj.errors && typeof obj.errors === 'object' && !Array.isArray(obj.errors)) {
    result.errors = {};
    for (const [field, messages] of Object.entries(obj.errors as Record<string, unknown>)) {
      result.errors[field] = Array.isArray(messages) ? messages.map(String) : [String(messages)];
    }
  }
  return result;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * `fetch` wrapper for same-origin API calls: sends cookies, asks for JSON,
 * adds `X-CSRFToken` to unsafe methods, and throws `ApiError` on non-2xx.
 * Resolves to the parsed JSON body (or null for an empty body, e.g. 204).
 */
export async function apiFetch<T = unknown>(path: string, init: RequestInit = {}): Promise<T> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  if (!SAFE_METHODS.has(method)) {
    const token = csrfToken();
    if (token && !headers.has('X-CSRFToken')) headers.set('X-CSRFToken', token);
    if (typeof init.body === 'string' && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
  }

  const response = await fetch(path, {
    ...init,
    method,
    headers,
    credentials: 'same-origin',
  });
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, body, response.statusText);
  return body as T;
}
