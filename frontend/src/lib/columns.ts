/**
 * Schema propagation in the browser: which columns reach a step's table input, from a data
 * asset's columns (read by the server from its file) through each step's column declarations
 * (the built-in components' columns.yml), and the column selector's rules (by name, by type, all
 * but …). The server does the same when it validates (pipelines/columns.py). Pure.
 */

/** A column and the kind of values it holds. */
export interface Column {
  name: string;
  type: string;
}

/** A parameter that names one column (or, `many`, columns separated by commas) of input `of`. */
export interface ColumnParameterRule {
  of: string;
  many: boolean;
}

/** How an output table's columns follow from the table input `keep` (pipelines/columns.py). */
export interface OutputColumnsRule {
  keep: string;
  add: string[];
  remove: string[];
  select: string | null;
  mode: string | null;
  more: string[];
  when: Record<string, unknown>;
}

/** A component's column declarations, as GET /api/v1/components/<n>/<v>/columns/ sends them. */
export interface ColumnRules {
  parameters: Record<string, ColumnParameterRule>;
  outputs: Record<string, OutputColumnsRule>;
}

/** The columns a table is known to have, and patterns of more it may have (`scored_probability_*`). */
export interface KnownColumns {
  columns: Column[];
  more: string[];
}

/** What propagation reads of the canvas; undefined means "not known (yet)". */
export interface ColumnGraph {
  /** A node: a data asset (its ref) or a component step (its ref and its parameter values). */
  node: (
    id: string,
  ) =>
    | { kind: 'data'; ref: string }
    | { kind: 'component'; ref: string; parameter: (port: string) => unknown }
    | undefined;
  /** The output feeding an input port. */
  incoming: (node: string, port: string) => { node: string; port: string } | undefined;
  rules: (componentRef: string) => ColumnRules | undefined;
  dataColumns: (assetRef: string) => Column[] | null | undefined;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Whether the table has, or may have, the column `name`. */
export function hasColumn(known: KnownColumns, name: string): boolean {
  return (
    known.columns.some((c) => c.name === name) || known.more.some((p) => globToRegExp(p).test(name))
  );
}

/** The column names a parameter value lists, as the built-in scripts read it. */
export function columnNames(value: unknown, many: boolean): string[] {
  if (typeof value !== 'string') return [];
  if (!many) return value.trim() ? [value.trim()] : [];
  return value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** An output's columns from its rule, its source's columns and the step's parameter values. */
export function outputColumns(
  rule: OutputColumnsRule,
  source: KnownColumns | null,
  parameter: (port: string) => unknown,
): KnownColumns | null {
  if (!source) return null;
  for (const [port, wanted] of Object.entries(rule.when)) {
    if (parameter(port) !== wanted) return null;
  }
  let columns = [...source.columns];
  if (rule.select) {
    const listed = columnNames(parameter(rule.select), true);
    if (!listed.every((name) => hasColumn(source, name))) return null;
    if (rule.mode && parameter(rule.mode) === 'exclude') {
      columns = columns.filter((c) => !listed.includes(c.name));
    } else {
      columns = listed.map(
        (name) => columns.find((c) => c.name === name) ?? { name, type: 'string' },
      );
    }
  }
  columns = columns.filter((c) => !rule.remove.includes(c.name));
  for (const name of rule.add) {
    if (!columns.some((c) => c.name === name)) columns.push({ name, type: 'string' });
  }
  const more = [...source.more, ...rule.more.filter((p) => !source.more.includes(p))];
  return { columns, more };
}

/**
 * The columns that reach input `port` of `node`: null when they are not known (no wire, a step
 * without declarations upstream, data without readable columns, or still loading).
 */
export function inputColumns(
  graph: ColumnGraph,
  node: string,
  port: string,
  seen: Set<string> = new Set(),
): KnownColumns | null {
  const from = graph.incoming(node, port);
  if (!from) return null;
  const source = graph.node(from.node);
  if (!source) return null;
  if (source.kind === 'data') {
    const columns = graph.dataColumns(source.ref);
    return columns ? { columns, more: [] } : null;
  }
  if (seen.has(from.node)) return null; // a cycle: the canvas refuses those, but stay safe
  const rule = graph.rules(source.ref)?.outputs[from.port];
  if (!rule) return null;
  const upstream = inputColumns(graph, from.node, rule.keep, new Set([...seen, from.node]));
  return outputColumns(rule, upstream, source.parameter);
}

/** What a column parameter of a step may name: its declaration and the columns that reach it. */
export interface ColumnChoice {
  of: string;
  many: boolean;
  known: KnownColumns | null;
}

/** The column choice of a parameter, or null when the parameter does not name columns. */
export function columnChoice(graph: ColumnGraph, node: string, port: string): ColumnChoice | null {
  const step = graph.node(node);
  if (!step || step.kind !== 'component') return null;
  const rule = graph.rules(step.ref)?.parameters[port];
  if (!rule) return null;
  return { of: rule.of, many: rule.many, known: inputColumns(graph, node, rule.of) };
}

/** The names a value lists that the table does not have (none when its columns are unknown). */
export function unknownColumns(choice: ColumnChoice, value: unknown): string[] {
  const known = choice.known;
  if (!known) return [];
  return columnNames(value, choice.many).filter((name) => !hasColumn(known, name));
}

/** The kinds of column the selector offers "by type", in the order it lists them. */
export const COLUMN_TYPES = ['numeric', 'string', 'boolean'] as const;

/** How a multi-column selection was made, as Azure's column selector offers it. */
export type SelectionMode = 'names' | 'types' | 'all-but';

/** The columns a selection names, in the table's order. */
export function selectColumns(
  columns: readonly Column[],
  mode: SelectionMode,
  chosen: readonly string[],
): string[] {
  switch (mode) {
    case 'names':
      return columns.filter((c) => chosen.includes(c.name)).map((c) => c.name);
    case 'types':
      return columns.filter((c) => chosen.includes(c.type)).map((c) => c.name);
    case 'all-but':
      return columns.filter((c) => !chosen.includes(c.name)).map((c) => c.name);
  }
}

/** A list of columns as a parameter value (comma-separated; null for none). */
export function formatColumns(names: readonly string[]): string | null {
  return names.length > 0 ? names.join(',') : null;
}
