import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { components, computes, dataAssets, jsonResponse, page } from '../test/fixtures';
import { useCatalogStore } from './catalog-store';
import { Designer } from './designer';
import { useDesignerStore } from './store';

const EMPTY_TEXT = 'Drag components from the library onto the canvas';

const savedGraph = {
  nodes: [
    { id: 'iris', type: 'data', position: { x: 0, y: 0 }, data: { asset: 'iris:1' } },
    {
      id: 'train_model',
      type: 'component',
      position: { x: 400, y: 0 },
      data: { component: 'train_model:2', display_name: 'Train Model', inputs: {} },
    },
  ],
  edges: [],
  settings: {},
  inputs: {},
  outputs: {},
};

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function mockApi(overrides: Record<string, Handler> = {}) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = (init.method ?? 'GET').toUpperCase();
    calls.push({ url, method, body: init.body ? JSON.parse(String(init.body)) : null });
    const key = `${method} ${url.split('?')[0]}`;
    if (overrides[key]) return overrides[key](url, init);
    if (key === 'GET /api/v1/components/') return jsonResponse(page(components));
    if (key === 'GET /api/v1/data/') return jsonResponse(page(dataAssets));
    if (key === 'GET /api/v1/computes/') return jsonResponse(page(computes));
    if (key === 'GET /api/v1/components/train_model/versions/') {
      return jsonResponse(page(components.filter((c) => c.name === 'train_model')));
    }
    if (key === 'GET /api/v1/drafts/7/') {
      return jsonResponse({
        id: 7,
        name: 'Iris pipeline',
        description: '',
        revision: 3,
        graph: savedGraph,
        last_job_name: null,
      });
    }
    if (key === 'PUT /api/v1/drafts/7/viewport/')
      return jsonResponse(JSON.parse(String(init.body)));
    if (key === 'PATCH /api/v1/drafts/7/') {
      const body = JSON.parse(String(init.body)) as { revision: number };
      return jsonResponse({ id: 7, revision: body.revision + 1 });
    }
    return jsonResponse({ detail: 'not found' }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
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

describe('Designer without a draft', () => {
  it('shows the empty canvas, the library grouped by category and disabled draft actions', async () => {
    mockApi();
    render(<Designer draftName="Scratch" />);
    expect(screen.getByText(EMPTY_TEXT)).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Scratch' })).toBeTruthy();
    const library = screen.getByRole('complementary', { name: 'Library' });
    await within(library).findByText('Train Model');
    const groups = Array.from(library.querySelectorAll('summary')).map((s) =>
      s.firstChild?.textContent?.trim(),
    );
    expect(groups).toEqual([
      'Data Input and Output',
      'Data Transformation',
      'Model Training',
      'Model Scoring & Evaluation',
      'Data',
      'Annotations',
    ]);
    expect(within(library).getAllByText('Train Model')).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Validate' })).toHaveProperty('disabled', true);
  });

  it('filters the library by the search text', async () => {
    mockApi();
    render(<Designer />);
    const library = screen.getByRole('complementary', { name: 'Library' });
    await within(library).findByText('Split Data');
    fireEvent.change(within(library).getByLabelText('Search the library'), {
      target: { value: 'score' },
    });
    await waitFor(() => expect(within(library).queryByText('Split Data')).toBeNull());
    expect(within(library).getByText('Score Model')).toBeTruthy();
  });

  it('adds a node from the library with the keyboard and shows its properties', async () => {
    mockApi();
    render(<Designer />);
    const library = screen.getByRole('complementary', { name: 'Library' });
    fireEvent.click(await within(library).findByText('Split Data'));
    expect(useDesignerStore.getState().nodes.map((n) => n.id)).toEqual(['split_data']);
    expect(screen.queryByText(EMPTY_TEXT)).toBeNull();
    const panel = screen.getByRole('complementary', { name: 'Properties' });
    expect(within(panel).getByRole('heading', { name: 'Split Data' })).toBeTruthy();
    const fraction = within(panel).getByLabelText('fraction');
    fireEvent.change(fraction, { target: { value: '1.5' } });
    expect(within(panel).getByText('Must be at most 0.99')).toBeTruthy();
    expect(fraction.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(fraction, { target: { value: '0.6' } });
    expect(within(panel).queryByText('Must be at most 0.99')).toBeNull();
    const node = useDesignerStore.getState().nodes[0]!;
    expect(node.type === 'component' && node.data.inputs).toEqual({ fraction: 0.6 });
  });
});

describe('Designer without a mouse', () => {
  it('wires an input from the properties panel, offering only fitting outputs', async () => {
    mockApi();
    render(<Designer />);
    const library = screen.getByRole('complementary', { name: 'Library' });
    fireEvent.click(await within(library).findByText('iris'));
    fireEvent.click(within(library).getByText('Import CSV'));
    fireEvent.click(within(library).getByText('Split Data'));
    const panel = screen.getByRole('complementary', { name: 'Properties' });
    const source = within(panel).getByLabelText(/^dataset/) as HTMLSelectElement;
    const offered = Array.from(source.options).map((o) => o.textContent);
    // The iris CSV file feeds a table input directly, as does Import CSV's table.
    expect(offered).toEqual(['Not connected', 'iris · data', 'import_csv · dataset']);
    fireEvent.change(source, { target: { value: source.options[2]!.value } });
    expect(useDesignerStore.getState().edges.map((e) => e.id)).toEqual([
      'import_csv.dataset->split_data.dataset',
    ]);
    expect(source.value).toBe(source.options[2]!.value);
    fireEvent.change(source, { target: { value: '' } });
    expect(useDesignerStore.getState().edges).toEqual([]);
  });
});

describe('Pipeline settings', () => {
  it('renames a parameter, refusing bad and taken names at the field', async () => {
    mockApi();
    render(<Designer />);
    const library = screen.getByRole('complementary', { name: 'Library' });
    fireEvent.click(await within(library).findByText('Split Data'));
    const store = useDesignerStore.getState();
    act(() => {
      store.promoteToPipelineInput('split_data', 'seed', { type: 'integer', value: 7 });
      store.promoteToPipelineInput('split_data', 'fraction', { type: 'number', value: 0.5 });
      store.selectNodes([]);
    });
    const panel = screen.getByRole('complementary', { name: 'Properties' });
    fireEvent.click(within(panel).getByRole('button', { name: 'Rename pipeline parameter seed' }));
    const field = within(panel).getByLabelText(/New name for/);

    fireEvent.change(field, { target: { value: '7th' } });
    expect(within(panel).getByText(/letters, digits and _ only/)).toBeTruthy();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(field, { target: { value: 'fraction' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Rename' }));
    expect(
      within(panel).getByText('Another pipeline parameter is already called fraction.'),
    ).toBeTruthy();
    expect(Object.keys(useDesignerStore.getState().inputs)).toEqual(['seed', 'fraction']);

    fireEvent.change(field, { target: { value: 'random_seed' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Rename' }));

    expect(within(panel).queryByLabelText(/New name for/)).toBeNull();
    expect(within(panel).getByLabelText('random_seed')).toBeTruthy();
    expect(Object.keys(useDesignerStore.getState().inputs)).toEqual(['random_seed', 'fraction']);
    const node = useDesignerStore.getState().nodes[0]!;
    expect(node.type === 'component' && node.data.pipeline_inputs).toEqual({
      seed: 'random_seed',
      fraction: 'fraction',
    });
  });
});

describe('Designer with a draft', () => {
  it('loads the draft, then autosaves an edit with the current revision', async () => {
    const calls = mockApi();
    render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    await waitFor(() => expect(screen.getAllByText('Saved').length).toBeGreaterThan(0));
    act(() => useDesignerStore.getState().setSettings({ force_rerun: true }));
    expect(screen.getByText('Unsaved changes')).toBeTruthy();
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true), {
      timeout: 3000,
    });
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.body).toMatchObject({ revision: 3, graph: { settings: { force_rerun: true } } });
    await waitFor(() => expect(useDesignerStore.getState().draft.revision).toBe(4));
    expect(screen.getByText('Saved')).toBeTruthy();
  });

  it('saves a pan apart from the edits, with no revision, and the next edit does not conflict', async () => {
    const calls = mockApi();
    render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    await waitFor(() => expect(useDesignerStore.getState().loadState).toBe('ready'));

    act(() => useDesignerStore.getState().setViewport({ x: -40.04, y: 12, zoom: 0.55555 }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true), {
      timeout: 3000,
    });
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.url).toBe('/api/v1/drafts/7/viewport/');
    expect(put.body).toEqual({ x: -40, y: 12, zoom: 0.5556 });
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false);
    expect(useDesignerStore.getState().draft.revision).toBe(3);
    expect(screen.getByText('Saved')).toBeTruthy();

    act(() => useDesignerStore.getState().setSettings({ force_rerun: true }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true), {
      timeout: 3000,
    });
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.body).toMatchObject({ revision: 3 });
    expect(patch.body).not.toHaveProperty('graph.viewport');
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
  });

  it('shows the conflict and stops saving when someone else saved first', async () => {
    const calls = mockApi({
      'PATCH /api/v1/drafts/7/': () =>
        jsonResponse({ detail: 'The draft changed.', errors: {}, current_revision: 5 }, 409),
    });
    render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    await waitFor(() => expect(useDesignerStore.getState().loadState).toBe('ready'));
    act(() => useDesignerStore.getState().setSettings({ force_rerun: true }));
    expect(await screen.findByText('Conflict — reload', {}, { timeout: 3000 })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('This draft was changed elsewhere.');
    act(() => useDesignerStore.getState().setSettings({ force_rerun: false }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });

  it('marks the nodes a validation found problems on', async () => {
    mockApi({
      'POST /api/v1/drafts/7/validate/': () =>
        jsonResponse({
          valid: false,
          problems: [
            {
              node: 'train_model',
              port: 'label_column',
              field: null,
              message: 'required input is not bound',
            },
          ],
        }),
    });
    const { container } = render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    await waitFor(() => expect(useDesignerStore.getState().loadState).toBe('ready'));
    fireEvent.click(screen.getByRole('button', { name: 'Validate' }));
    const bar = await screen.findByRole('region', { name: 'Validation problems' });
    expect(bar.textContent).toContain('required input is not bound');
    await waitFor(() =>
      expect(
        container.querySelector(
          '.react-flow__node[data-id="train_model"] .studio-node.has-problems',
        ),
      ).not.toBeNull(),
    );
    expect(screen.getByText('Validation found 1 problem.')).toBeTruthy();
  });

  it('submits with the experiment and parameters and goes to the job', async () => {
    const calls = mockApi({
      'POST /api/v1/drafts/7/submit/': () =>
        jsonResponse({ id: 1, status: 'queued', url: '/jobs/brave_fox_1/' }, 201),
    });
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    render(<Designer draftId={7} />);
    await screen.findByRole('heading', { name: 'Iris pipeline' });
    await waitFor(() => expect(useDesignerStore.getState().loadState).toBe('ready'));
    act(() => {
      useDesignerStore.getState().promoteToPipelineInput('train_model', 'label_column', {
        type: 'string',
        value: 'species',
      });
    });
    fireEvent.click(screen.getByRole('button', { name: 'Submit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Submit Iris pipeline' });
    fireEvent.change(within(dialog).getByLabelText(/^Experiment name/), {
      target: { value: 'iris-runs' },
    });
    fireEvent.change(within(dialog).getByLabelText('label_column'), { target: { value: 'petal' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Submit job' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/jobs/brave_fox_1/'));
    const submit = calls.find((c) => c.url.endsWith('/submit/'))!;
    expect(submit.body).toEqual({
      experiment_name: 'iris-runs',
      parameters: { label_column: 'petal' },
    });
    // The pending edit was saved before submitting.
    expect(calls.findIndex((c) => c.method === 'PATCH')).toBeLessThan(calls.indexOf(submit));
  });
});
