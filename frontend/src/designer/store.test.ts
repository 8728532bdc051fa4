import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flowToGraph, graphToFlow, type DesignerNode } from '../lib/draft-graph';
import { components, computes, dataAssets } from '../test/fixtures';
import { useCatalogStore } from './catalog-store';
import { checkWire } from './connections';
import { createComponentNode, createDataNode } from './nodes';
import { useDesignerStore } from './store';

const store = () => useDesignerStore.getState();
const catalog = () => useCatalogStore.getState();

function place(ref: string, x = 0, y = 0): DesignerNode {
  const taken = new Set(store().nodes.map((n) => n.id));
  const definition = catalog().components[ref];
  const node = definition
    ? createComponentNode(definition, { x, y }, taken)
    : createDataNode(catalog().dataAssets[ref]!, { x, y }, taken);
  store().addNode(node);
  return node;
}

function wire(source: string, sourceHandle: string, target: string, targetHandle: string) {
  store().addEdge({
    id: `${source}.${sourceHandle}->${target}.${targetHandle}`,
    source,
    sourceHandle,
    target,
    targetHandle,
  });
}

const ids = () => store().nodes.map((n) => n.id);

beforeEach(() => {
  catalog().seed({ components, dataAssets, computes });
  store().loadDocument(graphToFlow({}), { id: 1, name: 'Test' });
});

afterEach(() => {
  store().reset();
  catalog().reset();
});

