import { describe, expect, it } from 'vitest';
import {
  foldGraph,
  groupStatus,
  indexGroups,
  revealStep,
  summarizeGroup,
  toggleGroup,
} from './run-groups';
import {
  FRAME_PAD,
  MAX_FIT_ZOOM,
  READABLE_ZOOM,
  layoutFolded,
  readableViewport,
} from './run-layout';
import type { RunGraphData, RunGraphGroup, StepGraphNode, StepInfo } from './types';

const stepNode = (id: string, group = ''): StepGraphNode => ({
  id,
  kind: 'step',
  label: id.split('.').pop()!,
  component: 'c:1',
  compute: 'docker',
  group,
  inputs: [],
  outputs: [],
});

const edge = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({
  id: `${source}.${sourceHandle}->${target}.${targetHandle}`,
  source,
  sourceHandle,
  target,
  targetHandle,
});

const group = (id: string, extra: Partial<RunGraphGroup>): RunGraphGroup => ({
  id,
  name: id.split('.').pop()!,
  label: id,
  component: `${id}:1`,
  parent: '',
  steps: [],
  groups: [],
  inputs: [],
  outputs: [],
  ...extra,
});

/** data -> fetch -> middle{inner{copy -> count}, train} -> score */
const GRAPH: RunGraphData = {
  nodes: [
    { id: 'data:1', kind: 'data', label: 'iris:1', type: 'uri_folder' },
    stepNode('fetch'),
    stepNode('middle.inner.copy', 'middle.inner'),
    stepNode('middle.inner.count', 'middle.inner'),
    stepNode('middle.train', 'middle'),
    stepNode('score'),
  ],
  edges: [
    edge('data:1', 'data', 'fetch', 'source'),
    edge('fetch', 'out', 'middle.inner.copy', 'raw_data'),
    edge('middle.inner.copy', 'prepared_data', 'middle.inner.count', 'data'),
    edge('middle.inner.copy', 'prepared_data', 'middle.train', 'training_data'),
    edge('fetch', 'out', 'middle.train', 'extra'),
    edge('middle.train', 'model_output', 'score', 'model_input'),
    edge('middle.inner.count', 'count_file', 'score', 'counts'),
  ],
  groups: [
    group('middle', {
      steps: ['middle.train'],
      groups: ['middle.inner'],
      inputs: [{ name: 'data', type: 'uri_folder', source: 'fetch', sourceHandle: 'out' }],
      outputs: [
        { name: 'model', type: 'mlflow_model', step: 'middle.train', output: 'model_output' },
      ],
    }),
    group('middle.inner', {
      parent: 'middle',
      steps: ['middle.inner.copy', 'middle.inner.count'],
      inputs: [{ name: 'data', type: 'uri_folder', source: 'fetch', sourceHandle: 'out' }],
      outputs: [
        { name: 'copied', type: 'uri_folder', step: 'middle.inner.copy', output: 'prepared_data' },
      ],
    }),
  ],
};
const INDEX = indexGroups(GRAPH);

const ids = (open: string[]) =>
  foldGraph(GRAPH, INDEX, new Set(open)).nodes.map((n) => `${n.kind}:${n.id}`);
const wires = (open: string[]) =>
  foldGraph(GRAPH, INDEX, new Set(open)).edges.map(
    (e) => `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`,
  );

describe('foldGraph', () => {
  it('draws a closed group as one node and routes every edge of its steps to its ports', () => {
    expect(ids([])).toEqual(['group:middle', 'data:data:1', 'step:fetch', 'step:score']);
    expect(wires([])).toEqual([
      'data:1.data->fetch.source',
      'fetch.out->middle.data', // two inner steps read fetch.out: one edge, to the port fed by it
      'middle.model->score.model_input',
      'middle.__out->score.counts', // no output of middle is count_file: the fallback handle
    ]);
  });

  it('opens a group as a frame with its steps and its inner group closed', () => {
    expect(ids(['middle'])).toEqual([
      'frame:middle',
      'group:middle.inner',
      'data:data:1',
      'step:fetch',
      'step:middle.train',
      'step:score',
    ]);
    const folded = foldGraph(GRAPH, INDEX, new Set(['middle']));
    expect(folded.nodes.find((n) => n.id === 'middle.inner')?.parent).toBe('middle');
    expect(wires(['middle'])).toEqual([
      'data:1.data->fetch.source',
      'fetch.out->middle.inner.data',
      'middle.inner.copied->middle.train.training_data',
      'fetch.out->middle.train.extra',
      'middle.train.model_output->score.model_input',
      'middle.inner.__out->score.counts',
    ]);
  });

  it('shows every step with both groups open, frames outer first, and the graph as it was', () => {
    expect(ids(['middle', 'middle.inner']).slice(0, 2)).toEqual([
      'frame:middle',
      'frame:middle.inner',
    ]);
    expect(wires(['middle', 'middle.inner'])).toEqual(GRAPH.edges.map((e) => e.id));
  });

  it('keeps an inner group hidden while its parent is closed, even when itself open', () => {
    expect(ids(['middle.inner'])).toEqual(ids([]));
  });
});

