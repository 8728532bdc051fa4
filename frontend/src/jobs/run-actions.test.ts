import { describe, expect, it } from 'vitest';
import { changedParameters } from './run-actions';
import type { RerunParameter } from './types';

const PARAMETERS: RerunParameter[] = [
  { name: 'fraction', type: 'number', value: 0.7 },
  { name: 'label', type: 'string', value: 'species' },
  { name: 'shuffle', type: 'boolean', value: true },
];

describe('changedParameters', () => {
  it('sends only the values that differ from the job, booleans as booleans', () => {
    expect(
      changedParameters(PARAMETERS, { fraction: '0.7', label: 'species', shuffle: 'true' }),
    ).toEqual({});
    expect(
      changedParameters(PARAMETERS, { fraction: '0.5', label: 'species', shuffle: 'false' }),
    ).toEqual({ fraction: '0.5', shuffle: false });
  });
});
