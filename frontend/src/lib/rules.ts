/**
 * The rules the server checks and the canvas checks first: port types, which output may feed
 * which input, the type of a literal value, and the name patterns. They are not written here:
 * `rules.generated.json` is generated from pipelines/rules.py (`make rules`), and
 * tests/fixtures/rules_cases.json is asserted against both sides.
 */
import generated from './rules.generated.json';

/** Types that carry data (files, folders, models) and travel along edges. */
export const ASSET_TYPES: readonly string[] = generated.asset_types;

/** Types of plain values: component parameters and literal pipeline inputs. */
export const PARAMETER_TYPES: readonly string[] = generated.parameter_types;

/** Data types that are folders on disk: an output of one may feed an input of any other. */
export const FOLDER_LIKE: readonly string[] = generated.folder_like;

export type NameRule = keyof typeof generated.name_patterns;

/** Each name rule as a RegExp over the whole text (the patterns are anchored, no flags). */
export const NAME_PATTERNS = Object.fromEntries(
  Object.entries(generated.name_patterns).map(([rule, pattern]) => [rule, new RegExp(pattern)]),
) as Record<NameRule, RegExp>;

/** What registered data may feed beyond `portTypesCompatible` (a uri_file into a uri_folder). */
export const DATA_FEEDS: Readonly<Record<string, readonly string[]>> = generated.data_feeds;

/** Whether an output of type `source` may feed an input of type `target`. */
export function portTypesCompatible(source: string, target: string): boolean {
  if (source === target) return true;
  return FOLDER_LIKE.includes(source) && FOLDER_LIKE.includes(target);
}

/**
 * Whether a data asset of type `data` may feed an input of type `port`: the port rule, or one of
 * DATA_FEEDS (as in Azure ML, a CSV file feeds a table input and the step gets the file's path).
 */
export function dataFits(data: string, port: string): boolean {
  return portTypesCompatible(data, port) || (DATA_FEEDS[data] ?? []).includes(port);
}

/**
 * The parameter type a literal value has (true → boolean, 20 → integer, 1.8 → number,
 * 'x' → string), or null for what is not a literal (null, arrays, objects). A number is an
 * integer when it is whole: JavaScript does not tell 2.0 from 2, and neither does the JSON the
 * server receives.
 */
export function literalType(value: unknown): string | null {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'string':
      return 'string';
    default:
      return null;
  }
}

/** Whether `name` follows the name rule `rule`. */
export function nameOk(rule: NameRule, name: string): boolean {
  return NAME_PATTERNS[rule].test(name);
}
