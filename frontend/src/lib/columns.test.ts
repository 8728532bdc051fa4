import { describe, expect, it } from 'vitest';
import {
  columnChoice,
  columnNames,
  inputColumns,
  outputColumns,
  selectColumns,
  unknownColumns,
  type Column,
  type ColumnGraph,
  type ColumnRules,
  type OutputColumnsRule,
} from './columns';

const IRIS: Column[] = [
  { name: 'sepal_length', type: 'numeric' },
  { name: 'sepal_width', type: 'numeric' },
  { name: 'petal_length', type: 'numeric' },
  { name: 'petal_width', type: 'numeric' },
  { name: 'species', type: 'string' },
];

const rule = (over: Partial<OutputColumnsRule>): OutputColumnsRule => ({
  keep: 'dataset',
  add: [],
  remove: [],
  select: null,
  mode: null,
  more: [],
  when: {},
  ...over,
});

// The built-in declarations the server sends (studio/library/components/*/columns.yml).
const RULES: Record<string, ColumnRules> = {
  'import_csv:1': {
    parameters: {},
    outputs: { dataset: rule({ keep: 'source_file', when: { has_header: true, separator: ',' } }) },
  },
  'select_columns:1': {
    parameters: { columns: { of: 'dataset', many: true } },
    outputs: { result_dataset: rule({ select: 'columns', mode: 'mode' }) },
  },
  'split_data:1': {
    parameters: { stratify_column: { of: 'dataset', many: false } },
    outputs: { first_dataset: rule({}), second_dataset: rule({}) },
  },
  'score_model:1': {
    parameters: {},
    outputs: { scored_dataset: rule({ add: ['scored_label'], more: ['scored_probability_*'] }) },
  },
  'evaluate_model:1': {
    parameters: { label_column: { of: 'scored_dataset', many: false } },
    outputs: {},
  },
  'execute_python_script:1': { parameters: {}, outputs: {} },
};

/** A canvas: data iris -> load -> pick -> split -> score -> evaluate, with parameters per node. */
function graph(parameters: Record<string, Record<string, unknown>> = {}): ColumnGraph {
  const refs: Record<string, string> = {
    load: 'import_csv:1',
    pick: 'select_columns:1',
    split: 'split_data:1',
    score: 'score_model:1',
    evaluate: 'evaluate_model:1',
    script: 'execute_python_script:1',
  };
  const defaults: Record<string, unknown> = { has_header: true, separator: ',', mode: 'include' };
  const wires: Record<string, { node: string; port: string }> = {
    'load.source_file': { node: 'iris', port: 'data' },
    'pick.dataset': { node: 'load', port: 'dataset' },
    'split.dataset': { node: 'pick', port: 'result_dataset' },
    'score.dataset': { node: 'split', port: 'second_dataset' },
    'evaluate.scored_dataset': { node: 'score', port: 'scored_dataset' },
    'script.dataset': { node: 'iris', port: 'data' },
  };
  return {
    node: (id) =>
      id === 'iris'
        ? { kind: 'data', ref: 'iris:1' }
        : refs[id]
          ? {
              kind: 'component',
              ref: refs[id]!,
              parameter: (port) => parameters[id]?.[port] ?? defaults[port] ?? null,
            }
          : undefined,
    incoming: (node, port) => wires[`${node}.${port}`],
    rules: (ref) => RULES[ref],
    dataColumns: (ref) => (ref === 'iris:1' ? IRIS : undefined),
  };
}

const pick = { pick: { columns: 'petal_width,species' } };

describe('schema propagation', () => {
  it('carries the data asset columns through Import CSV, Select Columns and Split Data', () => {
    const known = inputColumns(graph(pick), 'score', 'dataset');
    expect(known?.columns.map((c) => c.name)).toEqual(['petal_width', 'species']);
    expect(known?.columns[0]?.type).toBe('numeric');
  });

  it('drops the columns Select Columns excludes, and adds what Score Model writes', () => {
    const g = graph({ pick: { columns: 'sepal_width, species', mode: 'exclude' } });
    const scored = inputColumns(g, 'evaluate', 'scored_dataset')!;
    expect(scored.columns.map((c) => c.name)).toEqual([
      'sepal_length',
      'petal_length',
      'petal_width',
      'scored_label',
    ]);
    expect(scored.more).toEqual(['scored_probability_*']);
  });

  it('knows nothing where a rule does not hold or a step declares nothing', () => {
    expect(inputColumns(graph({ ...pick, load: { has_header: false } }), 'split', 'dataset')).toBe(
      null,
    );
    expect(inputColumns(graph({ pick: { columns: 'nope' } }), 'split', 'dataset')).toBe(null);
    expect(columnChoice(graph(), 'script', 'dataset')).toBe(null);
    expect(inputColumns(graph(), 'nowhere', 'dataset')).toBe(null);
  });

  it('gives a column parameter its choice, and finds names that are not columns', () => {
    const choice = columnChoice(graph(pick), 'split', 'stratify_column')!;
    expect(choice.of).toBe('dataset');
    expect(choice.many).toBe(false);
    expect(unknownColumns(choice, 'species')).toEqual([]);
    expect(unknownColumns(choice, 'sepal_length')).toEqual(['sepal_length']);
    const evaluate = columnChoice(graph(pick), 'evaluate', 'label_column')!;
    expect(unknownColumns(evaluate, 'scored_probability_setosa')).toEqual([]);
    expect(unknownColumns(evaluate, 'spcies')).toEqual(['spcies']);
    const many = columnChoice(graph(), 'pick', 'columns')!;
    expect(unknownColumns(many, 'species, colour ,sepal_width')).toEqual(['colour']);
  });

  it('applies keep, add and remove as the server does', () => {
    const source = { columns: IRIS, more: [] };
    const out = outputColumns(rule({ remove: ['species'], add: ['id'] }), source, () => null);
    expect(out?.columns.map((c) => c.name)).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
      'id',
    ]);
  });
});

describe('the column selector', () => {
  it('selects by name, by type and all but, in the table order', () => {
    expect(selectColumns(IRIS, 'names', ['species', 'sepal_width'])).toEqual([
      'sepal_width',
      'species',
    ]);
    expect(selectColumns(IRIS, 'types', ['string'])).toEqual(['species']);
    expect(selectColumns(IRIS, 'all-but', ['species'])).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
    ]);
  });

  it('reads a value as the scripts do', () => {
    expect(columnNames(' a , b,,c ', true)).toEqual(['a', 'b', 'c']);
    expect(columnNames(' a , b ', false)).toEqual(['a , b']);
    expect(columnNames(null, true)).toEqual([]);
  });
});
