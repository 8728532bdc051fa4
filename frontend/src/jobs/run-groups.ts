/**
 * Folding the job graph's pipeline components (groups): which nodes show for the groups that are
 * open, where edges into and out of a closed group go, and a group's status from its steps.
 * Pure (no React, no DOM).
 */
import type {
  DataGraphNode,
  RunGraphData,
  RunGraphEdge,
  RunGraphGroup,
  StepGraphNode,
  StepInfo,
} from './types';

/** The handle an edge uses on a closed group when no port of the group matches it. */
export const GROUP_IN = '__in';
export const GROUP_OUT = '__out';

export interface GroupIndex {
  groups: Map<string, RunGraphGroup>;
  /** Step id -> the innermost group holding it ('' at the top). */
  stepGroup: Map<string, string>;
}

export function indexGroups(graph: RunGraphData): GroupIndex {
  const groups = new Map((graph.groups ?? []).map((g) => [g.id, g]));
  const stepGroup = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.kind === 'step') stepGroup.set(node.id, node.group ?? '');
  }
  return { groups, stepGroup };
}

/** `group` and the groups around it, outermost first ([] for ''). */
export function groupChain(index: GroupIndex, group: string): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let at = group; at && index.groups.has(at) && !seen.has(at);) {
    seen.add(at);
    chain.unshift(at);
    at = index.groups.get(at)!.parent;
  }
  return chain;
}

/** Every leaf step inside `group`, at any depth, groups' steps in order. */
export function groupLeaves(index: GroupIndex, group: string): string[] {
  const found = index.groups.get(group);
  if (!found) return [];
  return [...found.steps, ...found.groups.flatMap((inner) => groupLeaves(index, inner))];
}

const ACTIVE = new Set(['Preparing', 'Running']);
const WAITING = new Set(['NotStarted', 'Queued']);

/**
 * A group's status from its steps', in the job's terms: Running while any step runs (or some
 * finished and others wait), else Failed if any failed, Canceled if any was canceled, Completed
 * once all completed (Skipped if all were skipped), Queued or NotStarted while all wait.
 */
export function groupStatus(statuses: readonly (string | undefined)[]): string {
  const all = statuses.map((s) => s ?? 'NotStarted');
  if (!all.length || all.every((s) => s === 'NotStarted')) return 'NotStarted';
  if (all.some((s) => ACTIVE.has(s))) return 'Running';
  if (all.some((s) => s === 'Failed')) return 'Failed';
  if (all.some((s) => s === 'Canceled')) return 'Canceled';
  if (all.every((s) => s === 'Skipped')) return 'Skipped';
  if (all.every((s) => s === 'Completed' || s === 'Skipped')) return 'Completed';
  if (all.every((s) => WAITING.has(s))) return 'Queued';
  return 'Running';
}

