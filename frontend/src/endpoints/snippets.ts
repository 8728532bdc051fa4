/**
 * The curl and Python (requests) calls the endpoint page shows, written from the body "Try it"
 * would send, with the key just created on this page or else a placeholder. Pure.
 */
import type { EndpointParameter } from './types';

export const KEY_PLACEHOLDER = '<YOUR-KEY>';

const SAMPLE_VALUES: Record<string, unknown> = {
  integer: 1,
  number: 0.5,
  boolean: true,
  string: 'text',
};

/** A value a caller could send for a parameter that has no default. */
export function sampleValue(parameter: EndpointParameter): unknown {
  if (parameter.enum && parameter.enum.length > 0) return parameter.enum[0];
  if (parameter.min !== null && parameter.min !== undefined) return parameter.min;
  return SAMPLE_VALUES[parameter.type] ?? 'text';
}

/**
 * The body a snippet shows: `body`, plus a sample value for every required parameter it leaves
 * out, so that the snippet runs as written.
 */
export function snippetBody(
  parameters: readonly EndpointParameter[],
  body: Record<string, unknown>,
): Record<string, unknown> {
  const given = (body.ParameterAssignments ?? {}) as Record<string, unknown>;
  const missing = parameters.filter(
    (p) => p.kind !== 'data' && p.required && !Object.hasOwn(given, p.name),
  );
  if (missing.length === 0) return body;
  const values = { ...given };
  for (const parameter of missing) values[parameter.name] = sampleValue(parameter);
  // the order a reader expects: experiment, parameters, data
  const ordered: Record<string, unknown> = {};
  if (body.ExperimentName !== undefined) ordered.ExperimentName = body.ExperimentName;
  ordered.ParameterAssignments = values;
  for (const [key, value] of Object.entries(body))
    if (!Object.hasOwn(ordered, key)) ordered[key] = value;
  return ordered;
}

/** A JSON value written as Python source (True/False/None), dicts one key a line. */
export function pythonLiteral(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value))
    return `[${value.map((item) => pythonLiteral(item, indent)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const lines = entries.map(
      ([key, item]) =>
        `${pad}    ${JSON.stringify(String(key))}: ${pythonLiteral(item, indent + 4)},`,
    );
    return `{\n${lines.join('\n')}\n${pad}}`;
  }
  return JSON.stringify(value);
}

export interface Snippets {
  curl: string;
  python: string;
}

/** curl and Python calls of `url` with `body`. */
export function snippets(
  url: string,
  body: Record<string, unknown>,
  key: string = KEY_PLACEHOLDER,
): Snippets {
  const data = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
  const curl =
    `curl -X POST '${url}' \\\n` +
    `  -H 'Authorization: Bearer ${key}' \\\n` +
    "  -H 'Content-Type: application/json' \\\n" +
    `  -d '${data}'`;
  const python =
    'import requests\n\n' +
    'response = requests.post(\n' +
    `    ${JSON.stringify(url)},\n` +
    `    headers={"Authorization": "Bearer ${key}"},\n` +
    `    json=${pythonLiteral(body, 4)},\n` +
    '    timeout=30,\n' +
    ')\n' +
    'response.raise_for_status()\n' +
    'run = response.json()\n' +
    'print(run["Id"], run["Status"], run["StatusUrl"])';
  return { curl, python };
}
