import { describe, expect, it } from 'vitest';
import {
  checkConnection,
  connectableSources,
  type ConnectionContext,
  type Wire,
} from './connection-rules';

// a(out: uri_folder) -> b(in: uri_folder, out: uri_folder) -> c(in: uri_folder, file: uri_file)
const outputs: Record<string, Record<string, string>> = {
  a: { out: 'uri_folder', table: 'mltable', file: 'uri_file' },
  b: { out: 'uri_folder' },
  c: { out: 'uri_folder' },
};
const inputs: Record<string, Record<string, string>> = {
  a: {},
  b: { in: 'uri_folder' },
  c: { in: 'uri_folder', file: 'uri_file', other: 'uri_folder' },
};

function context(edges: Wire[]): ConnectionContext {
  return {
    nodeIds: ['a', 'b', 'c'],
    edges,
    outputType: (node, port) => outputs[node]?.[port],
    inputType: (node, port) => inputs[node]?.[port],
    nodeLabel: (node) => node.toUpperCase(),
  };
}

const wire = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({
  source,
  sourceHandle,
  target,
  targetHandle,
});

describe('checkConnection', () => {
  it('accepts an output into a free input of the same type', () => {
    expect(checkConnection(wire('a', 'out', 'b', 'in'), context([]))).toEqual({ ok: true });
  });

  it('accepts mltable into a uri_folder input', () => {
    expect(checkConnection(wire('a', 'table', 'b', 'in'), context([])).ok).toBe(true);
  });

  it('refuses mismatched types with both ports named', () => {
    const verdict = checkConnection(wire('a', 'out', 'c', 'file'), context([]));
    expect(verdict).toEqual({
      ok: false,
      code: 'type',
      reason:
        'Cannot connect A · out (uri_folder) to C · file (uri_file): the types do not match. ' +
        'This input reads a single file, and that output is a folder: connect it to a table input instead.',
    });
  });

  it('lets a data asset of a CSV file feed a table input, but not a step output of one', () => {
    const fromData = { ...context([]), isData: (node: string) => node === 'a' };
    expect(checkConnection(wire('a', 'file', 'b', 'in'), fromData)).toEqual({ ok: true });
    const verdict = checkConnection(wire('a', 'file', 'b', 'in'), context([]));
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain('Put Import CSV between them');
  });

  it('refuses a second edge into the same input', () => {
    const verdict = checkConnection(
      wire('a', 'out', 'c', 'in'),
      context([wire('b', 'out', 'c', 'in')]),
    );
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.code).toBe('occupied');
    expect(!verdict.ok && verdict.reason).toContain('C · in is already connected');
  });

  it('allows one output to feed several inputs', () => {
    const verdict = checkConnection(
      wire('a', 'out', 'c', 'other'),
      context([wire('a', 'out', 'c', 'in')]),
    );
    expect(verdict.ok).toBe(true);
  });

  it('refuses an edge that would close a cycle, naming it', () => {
    const edges = [wire('a', 'out', 'b', 'in'), wire('b', 'out', 'c', 'in')];
    const ctx = {
      ...context(edges),
      inputType: (_n: string, p: string) => (p ? 'uri_folder' : undefined),
    };
    const verdict = checkConnection(wire('c', 'out', 'a', 'back'), ctx);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.code).toBe('cycle');
    expect(!verdict.ok && verdict.reason).toMatch(/cycle: [ABC] → [ABC] → [ABC] → [ABC]\.$/);
  });

  it('refuses a node feeding itself', () => {
    const verdict = checkConnection(wire('b', 'out', 'b', 'in'), context([]));
    expect(!verdict.ok && verdict.code).toBe('self');
  });

  it('refuses unknown ports and output-to-output wires', () => {
    expect(checkConnection(wire('a', 'nope', 'b', 'in'), context([])).ok).toBe(false);
    expect(checkConnection(wire('a', 'out', 'b', 'out'), context([])).ok).toBe(false);
    expect(checkConnection({ source: 'a', target: 'b' }, context([])).ok).toBe(false);
  });
});

describe('connectableSources', () => {
  const outputsOf = (node: string) => outputs[node] ?? {};

  it('lists outputs of fitting type from nodes that are not downstream', () => {
    const ctx = context([wire('a', 'out', 'b', 'in')]);
    // c's folder input: a's folder and table outputs and b's output fit; a's file does not.
    expect(connectableSources('c', 'in', ctx, outputsOf)).toEqual([
      { node: 'a', port: 'out', type: 'uri_folder' },
      { node: 'a', port: 'table', type: 'mltable' },
      { node: 'b', port: 'out', type: 'uri_folder' },
    ]);
  });

  it('leaves out the node itself and everything downstream of it', () => {
    const ctx = context([wire('a', 'out', 'b', 'in'), wire('b', 'out', 'c', 'in')]);
    expect(connectableSources('b', 'in', ctx, outputsOf).map((s) => s.node)).toEqual(['a', 'a']);
  });

  it('returns nothing for an unknown input', () => {
    expect(connectableSources('c', 'nope', context([]), outputsOf)).toEqual([]);
  });
});