describe('layoutFolded', () => {
  it('puts an open group’s frame around what it holds, nested frames inside their parent', () => {
    const boxes = layoutFolded(foldGraph(GRAPH, INDEX, new Set(['middle', 'middle.inner'])));
    const inside = (inner: string, outer: string) => {
      const a = boxes[inner]!;
      const b = boxes[outer]!;
      return (
        a.x > b.x && a.y > b.y && a.x + a.width < b.x + b.width && a.y + a.height < b.y + b.height
      );
    };
    expect(inside('middle.inner', 'middle')).toBe(true);
    expect(inside('middle.inner.copy', 'middle.inner')).toBe(true);
    expect(inside('middle.train', 'middle')).toBe(true);
    expect(inside('fetch', 'middle')).toBe(false);
    expect(inside('score', 'middle')).toBe(false);
  });

  it('keeps what a frame holds clear of its border and header, and the rest clear of the frame', () => {
    const boxes = layoutFolded(foldGraph(GRAPH, INDEX, new Set(['middle', 'middle.inner'])));
    const within = (inner: string, outer: string) => {
      const a = boxes[inner]!;
      const b = boxes[outer]!;
      return (
        a.x - b.x >= FRAME_PAD.side &&
        a.y - b.y >= FRAME_PAD.top &&
        b.x + b.width - (a.x + a.width) >= FRAME_PAD.side &&
        b.y + b.height - (a.y + a.height) >= FRAME_PAD.bottom
      );
    };
    const apart = (one: string, two: string) => {
      const a = boxes[one]!;
      const b = boxes[two]!;
      return (
        a.x + a.width <= b.x ||
        b.x + b.width <= a.x ||
        a.y + a.height <= b.y ||
        b.y + b.height <= a.y
      );
    };
    expect(within('middle.inner', 'middle')).toBe(true);
    expect(within('middle.train', 'middle')).toBe(true);
    expect(within('middle.inner.copy', 'middle.inner')).toBe(true);
    expect(within('middle.inner.count', 'middle.inner')).toBe(true);
    expect(apart('middle.train', 'middle.inner')).toBe(true);
    expect(apart('fetch', 'middle')).toBe(true);
    expect(apart('score', 'middle')).toBe(true);
    expect(apart('middle.inner.copy', 'middle.inner.count')).toBe(true);
  });
});

describe('readableViewport', () => {
  it('centres a graph that fits, never larger than its own size', () => {
    const view = readableViewport({ x: 0, y: 0, width: 400, height: 100 }, 1000, 500);
    expect(view.zoom).toBe(MAX_FIT_ZOOM);
    expect(view.x).toBe(300);
    expect(view.y).toBe(200);
  });

  it('shrinks a wide graph to fit, down to a readable zoom', () => {
    const view = readableViewport({ x: 0, y: 0, width: 1100, height: 100 }, 1000, 500);
    expect(view.zoom).toBeGreaterThan(READABLE_ZOOM);
    expect(view.zoom).toBeLessThan(1);
    expect(view.x + 1100 * view.zoom).toBeLessThanOrEqual(1000);
  });

  it('stops at the readable zoom and shows the start of a graph too wide for that', () => {
    const view = readableViewport({ x: 100, y: 0, width: 4000, height: 100 }, 1000, 500);
    expect(view.zoom).toBe(READABLE_ZOOM);
    expect(view.x + 100 * READABLE_ZOOM).toBe(24); // its left edge, a little way in
    expect(view.y).toBeCloseTo((500 - 100 * READABLE_ZOOM) / 2);
  });
});

const info = (step: string, status: string, started?: string, finished?: string): StepInfo => ({
  step,
  display_name: '',
  status,
  status_reason: '',
  attempt: 1,
  max_retries: 0,
  exit_code: null,
  compute: 'docker',
  reused_from: null,
  reuse_note: '',
  outputs: {},
  queued_at: null,
  started_at: started ?? null,
  finished_at: finished ?? null,
  next_attempt_at: null,
});

describe('group status', () => {
  it.each([
    [[], 'NotStarted'],
    [['NotStarted', undefined], 'NotStarted'],
    [['Queued', 'NotStarted'], 'Queued'],
    [['Completed', 'NotStarted'], 'Running'],
    [['Completed', 'Preparing', 'Failed'], 'Running'],
    [['Completed', 'Failed', 'NotStarted'], 'Failed'],
    [['Canceled', 'Completed'], 'Canceled'],
    [['Completed', 'Skipped'], 'Completed'],
    [['Skipped', 'Skipped'], 'Skipped'],
  ])('%j -> %s', (statuses, expected) => {
    expect(groupStatus(statuses)).toBe(expected);
  });

  it('summarises every step inside, at any depth, with the span of their times', () => {
    const steps = {
      'middle.inner.copy': info(
        'middle.inner.copy',
        'Completed',
        '2024-05-01T10:00:05Z',
        '2024-05-01T10:00:09Z',
      ),
      'middle.inner.count': info('middle.inner.count', 'Running', '2024-05-01T10:00:10Z'),
    };
    const running = summarizeGroup(INDEX, 'middle', steps);
    expect(running).toEqual({
      status: 'Running',
      steps: ['middle.train', 'middle.inner.copy', 'middle.inner.count'],
      done: 1,
      started_at: '2024-05-01T10:00:05Z',
      finished_at: null,
    });
    const done = summarizeGroup(INDEX, 'middle.inner', {
      ...steps,
      'middle.inner.count': info(
        'middle.inner.count',
        'Completed',
        '2024-05-01T10:00:10Z',
        '2024-05-01T10:00:20Z',
      ),
    });
    expect(done.status).toBe('Completed');
    expect(done.finished_at).toBe('2024-05-01T10:00:20Z');
  });
});

describe('open and close', () => {
  it('toggles a group and reveals a step by opening the groups around it', () => {
    const open = toggleGroup(new Set(), 'middle');
    expect([...open]).toEqual(['middle']);
    expect([...toggleGroup(open, 'middle')]).toEqual([]);
    expect([...revealStep(INDEX, open, 'middle.inner.copy')].sort()).toEqual([
      'middle',
      'middle.inner',
    ]);
    expect(revealStep(INDEX, open, 'middle.train')).toBe(open);
    expect(revealStep(INDEX, open, 'fetch')).toBe(open);
  });
});
