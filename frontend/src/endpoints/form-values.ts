/**
 * The "Try it" form's state and the invocation body it sends: each parameter's widget, its first
 * value, the value coerced to the parameter's type, and the API's errors placed at their fields.
 * Pure.
 */
import type { EndpointParameter } from './types';

export type Widget = 'number' | 'select' | 'checkbox' | 'text' | 'data';

/** What one field of the form holds. */
export interface FieldValue {
  /** text of a number/text input, the JSON of a select's choice ('' for none), or a checkbox. */
  raw: string | boolean;
  /** "send no value": the parameter is sent as null. */
  cleared: boolean;
  /** The browser could not read the number typed (`validity.badInput`). */
  bad: boolean;
  /** A data parameter's asset ('' for its default) and version ('' for the latest). */
  asset: string;
  version: string;
}

export type FormValues = Record<string, FieldValue>;

export function widgetOf(parameter: EndpointParameter): Widget {
  if (parameter.kind === 'data') return 'data';
  if (parameter.enum && parameter.enum.length > 0) return 'select';
  if (parameter.type === 'boolean') return 'checkbox';
  if (parameter.type === 'integer' || parameter.type === 'number') return 'number';
  return 'text';
}

/** The error key of a parameter in the API's 400 answer. */
export function errorKey(parameter: EndpointParameter): string {
  return `${parameter.kind === 'data' ? 'DataPathAssignments' : 'ParameterAssignments'}.${parameter.name}`;
}

/** The form's first values: each parameter's default. */
export function initialValues(parameters: readonly EndpointParameter[]): FormValues {
  const values: FormValues = {};
  for (const parameter of parameters) {
    const value: FieldValue = { raw: '', cleared: false, bad: false, asset: '', version: '' };
    const fallback = parameter.default;
    const widget = widgetOf(parameter);
    if (widget === 'checkbox') value.raw = Boolean(fallback);
    else if (widget === 'select')
      value.raw = fallback === null || fallback === undefined ? '' : JSON.stringify(fallback);
    else if (widget !== 'data')
      value.raw = fallback === null || fallback === undefined ? '' : String(fallback);
    values[parameter.name] = value;
  }
  return values;
}

/** What the browser already knows is wrong, by error key. */
export type Problems = Record<string, string[]>;

export interface ReadBody {
  body: Record<string, unknown>;
  problems: Problems;
}

/**
 * The invocation body from the form: checkboxes as booleans, numbers as numbers, choices as the
 * JSON value they stand for, cleared values as null; an empty input sends nothing (the default).
 */
export function readBody(
  parameters: readonly EndpointParameter[],
  values: FormValues,
  experiment: string,
): ReadBody {
  const assignments: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  const problems: Problems = {};
  for (const parameter of parameters) {
    const value = values[parameter.name];
    if (!value) continue;
    const name = parameter.name;
    const widget = widgetOf(parameter);
    if (widget === 'data') {
      if (value.asset)
        data[name] = value.version
          ? { DataAssetName: value.asset, Version: value.version }
          : { DataAssetName: value.asset };
      continue;
    }
    if (value.cleared && parameter.optional) {
      assignments[name] = null;
      continue;
    }
    if (widget === 'checkbox') {
      assignments[name] = value.raw === true;
      continue;
    }
    const raw = typeof value.raw === 'string' ? value.raw : '';
    if (widget === 'number' && value.bad) {
      problems[errorKey(parameter)] = ['is not a number'];
      continue;
    }
    if (raw === '') continue;
    if (widget === 'select') assignments[name] = JSON.parse(raw) as unknown;
    else if (widget === 'number') {
      const number = Number(raw);
      if (Number.isFinite(number)) assignments[name] = number;
      else problems[errorKey(parameter)] = ['is not a number'];
    } else assignments[name] = raw;
  }
  const body: Record<string, unknown> = {};
  if (experiment.trim()) body.ExperimentName = experiment.trim();
  if (Object.keys(assignments).length > 0) body.ParameterAssignments = assignments;
  if (Object.keys(data).length > 0) body.DataPathAssignments = data;
  return { body, problems };
}

function cleanMessage(message: string): string {
  return message.replace(/ \(request body(:\d+)?\)$/, '');
}

export interface PlacedErrors {
  /** Messages by the field's error key. */
  atField: Record<string, string[]>;
  /** Messages no field shows ("KEY: message"). */
  loose: string[];
}

/**
 * Each entry of the API's `errors` at the field whose key is the longest prefix of it
 * (`ParameterAssignments.raw.Version` goes to `ParameterAssignments.raw`), the rest loose.
 */
export function placeErrors(
  errors: Record<string, string[]>,
  slots: readonly string[],
): PlacedErrors {
  const atField: Record<string, string[]> = {};
  const loose: string[] = [];
  for (const [key, messages] of Object.entries(errors)) {
    const cleaned = messages.map(cleanMessage);
    const slot = slots
      .filter((at) => key === at || key.startsWith(`${at}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (slot === undefined) {
      for (const message of cleaned) loose.push(key ? `${key}: ${message}` : message);
    } else {
      atField[slot] = [...(atField[slot] ?? []), ...cleaned];
    }
  }
  return { atField, loose };
}
