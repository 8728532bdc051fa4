import { describe, expect, it } from 'vitest';
import { suggestedEndpointName } from './publish-dialog';

describe('suggestedEndpointName', () => {
  it.each([
    ['Split iris', 'split-iris'],
    ['Split iris for partners', 'split-iris-for-partners'],
    ['My_pipeline (v2)!', 'my-pipeline-v2'],
    ['--', ''],
    ['Ünïcode', 'unicode'],
    ['a'.repeat(120), 'a'.repeat(100)],
  ])('makes %j into %j, as the server does', (name, expected) => {
    expect(suggestedEndpointName(name)).toBe(expected);
  });
});
