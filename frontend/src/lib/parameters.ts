/**
 * Parameter inputs of components: parsing what a person typed and checking it against the
 * port's declaration (type, min, max, enum, optional). Pure.
 */
import type { ParameterValue } from './draft-graph';

/** An input port as declared in component.yml (the fields the designer uses). */
export interface InputPortSpec {
  type: string;
  description?: string;
  default?: ParameterValue;
  optional?: boolean;
  min?: number | null;
  max?: number | null;
  enum?: string[] | null;
}

export interface OutputPortSpec {
  type: string;
  description?: string;
}

/** The result of reading a field: the value to store, or why it cannot be stored. */
export type ParsedParameter = { ok: true; value: ParameterValue } | { ok: false; error: string };

/** Whether the port has a default, so leaving it empty is fine. */
export function hasDefault(port: InputPortSpec): boolean {
  return port.default !== undefined && port.default !== null;
}

/** What is wrong with a value for this port, or null when it is acceptable. */
export function parameterProblem(port: InputPortSpec, value: ParameterValue): string | null {
  if (value === null || value === '') {
    if (port.optional || hasDefault(port)) return null;
    return 'Required';
  }
  switch (port.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'Must be true or false';
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'Must be a number';
      if (port.type === 'integer' && !Number.isInteger(value)) return 'Must be a whole number';
      if (port.min != null && value < port.min) return `Must be at least ${port.min}`;
      if (port.max != null && value > port.max) return `Must be at most ${port.max}`;
      return null;
    }
    default: {
      if (typeof value !== 'string') return 'Must be text';
      if (port.enum && port.enum.length > 0 && !port.enum.includes(value)) {
        return `Must be one of ${port.enum.join(', ')}`;
      }
      return null;
    }
  }
}

/**
 * Reads a field's text as a value of the port's type. Empty text means "not set" (null); it is
 * an error only for a required port without a default.
 */
export function parseParameter(port: InputPortSpec, text: string): ParsedParameter {
  const trimmed = text.trim();
  let value: ParameterValue;
  if (trimmed === '') {
    value = null;
  } else if (port.type === 'integer' || port.type === 'number') {
    // Number('') and Number(' ') are 0, and Number('1e') is NaN: check the shape first.
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) {
      return {
        ok: false,
        error: port.type === 'integer' ? 'Must be a whole number' : 'Must be a number',
      };
    }
    value = Number(trimmed);
  } else if (port.type === 'boolean') {
    if (trimmed === 'true' || trimmed === 'false') value = trimmed === 'true';
    else return { ok: false, error: 'Must be true or false' };
  } else {
    value = text;
  }
  const problem = parameterProblem(port, value);
  return problem ? { ok: false, error: problem } : { ok: true, value };
}

/** How a stored value reads in a text field. */
export function formatParameter(value: ParameterValue | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value);
}
