import { describe, expect, it } from 'vitest';
import {
  edgeId,
  flowToGraph,
  graphToFlow,
  normalizeGraph,
  normalizeViewport,
  roundViewport,
  sameViewport,
  splitReference,
  viewportOf,
  type DraftGraph,
} from './draft-graph';

const graph: DraftGraph = {
  nodes: [
    { id: 'iris', type: 'data', position: { x: 0, y: 40 }, data: { asset: 'iris:1' } },
    {
      id: 'import_csv',
      type: 'component',
      position: { x: 300, y: 40 },
      data: {
        component: 'import_csv:1',
        display_name: 'Import CSV',
        inputs: { separator: ';', has_header: true },
        pipeline_inputs: {},
        compute: null,
        limits: { timeout: null },
        retry_settings: { max_retries: 0, retry_on_failure: false },
        force_rerun: false,
      },
    },
    {
      id: 'train_model',
      type: 'component',
      position: { x: 600, y: 40 },
      data: {
        component: 'train_model:1',
        display_name: 'Train',
        inputs: { n_estimators: 10 },
        pipeline_inputs: { label_column: 'label' },
        compute: 'local',
        limits: { timeout: 600 },
        retry_settings: { max_retries: 2, retry_on_failure: true },
        force_rerun: true,
      },
    },
    { id: 'note_1', type: 'comment', position: { x: 0, y: 300 }, data: { text: 'Hello' } },
  ],
  edges: [
    {
      id: edgeId('iris', 'data', 'import_csv', 'source_file'),
      source: 'iris',
      sourceHandle: 'data',
      target: 'import_csv',
      targetHandle: 'source_file',
    },
    {
      id: edgeId('import_csv', 'dataset', 'train_model', 'dataset'),
      source: 'import_csv',
      sourceHandle: 'dataset',
      target: 'train_model',
      targetHandle: 'dataset',
    },
  ],
  settings: {
    default_compute: 'local',
    continue_on_step_failure: true,
    force_rerun: false,
    experiment_name: 'iris',
  },
  inputs: { label: { type: 'string', value: 'species' } },
  outputs: { model: { node: 'train_model', port: 'model' } },
};

describe('graphToFlow / flowToGraph', () => {
  it('round-trips a saved graph unchanged', () => {
    expect(flowToGraph(graphToFlow(graph))).toEqual(graph);
  });

  it('survives JSON serialisation both ways', () => {
    const saved = JSON.parse(JSON.stringify(flowToGraph(graphToFlow(graph)))) as unknown;
    expect(flowToGraph(graphToFlow(saved))).toEqual(graph);
  });

  it('drops React Flow state (selection, sizes, drag) and rounds positions', () => {
    const doc = graphToFlow(graph);
    doc.nodes[0] = {
      ...doc.nodes[0]!,
      selected: true,
      dragging: true,
      measured: { width: 200, height: 80 },
      position: { x: 10.4, y: 19.6 },
    };
    doc.edges[0] = { ...doc.edges[0]!, selected: true, animated: true };
    const saved = flowToGraph(doc);
    expect(saved.nodes[0]).toEqual({
      id: 'iris',
      type: 'data',
      position: { x: 10, y: 20 },
      data: { asset: 'iris:1' },
    });
    expect(Object.keys(saved.edges[0]!).sort()).toEqual([
      'id',
      'source',
      'sourceHandle',
      'target',
      'targetHandle',
    ]);
  });

  it('does not share objects with the input graph', () => {
    const doc = graphToFlow(graph);
    expect(doc.nodes[1]!.data).not.toBe(graph.nodes[1]!.data);
  });
});

