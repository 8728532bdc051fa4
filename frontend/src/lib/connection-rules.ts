/**
 * Which new edges the designer accepts, and why it refuses the others. Pure.
 */
import { findCycle } from './graph';
import { canFeed, canFeedData, feedHint } from './port-types';

/** A proposed or existing edge, from an output port to an input port. */
export interface Wire {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

export interface ConnectionContext {
  nodeIds: readonly string[];
  edges: readonly Wire[];
  /** The type of an output port, or undefined when the node has no such output. */
  outputType: (node: string, port: string) => string | undefined;
  /** The type of an input port, or undefined when the node has no such input. */
  inputType: (node: string, port: string) => string | undefined;
  /** How to name a node in messages (its display name); defaults to its id. */
  nodeLabel?: (node: string) => string;
  /** Whether a node is a data asset, whose data may feed more inputs (see `canFeedData`). */
  isData?: (node: string) => boolean;
}

/** Whether `source`'s output of `outType` may feed an input of `inType`. */
function fits(context: ConnectionContext, source: string, outType: string, inType: string) {
  return context.isData?.(source) ? canFeedData(outType, inType) : canFeed(outType, inType);
}

export type RefusalCode = 'port' | 'self' | 'type' | 'occupied' | 'cycle';

export type ConnectionVerdict = { ok: true } | { ok: false; code: RefusalCode; reason: string };

/**
 * Accepts a wire when it joins an existing output to an existing input of another node, the
 * types fit (see `canFeed`, and `canFeedData` from a data asset), the input has no edge yet, and the graph stays acyclic.
 */
export function checkConnection(wire: Wire, context: ConnectionContext): ConnectionVerdict {
  const label = context.nodeLabel ?? ((id: string) => id);
  const { source, target } = wire;
  const sourcePort = wire.sourceHandle ?? '';
  const targetPort = wire.targetHandle ?? '';
  const outType = context.outputType(source, sourcePort);
  const inType = context.inputType(target, targetPort);
  if (outType === undefined || inType === undefined) {
    return {
      ok: false,
      code: 'port',
      reason: 'Connect an output (right side of a node) to an input (left side).',
    };
  }
  if (source === target) {
    return { ok: false, code: 'self', reason: `${label(source)} cannot feed its own input.` };
  }
  if (!fits(context, source, outType, inType)) {
    const hint = feedHint(outType, inType, context.isData?.(source) ?? false);
    return {
      ok: false,
      code: 'type',
      reason:
        `Cannot connect ${label(source)} · ${sourcePort} (${outType}) to ` +
        `${label(target)} · ${targetPort} (${inType}): the types do not match.` +
        (hint ? ` ${hint}` : ''),
    };
  }
  const taken = context.edges.some(
    (e) => e.target === target && (e.targetHandle ?? '') === targetPort,
  );
  if (taken) {
    return {
      ok: false,
      code: 'occupied',
      reason: `${label(target)} · ${targetPort} is already connected; delete that connection first.`,
    };
  }
  const cycle = findCycle(context.nodeIds, [...context.edges, { source, target }]);
  if (cycle) {
    const names = [...cycle, cycle[0]!].map(label).join(' → ');
    return { ok: false, code: 'cycle', reason: `That connection would make a cycle: ${names}.` };
  }
  return { ok: true };
}

/** An output port that may feed a given input. */
export interface SourcePort {
  node: string;
  port: string;
  type: string;
}

/**
 * Every output that could feed `target`'s input `port` in place of whatever feeds it now: the
 * types fit and the node is not downstream of `target` (which would make a cycle). Outputs are
 * listed in node order, then port order.
 */
export function connectableSources(
  target: string,
  port: string,
  context: ConnectionContext,
  outputsOf: (node: string) => Record<string, string>,
): SourcePort[] {
  const inType = context.inputType(target, port);
  if (inType === undefined) return [];
  const downstream = new Set<string>([target]);
  const next = new Map<string, string[]>();
  for (const e of context.edges) {
    const list = next.get(e.source) ?? [];
    list.push(e.target);
    next.set(e.source, list);
  }
  const queue = [target];
  while (queue.length > 0) {
    for (const t of next.get(queue.pop()!) ?? []) {
      if (!downstream.has(t)) {
        downstream.add(t);
        queue.push(t);
      }
    }
  }
  const result: SourcePort[] = [];
  for (const node of context.nodeIds) {
    if (downstream.has(node)) continue;
    for (const [output, type] of Object.entries(outputsOf(node))) {
      if (fits(context, node, type, inType)) result.push({ node, port: output, type });
    }
  }
  return result;
}