export interface GroupSummary {
  status: string;
  /** Leaf steps inside, at any depth. */
  steps: string[];
  done: number;
  started_at: string | null;
  /** When the last step ended, once all have. */
  finished_at: string | null;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Canceled', 'Skipped']);

/** A group's status, progress and time span from its steps' live state. */
export function summarizeGroup(
  index: GroupIndex,
  group: string,
  steps: Record<string, StepInfo>,
): GroupSummary {
  const leaves = groupLeaves(index, group);
  const infos = leaves.map((name) => steps[name]);
  const starts = infos.map((s) => s?.started_at).filter((t): t is string => Boolean(t));
  const ends = infos.map((s) => s?.finished_at).filter((t): t is string => Boolean(t));
  const done = infos.filter((s) => s && TERMINAL.has(s.status)).length;
  const byTime = (a: string, b: string) => Date.parse(a) - Date.parse(b);
  return {
    status: groupStatus(infos.map((s) => s?.status)),
    steps: leaves,
    done,
    started_at: starts.sort(byTime)[0] ?? null,
    finished_at: done === leaves.length && ends.length ? ends.sort(byTime)[ends.length - 1]! : null,
  };
}

export type VisibleNode =
  | { kind: 'data'; id: string; node: DataGraphNode; parent: string }
  | { kind: 'step'; id: string; node: StepGraphNode; parent: string }
  /** A closed group: one node. */
  | { kind: 'group'; id: string; group: RunGraphGroup; parent: string }
  /** An open group: a frame around what it holds. */
  | { kind: 'frame'; id: string; group: RunGraphGroup; parent: string; depth: number };

export interface FoldedGraph {
  /** Frames first, outer before inner, then the other nodes. */
  nodes: VisibleNode[];
  edges: RunGraphEdge[];
}

/**
 * What shows with the groups in `open` open (the others closed): a step inside a closed group is
 * drawn as the outermost closed group around it, and its edges go to that group's port fed by the
 * same source (or output by the same step output); edges inside one closed group are dropped and
 * edges that become the same are drawn once. `parent` is the open group a node is drawn inside.
 */
export function foldGraph(
  graph: RunGraphData,
  index: GroupIndex,
  open: ReadonlySet<string>,
): FoldedGraph {
  const shownAs = (group: string): { id: string; parent: string } | null => {
    // The outermost closed group of the chain, or null when all are open.
    let parent = '';
    for (const at of groupChain(index, group)) {
      if (!open.has(at)) return { id: at, parent };
      parent = at;
    }
    return null;
  };
  const represent = (id: string): string => {
    const group = index.stepGroup.get(id);
    return (group && shownAs(group)?.id) || id;
  };

  const frames: VisibleNode[] = [];
  const others: VisibleNode[] = [];
  for (const group of index.groups.values()) {
    const chain = groupChain(index, group.id);
    const outer = shownAs(group.parent);
    if (outer) continue; // inside a closed group
    if (open.has(group.id)) {
      frames.push({
        kind: 'frame',
        id: group.id,
        group,
        parent: group.parent,
        depth: chain.length - 1,
      });
    } else {
      others.push({ kind: 'group', id: group.id, group, parent: group.parent });
    }
  }
  frames.sort((a, b) => (a.kind === 'frame' && b.kind === 'frame' ? a.depth - b.depth : 0));
  for (const node of graph.nodes) {
    if (node.kind === 'data') {
      others.push({ kind: 'data', id: node.id, node, parent: '' });
    } else if (represent(node.id) === node.id) {
      others.push({ kind: 'step', id: node.id, node, parent: node.group ?? '' });
    }
  }

  const edges: RunGraphEdge[] = [];
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    const source = represent(edge.source);
    const target = represent(edge.target);
    if (source === target) continue;
    const sourceHandle =
      source === edge.source
        ? edge.sourceHandle
        : (index.groups
            .get(source)
            ?.outputs.find((o) => o.step === edge.source && o.output === edge.sourceHandle)?.name ??
          GROUP_OUT);
    const targetHandle =
      target === edge.target
        ? edge.targetHandle
        : (index.groups
            .get(target)
            ?.inputs.find((i) => i.source === edge.source && i.sourceHandle === edge.sourceHandle)
            ?.name ?? GROUP_IN);
    const id = `${source}.${sourceHandle}->${target}.${targetHandle}`;
    if (seen.has(id)) continue;
    seen.add(id);
    edges.push({ id, source, sourceHandle, target, targetHandle });
  }
  return { nodes: [...frames, ...others], edges };
}

/** `open` with `group` toggled (a new set). */
export function toggleGroup(open: ReadonlySet<string>, group: string): Set<string> {
  const next = new Set(open);
  if (next.has(group)) next.delete(group);
  else next.add(group);
  return next;
}

/** `open` with every group around `step` opened, so it shows (the same set when nothing changes). */
export function revealStep(
  index: GroupIndex,
  open: ReadonlySet<string>,
  step: string,
): ReadonlySet<string> {
  const closed = groupChain(index, index.stepGroup.get(step) ?? '').filter((g) => !open.has(g));
  return closed.length ? new Set([...open, ...closed]) : open;
}
