import { describe, expect, it } from 'vitest';
import {
  formatParameter,
  parameterProblem,
  parseParameter,
  type InputPortSpec,
} from './parameters';

const fraction: InputPortSpec = { type: 'number', default: 0.7, min: 0.01, max: 0.99 };
const trees: InputPortSpec = { type: 'integer', default: 100, min: 1, max: 5000 };
const iterations: InputPortSpec = { type: 'integer', optional: true, min: 1 };
const label: InputPortSpec = { type: 'string' };
const algorithm: InputPortSpec = {
  type: 'string',
  enum: ['logistic_regression', 'random_forest'],
  default: 'logistic_regression',
};
const header: InputPortSpec = { type: 'boolean', default: true };

describe('parseParameter', () => {
  it('reads numbers and integers within min and max', () => {
    expect(parseParameter(fraction, '0.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseParameter(fraction, ' .25 ')).toEqual({ ok: true, value: 0.25 });
    expect(parseParameter(trees, '250')).toEqual({ ok: true, value: 250 });
    expect(parseParameter(trees, '1e3')).toEqual({ ok: true, value: 1000 });
  });

  it('refuses values outside min and max, saying the bound', () => {
    expect(parseParameter(fraction, '1.5')).toEqual({ ok: false, error: 'Must be at most 0.99' });
    expect(parseParameter(fraction, '0')).toEqual({ ok: false, error: 'Must be at least 0.01' });
    expect(parseParameter(trees, '0')).toEqual({ ok: false, error: 'Must be at least 1' });
  });

  it('refuses fractions for integers and text for numbers', () => {
    expect(parseParameter(trees, '2.5')).toEqual({ ok: false, error: 'Must be a whole number' });
    expect(parseParameter(trees, 'ten')).toEqual({ ok: false, error: 'Must be a whole number' });
    expect(parseParameter(fraction, '1e')).toEqual({ ok: false, error: 'Must be a number' });
  });

  it('treats empty text as unset: fine when optional or defaulted, else required', () => {
    expect(parseParameter(iterations, '')).toEqual({ ok: true, value: null });
    expect(parseParameter(trees, '  ')).toEqual({ ok: true, value: null });
    expect(parseParameter(label, '')).toEqual({ ok: false, error: 'Required' });
  });

  it('keeps strings as typed and checks enums', () => {
    expect(parseParameter(label, ' species')).toEqual({ ok: true, value: ' species' });
    expect(parseParameter(algorithm, 'random_forest')).toEqual({
      ok: true,
      value: 'random_forest',
    });
    expect(parseParameter(algorithm, 'svm')).toEqual({
      ok: false,
      error: 'Must be one of logistic_regression, random_forest',
    });
  });

  it('reads booleans', () => {
    expect(parseParameter(header, 'false')).toEqual({ ok: true, value: false });
    expect(parseParameter(header, 'yes')).toEqual({ ok: false, error: 'Must be true or false' });
  });
});

describe('parameterProblem', () => {
  it('checks stored values by type', () => {
    expect(parameterProblem(trees, 10)).toBeNull();
    expect(parameterProblem(trees, 10.5)).toBe('Must be a whole number');
    expect(parameterProblem(trees, '10')).toBe('Must be a number');
    expect(parameterProblem(header, 'true')).toBe('Must be true or false');
    expect(parameterProblem(label, 3)).toBe('Must be text');
    expect(parameterProblem(label, null)).toBe('Required');
  });
});

describe('formatParameter', () => {
  it('shows unset as empty and others as text', () => {
    expect(formatParameter(null)).toBe('');
    expect(formatParameter(undefined)).toBe('');
    expect(formatParameter(0)).toBe('0');
    expect(formatParameter(false)).toBe('false');
  });
});
