import { describe, expect, it } from 'vitest';
import table from '../../../tests/fixtures/rules_cases.json';
import { connectableSources } from './connection-rules';
import { canFeed, canFeedData, isAssetType } from './port-types';
import {
  FOLDER_LIKE,
  NAME_PATTERNS,
  PARAMETER_TYPES,
  literalType,
  nameOk,
  type NameRule,
} from './rules';

interface Case {
  rule: string;
  args: unknown[];
  expect: unknown;
}

/** A name of the table: `{"repeat": TEXT, "times": N}` is TEXT N times. */
function text(arg: unknown): string {
  if (arg && typeof arg === 'object' && 'repeat' in arg) {
    const { repeat, times } = arg as { repeat: string; times: number };
    return repeat.repeat(times);
  }
  return arg as string;
}

/** The TypeScript functions the canvas calls, by the rule names of the table. */
function apply({ rule, args }: Case): unknown {
  switch (rule) {
    case 'can_feed':
      return canFeed(args[0] as string, args[1] as string);
    case 'data_fits':
      return canFeedData(args[0] as string, args[1] as string);
    case 'is_asset_type':
      return isAssetType(args[0] as string);
    case 'is_parameter_type':
      return PARAMETER_TYPES.includes(args[0] as string);
    case 'literal_type':
      return literalType(args[0]);
    case 'name':
      return nameOk(args[0] as NameRule, text(args[1]));
    default:
      throw new Error(`the case table names a rule this test does not know: ${rule}`);
  }
}

const cases = table.cases as Case[];

describe('the rules case table (also asserted by tests/pipelines/test_rules.py)', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  it.each(cases.map((c) => [`${c.rule} ${JSON.stringify(c.args).slice(0, 60)}`, c] as const))(
    '%s',
    (_label, c) => {
      expect(apply(c)).toEqual(c.expect);
    },
  );

  it('covers every name rule the server sends, accepting and refusing', () => {
    for (const rule of Object.keys(NAME_PATTERNS)) {
      const rows = cases.filter((c) => c.rule === 'name' && c.args[0] === rule);
      expect(rows.some((c) => c.expect === true)).toBe(true);
      expect(rows.some((c) => c.expect === false)).toBe(true);
    }
  });
});

describe('connectableSources', () => {
  it('offers a folder-like output of any type for a folder-like input, as the server accepts', () => {
    const context = {
      nodeIds: ['a', 'b'],
      edges: [],
      outputType: () => undefined,
      inputType: () => 'mltable',
    };
    const outputs = { a: { folder: 'uri_folder', file: 'uri_file' }, b: {} };
    const found = connectableSources('b', 'table', context, (node) => outputs[node as 'a' | 'b']);
    expect(found).toEqual([{ node: 'a', port: 'folder', type: 'uri_folder' }]);
    expect(FOLDER_LIKE).toContain('mltable');
  });
});
