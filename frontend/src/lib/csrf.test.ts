import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiFetch, ApiError, csrfToken } from './csrf';

function clearCookies() {
  for (const part of document.cookie.split(';')) {
    const name = part.split('=')[0]?.trim();
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
}

function jsonResponse(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('csrfToken', () => {
  beforeEach(clearCookies);
  afterEach(clearCookies);

  it('returns null when there is no csrftoken cookie', () => {
    document.cookie = 'sessionid=abc; path=/';
    expect(csrfToken()).toBeNull();
  });

  it('reads the csrftoken cookie among others', () => {
    document.cookie = 'sessionid=abc; path=/';
    document.cookie = 'csrftoken=tok123; path=/';
    document.cookie = 'theme=dark; path=/';
    expect(csrfToken()).toBe('tok123');
  });

  it('does not match cookies that merely end with csrftoken', () => {
    document.cookie = 'xcsrftoken=wrong; path=/';
    expect(csrfToken()).toBeNull();
  });

  it('decodes URI-encoded values', () => {
    document.cookie = 'csrftoken=a%2Bb%3Dc; path=/';
    expect(csrfToken()).toBe('a+b=c');
  });
});

describe('apiFetch', () => {
  const fetchMock = vi.fn<typeof fetch>();

  beforeEach(() => {
    clearCookies();
    document.cookie = 'csrftoken=tok123; path=/';
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    clearCookies();
  });

  function lastCall() {
    const call = fetchMock.mock.calls.at(-1);
    if (!call) throw new Error('fetch was not called');
    const [url, init] = call;
    return { url, init: init!, headers: new Headers(init!.headers) };
  }

  it('GET: same-origin credentials, JSON accept, no CSRF header, parsed body', async () => {
    fetchMock.mockResolvedValue(jsonResponse({ id: 1 }));
    await expect(apiFetch('/api/pipelines/')).resolves.toEqual({ id: 1 });
    const { url, init, headers } = lastCall();
    expect(url).toBe('/api/pipelines/');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect(headers.get('Accept')).toBe('application/json');
    expect(headers.has('X-CSRFToken')).toBe(false);
  });

  it.each(['POST', 'put', 'PATCH', 'DELETE'])('%s: adds X-CSRFToken', async (method) => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    await expect(
      apiFetch('/api/pipelines/1/', { method, body: JSON.stringify({ name: 'x' }) }),
    ).resolves.toBeNull();
    const { init, headers } = lastCall();
    expect(init.method).toBe(method.toUpperCase());
    expect(init.credentials).toBe('same-origin');
    expect(headers.get('X-CSRFToken')).toBe('tok123');
    expect(headers.get('Accept')).toBe('application/json');
    expect(headers.get('Content-Type')).toBe('application/json');
  });

  it('keeps caller headers and omits X-CSRFToken when no cookie is set', async () => {
    clearCookies();
    fetchMock.mockResolvedValue(jsonResponse({}));
    await apiFetch('/api/x/', { method: 'POST', headers: { 'X-Custom': '1' } });
    const { headers } = lastCall();
    expect(headers.get('X-Custom')).toBe('1');
    expect(headers.has('X-CSRFToken')).toBe(false);
  });

  it('throws ApiError with DRF detail and field errors on 400', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(
        { detail: 'Invalid pipeline.', errors: { name: ['This field is required.'] } },
        400,
      ),
    );
    const err = await apiFetch('/api/pipelines/', { method: 'POST' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const apiError = err as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.detail).toBe('Invalid pipeline.');
    expect(apiError.message).toBe('Invalid pipeline.');
    expect(apiError.errors).toEqual({ name: ['This field is required.'] });
  });

  it('throws ApiError with empty errors for a non-JSON error body', async () => {
    fetchMock.mockResolvedValue(
      new Response('<h1>Server Error</h1>', {
        status: 500,
        statusText: 'Internal Server Error',
        headers: { 'Content-Type': 'text/html' },
      }),
    );
    const err = (await apiFetch('/api/x/').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(500);
    expect(err.detail).toBeUndefined();
    expect(err.message).toBe('500 Internal Server Error');
    expect(err.errors).toEqual({});
    expect(err.body).toBe('<h1>Server Error</h1>');
  });

  it('does not throw on 2xx responses', async () => {
    fetchMock.mockResolvedValue(jsonResponse({ ok: true }, 201));
    await expect(apiFetch('/api/x/', { method: 'POST' })).resolves.toEqual({ ok: true });
  });
});
