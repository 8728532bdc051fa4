import { describe, expect, it, beforeEach } from 'vitest';
import { components } from '../../test/fixtures';
import type { ComponentGraphRecord, ComponentRecord } from '../api';
import { PIPELINE_CATEGORY, toComponentDefinition } from '../catalog-store';
import { groupComponents } from '../palette';
import { useBrowseStore } from './browse-store';
import { toFlow } from './to-flow';

const prep: ComponentRecord = {
  name: 'prep_pipeline',
  version: '1',
  display_name: 'Prepare data',
  description: '',
  tags: { category: 'Data Transformation' },
  spec: {
    type: 'pipeline',
    inputs: { source: { type: 'uri_file' }, fraction: { type: 'number', default: 0.7 } },
    outputs: { train: { type: 'uri_folder' } },
  },
  archived: false,
};

const definitions = Object.fromEntries(
  [...components, prep].map((r) => [`${r.name}:${r.version}`, toComponentDefinition(r)]),
);

describe('pipeline components in the catalogue', () => {
  it('are of kind pipeline, in their own palette category whatever their tags say', () => {
    const definition = toComponentDefinition(prep);
    expect(definition.kind).toBe('pipeline');
    expect(definition.category).toBe(PIPELINE_CATEGORY);
    expect(definition.inputs.fraction).toEqual({ type: 'number', default: 0.7 });
    expect(toComponentDefinition(components[0]!).kind).toBe('command');
    const groups = groupComponents(Object.values(definitions), '');
    expect(groups.map(([category]) => category)).toContain(PIPELINE_CATEGORY);
    const [, listed] = groups.find(([category]) => category === PIPELINE_CATEGORY)!;
    expect(listed.map((c) => c.ref)).toEqual(['prep_pipeline:1']);
  });
});

describe('the browse trail', () => {
  beforeEach(() => useBrowseStore.getState().close());

  it('opens, goes deeper, back along the breadcrumb, and closes', () => {
    const store = useBrowseStore.getState();
    store.open({ ref: 'outer:1', label: 'outer' });
    store.openNested({ ref: 'middle:1', label: 'middle' });
    store.openNested({ ref: 'inner:1', label: 'inner' });
    expect(useBrowseStore.getState().trail.map((s) => s.label)).toEqual([
      'outer',
      'middle',
      'inner',
    ]);
    store.goTo(0);
    expect(useBrowseStore.getState().trail.map((s) => s.label)).toEqual(['outer']);
    store.open({ ref: 'other:2', label: 'other' });
    expect(useBrowseStore.getState().trail).toEqual([{ ref: 'other:2', label: 'other' }]);
    store.goTo(-1);
    expect(useBrowseStore.getState().trail).toEqual([]);
  });
});

const graph: ComponentGraphRecord = {
  component: { name: 'prep_pipeline', version: '1', display_name: '', description: '' },
  nodes: [
    { id: 'inputs.source', type: 'input', position: { x: 0, y: 0 }, data: { name: 'source' } },
    {
      id: 'load',
      type: 'component',
      position: { x: 320, y: 0 },
      data: { component: 'import_csv:1' },
    },
    {
      id: 'split',
      type: 'component',
      position: { x: 640, y: 0 },
      data: { component: 'split_data:1' },
    },
    {
      id: 'later',
      type: 'component',
      position: { x: 640, y: 160 },
      data: { component: 'unknown:3' },
    },
    { id: 'outputs.train', type: 'output', position: { x: 960, y: 0 }, data: { name: 'train' } },
  ],
  edges: [
    {
      id: 'a',
      source: 'inputs.source',
      sourceHandle: 'source',
      target: 'load',
      targetHandle: 'source_file',
    },
    { id: 'b', source: 'load', sourceHandle: 'dataset', target: 'split', targetHandle: 'dataset' },
    {
      id: 'c',
      source: 'split',
      sourceHandle: 'first_dataset',
      target: 'outputs.train',
      targetHandle: 'train',
    },
    // a parameter port has no handle on the card: no wire
    {
      id: 'd',
      source: 'inputs.source',
      sourceHandle: 'source',
      target: 'split',
      targetHandle: 'seed',
    },
    // a component not known yet keeps its wires
    { id: 'e', source: 'load', sourceHandle: 'dataset', target: 'later', targetHandle: 'x' },
    { id: 'f', source: 'gone', sourceHandle: 'x', target: 'load', targetHandle: 'source_file' },
  ],
};

describe('toFlow', () => {
  it('draws every node read-only and only the wires whose ports the cards draw', () => {
    const flow = toFlow(graph, (ref) => definitions[ref]);
    expect(flow.nodes.map((n) => [n.id, n.type, n.draggable, n.connectable])).toEqual([
      ['inputs.source', 'inner-input', false, false],
      ['load', 'inner-component', false, false],
      ['split', 'inner-component', false, false],
      ['later', 'inner-component', false, false],
      ['outputs.train', 'inner-output', false, false],
    ]);
    expect(flow.edges.map((e) => e.id)).toEqual(['a', 'b', 'c', 'e']);
  });
});