describe('designer store', () => {
  it('adds nodes with readable unique ids and selects the newest', () => {
    place('split_data:1');
    place('split_data:1');
    expect(ids()).toEqual(['split_data', 'split_data_2']);
    expect(store().nodes.map((n) => n.selected)).toEqual([false, true]);
  });

  it('undoes and redoes every kind of edit in order', () => {
    place('import_csv:1');
    place('split_data:1', 300);
    wire('import_csv', 'dataset', 'split_data', 'dataset');
    store().setNodeInput('split_data', 'fraction', 0.5);
    store().setSettings({ continue_on_step_failure: true });
    store().undo();
    expect(store().settings.continue_on_step_failure).toBe(false);
    store().undo();
    const split = store().nodes.find((n) => n.id === 'split_data')!;
    expect(split.type === 'component' && split.data.inputs).toEqual({});
    store().undo();
    expect(store().edges).toHaveLength(0);
    store().undo();
    expect(ids()).toEqual(['import_csv']);
    store().redo();
    store().redo();
    expect(store().edges).toHaveLength(1);
    expect(ids()).toEqual(['import_csv', 'split_data']);
  });

  it('makes typing into one field a single undo step', () => {
    place('train_model:2');
    for (const value of ['s', 'sp', 'spe', 'species']) {
      store().setNodeInput('train_model', 'label_column', value, 'input:train_model:label_column');
    }
    store().undo();
    const node = store().nodes[0]!;
    expect(node.type === 'component' && node.data.inputs).toEqual({});
  });

  it('does not record selection in the history, and keeps it across undo', () => {
    place('import_csv:1');
    place('split_data:1');
    const before = store().history;
    store().selectNodes(['import_csv']);
    expect(store().history).toBe(before);
    store().setNodeInput('import_csv', 'separator', ';');
    store().undo();
    expect(store().nodes.find((n) => n.id === 'import_csv')!.selected).toBe(true);
  });

  it('deletes the selection with its edges and the pipeline outputs it fed, in one undo step', () => {
    place('import_csv:1');
    place('split_data:1');
    wire('import_csv', 'dataset', 'split_data', 'dataset');
    store().setPipelineOutput('train', { node: 'split_data', port: 'first_dataset' });
    store().selectNodes(['split_data']);
    store().deleteSelection();
    expect(ids()).toEqual(['import_csv']);
    expect(store().edges).toEqual([]);
    expect(store().outputs).toEqual({});
    store().undo();
    expect(ids()).toEqual(['import_csv', 'split_data']);
    expect(store().edges).toHaveLength(1);
    expect(Object.keys(store().outputs)).toEqual(['train']);
  });

  it('removes edges of nodes deleted through React Flow changes', () => {
    place('import_csv:1');
    place('split_data:1');
    wire('import_csv', 'dataset', 'split_data', 'dataset');
    store().onNodesChange([{ type: 'remove', id: 'import_csv' }]);
    store().onEdgesChange([{ type: 'remove', id: 'import_csv.dataset->split_data.dataset' }]);
    expect(store().edges).toEqual([]);
    store().undo();
    expect(store().edges).toHaveLength(1);
  });

  it('records a finished drag but not the moves during it', () => {
    place('import_csv:1');
    const before = store().history;
    store().onNodesChange([
      { type: 'position', id: 'import_csv', position: { x: 5, y: 5 }, dragging: true },
    ]);
    expect(store().history).toBe(before);
    store().onNodesChange([
      { type: 'position', id: 'import_csv', position: { x: 10, y: 10 }, dragging: false },
    ]);
    expect(store().history).not.toBe(before);
  });

  it('pastes copies with new ids, their internal edges, offset and selected', () => {
    place('import_csv:1');
    place('split_data:1', 300);
    place('score_model:1', 600);
    wire('import_csv', 'dataset', 'split_data', 'dataset');
    wire('split_data', 'first_dataset', 'score_model', 'dataset');
    store().selectNodes(['import_csv', 'split_data']);
    expect(store().copy()).toBe(2);
    expect(store().paste()).toBe(2);
    expect(ids()).toEqual([
      'import_csv',
      'split_data',
      'score_model',
      'import_csv_2',
      'split_data_2',
    ]);
    const pasted = store().nodes.slice(3);
    expect(pasted.every((n) => n.selected)).toBe(true);
    expect(pasted[1]!.position).toEqual({ x: 340, y: 40 });
    expect(store().edges.map((e) => e.id)).toEqual([
      'import_csv.dataset->split_data.dataset',
      'split_data.first_dataset->score_model.dataset',
      'import_csv_2.dataset->split_data_2.dataset',
    ]);
    store().undo();
    expect(store().nodes).toHaveLength(3);
  });

  it('promotes a parameter to a pipeline input and back', () => {
    place('train_model:2');
    store().setNodeInput('train_model', 'label_column', 'species');
    const name = store().promoteToPipelineInput('train_model', 'label_column', {
      type: 'string',
      value: 'species',
    });
    expect(name).toBe('label_column');
    const graph = flowToGraph(store());
    expect(graph.inputs).toEqual({ label_column: { type: 'string', value: 'species' } });
    const node = graph.nodes[0]!;
    expect(node.type === 'component' && node.data.pipeline_inputs).toEqual({
      label_column: 'label_column',
    });
    expect(node.type === 'component' && node.data.inputs).toEqual({});
    store().removePipelineInput('label_column');
    const after = flowToGraph(store()).nodes[0]!;
    expect(after.type === 'component' && after.data.inputs).toEqual({ label_column: 'species' });
    expect(after.type === 'component' && after.data.pipeline_inputs).toEqual({});
  });

  it('renames a pipeline parameter and every step bound to it, as one undoable edit', () => {
    place('train_model:2');
    place('split_data:1', 300);
    place('train_model:2', 600);
    const input = { type: 'string', value: 'species' };
    store().promoteToPipelineInput('train_model', 'label_column', input);
    store().promoteToPipelineInput('split_data', 'seed', { type: 'integer', value: 7 });
    // A second step bound to the same parameter follows the rename too.
    store().updateNodeData('train_model_2', { pipeline_inputs: { label_column: 'label_column' } });
    const bindings = () =>
      Object.fromEntries(
        flowToGraph(store()).nodes.map((n) => [
          n.id,
          n.type === 'component' ? n.data.pipeline_inputs : {},
        ]),
      );

    expect(store().renamePipelineInput('label_column', 'target')).toBeNull();

    expect(Object.keys(store().inputs)).toEqual(['target', 'seed']);
    expect(store().inputs.target).toEqual(input);
    expect(bindings()).toEqual({
      train_model: { label_column: 'target' },
      split_data: { seed: 'seed' },
      train_model_2: { label_column: 'target' },
    });
    store().undo();
    expect(Object.keys(store().inputs)).toEqual(['label_column', 'seed']);
    expect(bindings().train_model).toEqual({ label_column: 'label_column' });
    expect(bindings().train_model_2).toEqual({ label_column: 'label_column' });
    store().redo();
    expect(Object.keys(store().inputs)).toEqual(['target', 'seed']);
  });

  it('describes a pipeline parameter: typing is one undoable edit, saved trimmed, empty dropped', () => {
    place('split_data:1');
    store().promoteToPipelineInput('split_data', 'seed', { type: 'integer', value: 7 });
    for (const text of ['S', 'Se', 'Seed of the split ']) {
      store().setPipelineInputDescription('seed', text);
    }

    expect(store().inputs.seed?.description).toBe('Seed of the split ');
    expect(flowToGraph(store()).inputs.seed).toEqual({
      type: 'integer',
      value: 7,
      description: 'Seed of the split',
    });
    // Loaded back, it is the same; a graph without one has none.
    expect(graphToFlow(flowToGraph(store())).inputs.seed?.description).toBe('Seed of the split');
    store().undo();
    expect(store().inputs.seed?.description).toBeUndefined();
    store().redo();
    store().setPipelineInputDescription('seed', '');
    expect(flowToGraph(store()).inputs.seed).toEqual({ type: 'integer', value: 7 });
  });

  it('refuses a duplicate or invalid parameter name and changes nothing', () => {
    place('split_data:1');
    store().promoteToPipelineInput('split_data', 'seed', { type: 'integer', value: 7 });
    store().promoteToPipelineInput('split_data', 'fraction', { type: 'number', value: 0.5 });
    const before = store().history;

    expect(store().renamePipelineInput('seed', 'fraction')).toBe(
      'Another pipeline parameter is already called fraction.',
    );
    expect(store().renamePipelineInput('seed', '2nd')).toMatch(/letters, digits and _/);
    expect(store().renamePipelineInput('seed', '')).toBe('A pipeline parameter needs a name.');
    expect(store().renamePipelineInput('missing', 'x')).toBe(
      'There is no pipeline parameter missing.',
    );
    expect(store().renamePipelineInput('seed', 'seed')).toBeNull();

    expect(store().history).toBe(before);
    expect(Object.keys(store().inputs)).toEqual(['seed', 'fraction']);
  });

  it('keeps the viewport out of the history: undo does not move the canvas', () => {
    store().loadDocument(graphToFlow({}), { id: 1, name: 'Test' }, { x: 10, y: 20, zoom: 0.5 });
    expect(store().viewport).toEqual({ x: 10, y: 20, zoom: 0.5 });
    place('split_data:1');
    const history = store().history;
    store().setViewport({ x: -40, y: 0, zoom: 1.5 });
    expect(store().history).toBe(history);
    store().undo();
    expect(store().viewport).toEqual({ x: -40, y: 0, zoom: 1.5 });
    expect(flowToGraph(store(), store().viewport).viewport).toEqual({ x: -40, y: 0, zoom: 1.5 });
    store().loadDocument(graphToFlow({}), { id: 2, name: 'Other' });
    expect(store().viewport).toBeNull();
  });

  it('drops values and wires of ports that a new version lacks', () => {
    place('import_csv:1');
    place('train_model:1', 300);
    place('score_model:1', 600);
    wire('import_csv', 'dataset', 'train_model', 'dataset');
    wire('train_model', 'report', 'score_model', 'dataset');
    store().setNodeInput('train_model', 'legacy', 'x');
    store().setNodeInput('train_model', 'label_column', 'species');
    store().changeComponentVersion('train_model', catalog().components['train_model:2']!);
    const node = store().nodes.find((n) => n.id === 'train_model')!;
    expect(node.type === 'component' && node.data.component).toBe('train_model:2');
    expect(node.type === 'component' && node.data.inputs).toEqual({ label_column: 'species' });
    expect(store().edges.map((e) => e.id)).toEqual(['import_csv.dataset->train_model.dataset']);
  });
});

