import { act, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { components, computes, dataAssets, jsonResponse, page } from '../test/fixtures';
import { useCatalogStore } from './catalog-store';
import { Designer } from './designer';
import { useDesignerStore } from './store';

/** Someone else's draft (the API says can_change: false) opens read-only: nothing is saved. */
function mockApi(canChange: boolean) {
  const calls: { url: string; method: string }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = String(input);
      const method = (init.method ?? 'GET').toUpperCase();
      calls.push({ url, method });
      const key = `${method} ${url.split('?')[0]}`;
      if (key === 'GET /api/v1/components/') return jsonResponse(page(components));
      if (key === 'GET /api/v1/data/') return jsonResponse(page(dataAssets));
      if (key === 'GET /api/v1/computes/') return jsonResponse(page(computes));
      if (key === 'GET /api/v1/drafts/7/') {
        return jsonResponse({
          id: 7,
          name: 'Iris pipeline',
          description: '',
          revision: 3,
          graph: { nodes: [], edges: [], settings: {}, inputs: {}, outputs: {} },
          last_job_name: null,
          created_by: 'grace',
          can_change: canChange,
        });
      }
      if (key === 'PATCH /api/v1/drafts/7/') return jsonResponse({ id: 7, revision: 4 });
      if (key === 'PUT /api/v1/drafts/7/viewport/') return jsonResponse({});
      return jsonResponse({ detail: 'not found' }, 404);
    }),
  );
  return calls;
}

beforeEach(() => {
  document.cookie = 'csrftoken=tok; path=/';
});

afterEach(() => {
  vi.unstubAllGlobals();
  useDesignerStore.getState().reset();
  useCatalogStore.getState().reset();
});

describe('A draft the user may not change', () => {
  it('says whose it is and saves neither edits nor the view', async () => {
    const calls = mockApi(false);
    render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    const pill = await screen.findByText('Read only');
    expect(pill.closest('[role="status"]')?.getAttribute('title')).toContain("grace's draft");

    act(() => useDesignerStore.getState().setSettings({ force_rerun: true }));
    act(() => useDesignerStore.getState().setViewport({ x: 10, y: 0, zoom: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
    expect(screen.getByText('Read only')).toBeTruthy();
  });

  it('its owner saves as before', async () => {
    const calls = mockApi(true);
    render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    await waitFor(() => expect(useDesignerStore.getState().loadState).toBe('ready'));
    act(() => useDesignerStore.getState().setSettings({ force_rerun: true }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true), {
      timeout: 3000,
    });
  });
});
