/** API records shaped like Studio's built-in library, for designer tests. */
import type { ComponentRecord, ComputeRecord, DataAssetRecord } from '../designer/api';

function component(
  name: string,
  display_name: string,
  category: string,
  spec: ComponentRecord['spec'],
  version = '1',
): ComponentRecord {
  return {
    name,
    version,
    display_name,
    description: `${display_name} does things.`,
    tags: { category },
    spec,
    archived: false,
  };
}

export const components: ComponentRecord[] = [
  component('import_csv', 'Import CSV', 'Data Input and Output', {
    inputs: {
      source_file: { type: 'uri_file', optional: true },
      separator: { type: 'string', default: ',' },
      has_header: { type: 'boolean', default: true },
    },
    outputs: { dataset: { type: 'uri_folder' } },
  }),
  component('split_data', 'Split Data', 'Data Transformation', {
    inputs: {
      dataset: { type: 'uri_folder' },
      fraction: { type: 'number', default: 0.7, min: 0.01, max: 0.99 },
      seed: { type: 'integer', default: 42, min: 0 },
    },
    outputs: { first_dataset: { type: 'uri_folder' }, second_dataset: { type: 'uri_folder' } },
  }),
  component(
    'train_model',
    'Train Model',
    'Model Training',
    {
      inputs: {
        dataset: { type: 'uri_folder' },
        label_column: { type: 'string' },
        algorithm: {
          type: 'string',
          enum: ['logistic_regression', 'random_forest'],
          default: 'logistic_regression',
        },
        n_estimators: { type: 'integer', default: 100, min: 1, max: 5000 },
      },
      outputs: { model: { type: 'uri_folder' } },
    },
    '2',
  ),
  component('train_model', 'Train Model', 'Model Training', {
    inputs: {
      dataset: { type: 'uri_folder' },
      label_column: { type: 'string' },
      legacy: { type: 'string', optional: true },
    },
    outputs: { model: { type: 'uri_folder' }, report: { type: 'uri_folder' } },
  }),
  component('score_model', 'Score Model', 'Model Scoring & Evaluation', {
    inputs: { model: { type: 'uri_folder' }, dataset: { type: 'uri_folder' } },
    outputs: { scored_dataset: { type: 'uri_folder' } },
  }),
];

export const dataAssets: DataAssetRecord[] = [
  {
    name: 'iris',
    version: '1',
    data_type: 'uri_file',
    description: 'Iris flowers.',
    archived: false,
  },
];

export const computes: ComputeRecord[] = [{ name: 'local', state: 'online', kind: 'local' }];

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

export function page<T>(results: T[]) {
  return { count: results.length, next: null, previous: null, results };
}
