import { describe, expect, it } from 'vitest';
import { initialValues, placeErrors, readBody, widgetOf, type FormValues } from './form-values';
import type { EndpointParameter } from './types';

const EVERY_KIND: EndpointParameter[] = [
  { name: 'raw', kind: 'data', type: 'uri_file', default: 'iris:1' },
  { name: 'header', kind: 'value', type: 'boolean', default: true },
  {
    name: 'algorithm',
    kind: 'value',
    type: 'string',
    default: 'random_forest',
    enum: ['logistic_regression', 'random_forest'],
  },
  { name: 'iterations', kind: 'value', type: 'integer', optional: true, min: 1, max: 100000 },
  { name: 'trees', kind: 'value', type: 'integer', required: true, min: 1, max: 5000 },
  { name: 'fraction', kind: 'value', type: 'number', default: 0.7 },
  { name: 'label', kind: 'value', type: 'string', default: 'species' },
];

function edit(values: FormValues, name: string, patch: Partial<FormValues[string]>): FormValues {
  return { ...values, [name]: { ...values[name]!, ...patch } };
}

describe('the Try it form values', () => {
  it('picks a widget for each kind of parameter', () => {
    expect(EVERY_KIND.map(widgetOf)).toEqual([
      'data',
      'checkbox',
      'select',
      'number',
      'number',
      'number',
      'text',
    ]);
  });

  it('starts from the defaults, sending each as its type', () => {
    const values = initialValues(EVERY_KIND);

    expect(values.algorithm!.raw).toBe('"random_forest"');
    expect(values.fraction!.raw).toBe('0.7');
    expect(readBody(EVERY_KIND, values, '').body).toEqual({
      ParameterAssignments: {
        header: true,
        algorithm: 'random_forest',
        fraction: 0.7,
        label: 'species',
      },
    });
  });

  it('coerces what the person set: numbers, booleans, choices, cleared values and data', () => {
    let values = initialValues(EVERY_KIND);
    values = edit(values, 'trees', { raw: '20' });
    values = edit(values, 'header', { raw: false });
    values = edit(values, 'algorithm', { raw: '"logistic_regression"' });
    values = edit(values, 'iterations', { raw: '50', cleared: true });
    values = edit(values, 'fraction', { raw: '' });
    values = edit(values, 'raw', { asset: 'iris', version: '1' });

    const { body, problems } = readBody(EVERY_KIND, values, '  partner-checks ');

    expect(problems).toEqual({});
    expect(body).toEqual({
      ExperimentName: 'partner-checks',
      ParameterAssignments: {
        header: false,
        algorithm: 'logistic_regression',
        iterations: null,
        trees: 20,
        label: 'species',
      },
      DataPathAssignments: { raw: { DataAssetName: 'iris', Version: '1' } },
    });
    expect(Object.keys(body)).toEqual([
      'ExperimentName',
      'ParameterAssignments',
      'DataPathAssignments',
    ]);
  });

  it('sends the latest version of a data asset when no version is picked', () => {
    const values = edit(initialValues(EVERY_KIND), 'raw', { asset: 'iris' });

    expect(readBody(EVERY_KIND, values, '').body.DataPathAssignments).toEqual({
      raw: { DataAssetName: 'iris' },
    });
  });

  it('refuses a number the browser could not read, at its field', () => {
    const values = edit(initialValues(EVERY_KIND), 'trees', { raw: '', bad: true });

    expect(readBody(EVERY_KIND, values, '').problems).toEqual({
      'ParameterAssignments.trees': ['is not a number'],
    });
  });

  it('does not clear a parameter that is not optional', () => {
    const values = edit(initialValues(EVERY_KIND), 'label', { cleared: true });

    expect(readBody(EVERY_KIND, values, '').body.ParameterAssignments).toHaveProperty(
      'label',
      'species',
    );
  });
});

describe('placeErrors', () => {
  const slots = ['ParameterAssignments.fraction', 'DataPathAssignments.raw', 'ExperimentName'];

  it('puts each error at the field with the longest matching key, the rest loose', () => {
    const placed = placeErrors(
      {
        'ParameterAssignments.fraction': ['is above the maximum 0.99 (request body)'],
        'DataPathAssignments.raw.Version': ['must be a version such as "2"'],
        'ParameterAssignments.nope': ['is not a parameter'],
        body: ['the body must be a JSON object'],
      },
      slots,
    );

    expect(placed.atField).toEqual({
      'ParameterAssignments.fraction': ['is above the maximum 0.99'],
      'DataPathAssignments.raw': ['must be a version such as "2"'],
    });
    expect(placed.loose).toEqual([
      'ParameterAssignments.nope: is not a parameter',
      'body: the body must be a JSON object',
    ]);
  });

  it('does not take a field whose name only starts the same', () => {
    const placed = placeErrors({ 'ParameterAssignments.fractional': ['x'] }, slots);

    expect(placed.atField).toEqual({});
    expect(placed.loose).toEqual(['ParameterAssignments.fractional: x']);
  });
});
