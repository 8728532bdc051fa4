import { describe, expect, it } from 'vitest';
import { identifierFrom, uniqueNodeId } from './node-ids';

describe('identifierFrom', () => {
  it('makes a lower-case identifier', () => {
    expect(identifierFrom('Train Model')).toBe('train_model');
    expect(identifierFrom('my-data.v2')).toBe('my_data_v2');
    expect(identifierFrom('__x__')).toBe('x');
    expect(identifierFrom('2024 sales')).toBe('n_2024_sales');
    expect(identifierFrom('!!!')).toBe('node');
  });
});

describe('uniqueNodeId', () => {
  it('returns the identifier when free, else the first free numbered one', () => {
    expect(uniqueNodeId('train_model', new Set())).toBe('train_model');
    expect(uniqueNodeId('train_model', new Set(['train_model']))).toBe('train_model_2');
    expect(uniqueNodeId('train_model', new Set(['train_model', 'train_model_2']))).toBe(
      'train_model_3',
    );
  });
});