describe('normalizeGraph', () => {
  it('turns an empty or missing graph into an empty document with default settings', () => {
    for (const raw of [{}, null, undefined, 'nonsense']) {
      expect(normalizeGraph(raw)).toEqual({
        nodes: [],
        edges: [],
        settings: {
          default_compute: null,
          continue_on_step_failure: false,
          force_rerun: false,
          experiment_name: '',
        },
        inputs: {},
        outputs: {},
      });
    }
  });

  it('fills missing component fields with defaults', () => {
    const result = normalizeGraph({
      nodes: [{ id: 'a', type: 'component', data: { component: 'split_data:1' } }],
    });
    expect(result.nodes[0]).toEqual({
      id: 'a',
      type: 'component',
      position: { x: 0, y: 0 },
      data: {
        component: 'split_data:1',
        display_name: '',
        inputs: {},
        pipeline_inputs: {},
        compute: null,
        limits: { timeout: null },
        retry_settings: { max_retries: 0, retry_on_failure: false },
        force_rerun: false,
      },
    });
  });

  it('reads the run settings of a draft saved with the old flat names', () => {
    const result = normalizeGraph({
      nodes: [
        {
          id: 'a',
          type: 'component',
          data: {
            component: 'split_data:1',
            max_retries: 3,
            retry_on_failure: true,
            timeout_seconds: 60,
          },
        },
      ],
    });
    const data = result.nodes[0]?.data as Record<string, unknown>;
    expect(data.limits).toEqual({ timeout: 60 });
    expect(data.retry_settings).toEqual({ max_retries: 3, retry_on_failure: true });
    expect(data).not.toHaveProperty('timeout_seconds');
  });

  it('drops unknown node kinds, edges to missing nodes, and gives edges ids', () => {
    const result = normalizeGraph({
      nodes: [
        { id: 'a', type: 'data', data: { asset: 'iris:1' } },
        { id: 'b', type: 'comment', data: { text: 'x' } },
        { id: 'c', type: 'mystery' },
        { type: 'data' },
      ],
      edges: [
        { source: 'a', sourceHandle: 'data', target: 'b', targetHandle: 'in' },
        { id: 'gone', source: 'a', sourceHandle: 'data', target: 'c', targetHandle: 'in' },
      ],
    });
    expect(result.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(result.edges).toEqual([
      { id: 'a.data->b.in', source: 'a', sourceHandle: 'data', target: 'b', targetHandle: 'in' },
    ]);
  });

  it('keeps only literal parameter values', () => {
    const result = normalizeGraph({
      nodes: [
        {
          id: 'a',
          type: 'component',
          data: { inputs: { s: 'x', n: 1.5, b: false, z: null, bad: { nested: 1 } } },
        },
      ],
    });
    const node = result.nodes[0]!;
    expect(node.type === 'component' && node.data.inputs).toEqual({
      s: 'x',
      n: 1.5,
      b: false,
      z: null,
    });
  });
});

describe('viewport', () => {
  it('round-trips with the graph, rounded, and is left out when there is none', () => {
    const withView = { ...graph, viewport: { x: -120.5, y: 48, zoom: 0.75 } };
    expect(flowToGraph(graphToFlow(withView), viewportOf(withView))).toEqual(withView);
    expect(viewportOf(graph)).toBeNull();
    expect('viewport' in flowToGraph(graphToFlow(graph))).toBe(false);
    const saved = flowToGraph(graphToFlow(graph), { x: 10.04, y: -3.333, zoom: 0.123456 });
    expect(saved.viewport).toEqual({ x: 10, y: -3.3, zoom: 0.1235 });
  });

  it('ignores a viewport the server would refuse, so that the canvas fits its nodes instead', () => {
    for (const raw of [
      null,
      'left',
      { x: 0, y: 0 },
      { x: '1', y: 0, zoom: 1 },
      { x: 0, y: 0, zoom: 0 },
      { x: 0, y: 0, zoom: -1 },
      { x: 0, y: 0, zoom: 11 },
      { x: Number.NaN, y: 0, zoom: 1 },
      { x: 0, y: Number.POSITIVE_INFINITY, zoom: 1 },
    ]) {
      expect(normalizeViewport(raw)).toBeNull();
    }
    expect(normalizeGraph({ viewport: { x: 0, y: 0, zoom: 0 } })).not.toHaveProperty('viewport');
    expect(normalizeViewport({ x: 1, y: 2, zoom: 10, extra: true })).toEqual({
      x: 1,
      y: 2,
      zoom: 10,
    });
  });

  it('compares viewports to within their rounding', () => {
    const view = { x: 1.01, y: 2, zoom: 0.5 };
    expect(sameViewport(view, { x: 1.04, y: 2, zoom: 0.50001 })).toBe(true);
    expect(sameViewport(view, { x: 1.2, y: 2, zoom: 0.5 })).toBe(false);
    expect(sameViewport(view, { x: 1.01, y: 2, zoom: 0.6 })).toBe(false);
    expect(sameViewport(null, null)).toBe(true);
    expect(sameViewport(view, null)).toBe(false);
    expect(roundViewport(view)).toEqual({ x: 1, y: 2, zoom: 0.5 });
  });
});

describe('splitReference', () => {
  it('splits NAME:VERSION at the last colon', () => {
    expect(splitReference('train_model:1')).toEqual({ name: 'train_model', version: '1' });
    expect(splitReference('plain')).toEqual({ name: 'plain', version: '' });
  });
});
