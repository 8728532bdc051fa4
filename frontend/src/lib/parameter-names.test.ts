import { describe, expect, it } from 'vitest';
import { parameterNameProblem } from './parameter-names';

const names = ['label_column', 'seed'];

describe('parameterNameProblem', () => {
  it('accepts identifiers, and the current name', () => {
    for (const name of ['target', 'Target_2', '_private', 'label_column']) {
      expect(parameterNameProblem(name, 'label_column', names)).toBeNull();
    }
  });

  it('refuses an empty name', () => {
    expect(parameterNameProblem('', 'label_column', names)).toBe(
      'A pipeline parameter needs a name.',
    );
  });

  it('refuses what is not an identifier', () => {
    for (const name of ['2nd', 'label column', 'label-column', 'étiquette', 'a.b', ' seed']) {
      expect(parameterNameProblem(name, 'label_column', names)).toBe(
        'Use letters, digits and _ only, and do not start with a digit.',
      );
    }
  });

  it('refuses the name of another parameter', () => {
    expect(parameterNameProblem('seed', 'label_column', names)).toBe(
      'Another pipeline parameter is already called seed.',
    );
  });

  it('accepts a long name, as the compiler does', () => {
    expect(parameterNameProblem('a'.repeat(300), 'label_column', names)).toBeNull();
  });
});
