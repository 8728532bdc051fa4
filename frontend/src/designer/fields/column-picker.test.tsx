import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Column, ColumnRules } from '../../lib/columns';
import { graphToFlow, type ParameterValue } from '../../lib/draft-graph';
import { useColumnStore } from '../column-store';
import { useDesignerStore } from '../store';
import { ParameterField } from './parameter-field';

const IRIS: Column[] = [
  { name: 'sepal_length', type: 'numeric' },
  { name: 'petal_width', type: 'numeric' },
  { name: 'species', type: 'string' },
];
const KEEP = { add: [], remove: [], select: null, mode: null, more: [], when: {} };
const RULES: Record<string, ColumnRules> = {
  'split_data:1': {
    parameters: { stratify_column: { of: 'dataset', many: false } },
    outputs: { first_dataset: { keep: 'dataset', ...KEEP } },
  },
  'normalize_data:1': {
    parameters: { columns: { of: 'dataset', many: true } },
    outputs: {},
  },
};

function canvas(wired: boolean) {
  const step = (id: string, component: string) => ({
    id,
    type: 'component',
    position: { x: 0, y: 0 },
    data: { component, display_name: '', inputs: {} },
  });
  useDesignerStore.getState().loadDocument(
    graphToFlow({
      nodes: [
        { id: 'iris', type: 'data', position: { x: 0, y: 0 }, data: { asset: 'iris:1' } },
        step('split', 'split_data:1'),
        step('norm', 'normalize_data:1'),
      ],
      edges: wired
        ? [
            {
              id: 'e1',
              source: 'iris',
              sourceHandle: 'data',
              target: 'split',
              targetHandle: 'dataset',
            },
            {
              id: 'e2',
              source: 'split',
              sourceHandle: 'first_dataset',
              target: 'norm',
              targetHandle: 'dataset',
            },
          ]
        : [],
    }),
    { id: 1, name: 'Test' },
  );
}

function Field({
  node,
  port,
  many,
  value,
  onChange,
}: {
  node: string;
  port: string;
  many?: boolean;
  value?: ParameterValue;
  onChange: (v: ParameterValue | undefined) => void;
}) {
  return (
    <ParameterField
      id={`${node}-${port}`}
      name={port}
      port={{ type: 'string', optional: true, description: many ? 'Columns' : 'A column' }}
      value={value}
      onChange={onChange}
      columnsOf={{ node, port }}
    />
  );
}

beforeEach(() => {
  // Nothing is fetched: the answers are seeded.
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response('{}', { status: 404 })),
  );
  useColumnStore.getState().seed({ rules: RULES, dataColumns: { 'iris:1': IRIS } });
});

afterEach(() => {
  useColumnStore.getState().reset();
  vi.unstubAllGlobals();
});

describe('column parameters', () => {
  it('pick one column from the columns of the data wired into the step', () => {
    canvas(true);
    const onChange = vi.fn();
    render(<Field node="split" port="stratify_column" onChange={onChange} />);
    const select = screen.getByRole('combobox', { name: /stratify_column/ });
    const options = within(select)
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(options).toEqual([
      '(none)',
      'sepal_length · numeric',
      'petal_width · numeric',
      'species · string',
    ]);
    fireEvent.change(select, { target: { value: 'species' } });
    expect(onChange).toHaveBeenCalledWith('species');
  });

  it('say so when the value names no column of the table', () => {
    canvas(true);
    render(<Field node="split" port="stratify_column" value="Species" onChange={vi.fn()} />);
    expect(screen.getByRole('option', { name: 'Species (not a column of dataset)' })).toBeTruthy();
    expect(screen.getByText("'Species' is not a column of dataset")).toBeTruthy();
  });

  it('stay free text until data with known columns is wired', () => {
    canvas(false);
    render(<Field node="split" port="stratify_column" onChange={vi.fn()} />);
    expect(screen.getByRole('textbox', { name: /stratify_column/ })).toBeTruthy();
    expect(screen.getByText(/connect data whose/)).toBeTruthy();
  });

  it('select several columns by name, by type and all but, through a step that keeps them', () => {
    canvas(true);
    const onChange = vi.fn();
    const { rerender } = render(<Field node="norm" port="columns" many onChange={onChange} />);
    fireEvent.click(screen.getByRole('checkbox', { name: /petal_width/ }));
    expect(onChange).toHaveBeenLastCalledWith('petal_width');

    rerender(<Field node="norm" port="columns" many value="petal_width" onChange={onChange} />);
    fireEvent.click(screen.getByRole('radio', { name: 'By type' }));
    fireEvent.click(screen.getByRole('checkbox', { name: /numeric columns/ }));
    expect(onChange).toHaveBeenLastCalledWith('sepal_length,petal_width');

    rerender(
      <Field
        node="norm"
        port="columns"
        many
        value="sepal_length,petal_width"
        onChange={onChange}
      />,
    );
    fireEvent.click(screen.getByRole('radio', { name: 'All but' }));
    // The columns left out are ticked: species; tick sepal_length too.
    expect(screen.getByRole('checkbox', { name: /species/ })).toHaveProperty('checked', true);
    fireEvent.click(screen.getByRole('checkbox', { name: /sepal_length/ }));
    expect(onChange).toHaveBeenLastCalledWith('petal_width');
  });

  it('list names that are not columns, and remove them', () => {
    canvas(true);
    const onChange = vi.fn();
    render(<Field node="norm" port="columns" many value="species,colour" onChange={onChange} />);
    expect(screen.getByText(/Not columns of dataset: colour/)).toBeTruthy();
    expect(screen.getByText('1 of 3: species')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    expect(onChange).toHaveBeenLastCalledWith('species');
  });
});