describe('designer store with a 500-node draft', () => {
  it('changes only the edited node, so the other cards keep their props and skip rendering', () => {
    const nodes = Array.from({ length: 500 }, (_, i) => ({
      id: `split_data_${i}`,
      type: 'component',
      position: { x: (i % 25) * 300, y: Math.floor(i / 25) * 200 },
      data: { component: 'split_data:1', display_name: `Split ${i}` },
    }));
    const edges = nodes.slice(1).map((n, i) => ({
      id: `e${i}`,
      source: nodes[i]!.id,
      sourceHandle: 'first_dataset',
      target: n.id,
      targetHandle: 'dataset',
    }));
    store().loadDocument(graphToFlow({ nodes, edges }), { id: 1 });
    const before = store().nodes;
    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      store().setNodeInput('split_data_250', 'seed', i, 'input:split_data_250:seed');
    }
    expect(performance.now() - started).toBeLessThan(1000);
    const changed = store().nodes.filter((n, i) => n !== before[i]);
    expect(changed.map((n) => n.id)).toEqual(['split_data_250']);
    expect(store().edges).toBe(store().history.present.edges);
    store().undo();
    expect(store().nodes.every((n, i) => n === before[i])).toBe(true);
  });
});

describe('checkWire', () => {
  beforeEach(() => {
    place('iris:1');
    place('import_csv:1', 300);
    place('split_data:1', 600);
  });

  it('accepts a data asset into an input of its type', () => {
    expect(
      checkWire({
        source: 'iris',
        sourceHandle: 'data',
        target: 'import_csv',
        targetHandle: 'source_file',
      }),
    ).toEqual({ ok: true });
  });

  it('accepts a CSV data asset straight into a table input (the step reads the file)', () => {
    expect(
      checkWire({
        source: 'iris',
        sourceHandle: 'data',
        target: 'split_data',
        targetHandle: 'dataset',
      }),
    ).toEqual({ ok: true });
  });

  it('refuses a folder into a file input, naming the display names and the fix', () => {
    const verdict = checkWire({
      source: 'split_data',
      sourceHandle: 'first_dataset',
      target: 'import_csv',
      targetHandle: 'source_file',
    });
    expect(verdict).toEqual({
      ok: false,
      code: 'type',
      reason:
        'Cannot connect Split Data · first_dataset (uri_folder) to Import CSV · source_file (uri_file): ' +
        'the types do not match. This input reads a single file, and that output is a folder: ' +
        'connect it to a table input instead.',
    });
  });

  it('refuses a wire that would close a cycle, and a second wire into one input', () => {
    place('score_model:1', 900);
    place('score_model:1', 1200);
    wire('split_data', 'first_dataset', 'score_model', 'dataset');
    wire('score_model', 'scored_dataset', 'score_model_2', 'dataset');
    const cycle = checkWire({
      source: 'score_model_2',
      sourceHandle: 'scored_dataset',
      target: 'score_model',
      targetHandle: 'model',
    });
    expect(!cycle.ok && cycle.code).toBe('cycle');
    expect(!cycle.ok && cycle.reason).toContain('Score Model → ');
    const taken = checkWire({
      source: 'split_data',
      sourceHandle: 'second_dataset',
      target: 'score_model',
      targetHandle: 'dataset',
    });
    expect(!taken.ok && taken.code).toBe('occupied');
  });
});
