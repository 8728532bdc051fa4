/**
 * Copy and paste of canvas selections. Pure.
 */
import { edgeId } from './draft-graph';
import { uniqueNodeId } from './node-ids';

interface CopyableNode {
  id: string;
  position: { x: number; y: number };
  selected?: boolean;
}

interface CopyableEdge {
  id: string;
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

/** Nodes and the edges between them, as copied. */
export interface Clipboard<N, E> {
  nodes: N[];
  edges: E[];
}

/** The given nodes and only the edges whose both ends are among them. */
export function copySelection<N extends CopyableNode, E extends CopyableEdge>(
  nodes: readonly N[],
  edges: readonly E[],
  ids: ReadonlySet<string>,
): Clipboard<N, E> {
  return {
    nodes: nodes.filter((n) => ids.has(n.id)),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
  };
}

/**
 * Copies of the clipboard's nodes with fresh ids (not in `takenIds`), moved by `offset` and
 * selected, and copies of its internal edges rewired to them.
 */
export function duplicate<N extends CopyableNode, E extends CopyableEdge>(
  clipboard: Clipboard<N, E>,
  takenIds: ReadonlySet<string>,
  offset: { x: number; y: number },
): Clipboard<N, E> {
  const taken = new Set(takenIds);
  const renamed = new Map<string, string>();
  const nodes = clipboard.nodes.map((node) => {
    const id = uniqueNodeId(node.id.replace(/_\d+$/, ''), taken);
    taken.add(id);
    renamed.set(node.id, id);
    return {
      ...node,
      id,
      position: { x: node.position.x + offset.x, y: node.position.y + offset.y },
      selected: true,
    };
  });
  const edges = clipboard.edges.flatMap((edge) => {
    const source = renamed.get(edge.source);
    const target = renamed.get(edge.target);
    if (!source || !target) return [];
    return [
      {
        ...edge,
        id: edgeId(source, edge.sourceHandle ?? '', target, edge.targetHandle ?? ''),
        source,
        target,
        selected: false,
      },
    ];
  });
  return { nodes, edges };
}
