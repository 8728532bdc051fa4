/**
 * A pipeline component's inner graph (from GET /api/v1/components/<name>/<version>/graph/) as
 * React Flow nodes and edges, read-only. Wires whose ports the cards do not draw are left out.
 */
import type { Edge, Node } from '@xyflow/react';
import type { ComponentGraphRecord } from '../api';
import type { ComponentDefinition } from '../catalog-store';
import { isAssetType } from '../../lib/port-types';

export type InnerNode = Node<Record<string, unknown>>;

/** The ports a node of the inner graph draws: [inputs, outputs]. */
export function portsOf(
  node: ComponentGraphRecord['nodes'][number],
  definitionOf: (ref: string) => ComponentDefinition | undefined,
): [string[], string[]] | null {
  if (node.type === 'input') return [[], [String(node.data.name)]];
  if (node.type === 'output') return [[String(node.data.name)], []];
  if (node.type === 'data') return [[], ['data']];
  if (node.type !== 'component') return [[], []];
  const definition = definitionOf(String(node.data.component ?? ''));
  if (!definition) return null; // not known yet: keep its wires
  const inputs = Object.entries(definition.inputs)
    .filter(([, spec]) => isAssetType(spec.type))
    .map(([port]) => port);
  return [inputs, Object.keys(definition.outputs)];
}

export function toFlow(
  graph: ComponentGraphRecord,
  definitionOf: (ref: string) => ComponentDefinition | undefined,
): { nodes: InnerNode[]; edges: Edge[] } {
  const ports = new Map(graph.nodes.map((n) => [n.id, portsOf(n, definitionOf)]));
  const nodes: InnerNode[] = graph.nodes.map((n) => ({
    id: n.id,
    type: `inner-${n.type}`,
    position: n.position,
    data: n.data,
    draggable: false,
    connectable: false,
    deletable: false,
  }));
  const edges: Edge[] = graph.edges
    .filter((e) => {
      const from = ports.get(e.source);
      const to = ports.get(e.target);
      if (from === undefined || to === undefined) return false;
      return (
        (from === null || from[1].includes(e.sourceHandle)) &&
        (to === null || to[0].includes(e.targetHandle))
      );
    })
    .map((e) => ({ ...e, type: 'smoothstep', deletable: false, focusable: false }));
  return { nodes, edges };
}
