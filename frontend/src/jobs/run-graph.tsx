/**
 * The job's pipeline drawn read-only with React Flow, laid out top to bottom like the designer's
 * auto-layout; each step is coloured by its status and shows duration, attempt, reuse and compute.
 * A pipeline component is one node until opened (`run-groups.ts` folds the graph, `run-layout.ts`
 * places what shows).
 */
import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeMouseHandler,
  type NodeProps,
  useReactFlow,
  useStore,
} from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import { isAssetType } from '../lib/port-types';
import { elapsedSeconds, formatDuration, statusClass, statusLabel } from './format';
import {
  GroupFrame,
  GroupNodeCard,
  handleStyle,
  type FrameFlowNode,
  type GroupFlowNode,
} from './group-nodes';
import { foldGraph, summarizeGroup, type GroupIndex, type GroupSummary } from './run-groups';
import { boundsOf, layoutFolded, readableViewport, type Box } from './run-layout';
import type { RunGraphData, StepGraphNode, StepInfo } from './types';

/** What the page shows a panel for: a step or a group. */
export type Selection = { kind: 'step' | 'group'; id: string };

type StepNodeData = {
  graph: StepGraphNode;
  step: StepInfo | undefined;
  now: number;
  onOpen: (step: string) => void;
};
type DataNodeData = { label: string; type: string };
type StepFlowNode = Node<StepNodeData, 'step'>;
type DataFlowNode = Node<DataNodeData, 'data'>;
type RunFlowNode = StepFlowNode | DataFlowNode | GroupFlowNode | FrameFlowNode;

function StepNodeCard({ data, selected }: NodeProps<StepFlowNode>) {
  const { graph, step, now, onOpen } = data;
  const status = step?.status ?? 'NotStarted';
  const duration = elapsedSeconds(step?.started_at, step?.finished_at, now);
  const reused = Boolean(step?.reused_from);
  const inputs = graph.inputs.filter((port) => isAssetType(port.type));
  const attempts = step ? step.max_retries + 1 : 1;
  const classes = ['run-node', `run-node--${statusClass(status)}`];
  if (selected) classes.push('is-selected');
  if (reused) classes.push('is-reused');
  return (
    <div
      className={classes.join(' ')}
      data-status={status}
      data-testid={`run-node-${graph.id}`}
      title={step?.status_reason || undefined}
    >
      {inputs.map((port, i) => (
        <Handle
          key={port.name}
          type="target"
          position={Position.Top}
          id={port.name}
          isConnectable={false}
          className="run-node__handle"
          style={handleStyle(i, inputs.length, port.type)}
          title={`${port.name} (${port.type})`}
        />
      ))}
      <div className="run-node__head">
        <span
          className={`run-node__dot run-node__dot--${statusClass(status)}`}
          aria-hidden="true"
        />
        <div className="run-node__titles">
          <button
            type="button"
            className="run-node__title run-node__open nodrag"
            onClick={() => onOpen(graph.id)}
            aria-label={`Open step ${graph.label}`}
          >
            {graph.label}
          </button>
          <code className="run-node__ref">{graph.component}</code>
        </div>
      </div>
      <div className="run-node__status">
        <span className={`badge badge--${statusClass(status)}`}>{statusLabel(status)}</span>
        {reused ? (
          <span className="badge badge--reused" title={`Reused from ${step?.reused_from}`}>
            reused
          </span>
        ) : null}
        {step && step.attempt > 1 ? (
          <span className="run-node__attempt" title="Attempt">
            attempt {step.attempt}/{attempts}
          </span>
        ) : null}
      </div>
      <div className="run-node__meta">
        <span className="run-node__duration" title="Duration">
          {duration === null ? '—' : formatDuration(duration)}
        </span>
        <span className="run-node__compute" title="Compute">
          {step?.compute ?? graph.compute ?? '—'}
        </span>
      </div>
      {graph.outputs.map((port, i) => (
        <Handle
          key={port.name}
          type="source"
          position={Position.Bottom}
          id={port.name}
          isConnectable={false}
          className="run-node__handle"
          style={handleStyle(i, graph.outputs.length, port.type)}
          title={`${port.name} (${port.type})`}
        />
      ))}
    </div>
  );
}

function DataNodeCard({ data }: NodeProps<DataFlowNode>) {
  return (
    <div className="run-node run-node--data" title={data.label}>
      <div className="run-node__head">
        <span className="run-node__dot run-node__dot--data" aria-hidden="true" />
        <div className="run-node__titles">
          <strong className="run-node__title">{data.label}</strong>
          <code className="run-node__ref">{data.type}</code>
        </div>
      </div>
      <Handle
        type="source"
        position={Position.Bottom}
        id="data"
        isConnectable={false}
        className="run-node__handle"
        style={handleStyle(0, 1, data.type)}
      />
    </div>
  );
}

const nodeTypes = {
  step: memo(StepNodeCard),
  data: memo(DataNodeCard),
  pipelineGroup: memo(GroupNodeCard),
  frame: memo(GroupFrame),
};
/** How long a click on a closed group waits for a second one before it shows the group's panel. */
const DOUBLE_CLICK_MS = 250;

/**
 * Fits the graph in view, never smaller than readable (`readableViewport`): when the job opens,
 * when a group opens or closes (what shows changed), and when the graph's box changes size (a
 * panel opens or closes).
 */
function AutoFit({ fold, bounds }: { fold: string; bounds: Box | null }) {
  const { setViewport } = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const placed = useRef<string | null>(null);
  useEffect(() => {
    const key = `${fold}|${width}x${height}`;
    if (!bounds || !width || !height || placed.current === key) return;
    const animate = placed.current !== null;
    const frame = requestAnimationFrame(() => {
      placed.current = key;
      void setViewport(
        readableViewport(bounds, width, height),
        animate ? { duration: 200 } : undefined,
      );
    });
    return () => cancelAnimationFrame(frame);
  }, [fold, bounds, width, height, setViewport]);
  return null;
}

/** React Flow's fit button, but no smaller than readable (the rest of a big graph pans). */
function ReadableFitButton({ bounds }: { bounds: Box | null }) {
  const { setViewport } = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  return (
    <ControlButton
      onClick={() => {
        if (bounds && width && height) {
          void setViewport(readableViewport(bounds, width, height), { duration: 200 });
        }
      }}
      title="Fit view (no smaller than readable)"
      aria-label="Fit view"
    >
      <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
        <path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" />
      </svg>
    </ControlButton>
  );
}

interface RunGraphProps {
  graph: RunGraphData;
  index: GroupIndex;
  /** The groups drawn open; the others are one node each. */
  open: ReadonlySet<string>;
  onToggle: (group: string) => void;
  steps: Record<string, StepInfo>;
  selected: Selection | null;
  onSelect: (selection: Selection | null) => void;
  now: number;
}

export function RunGraph({
  graph,
  index,
  open,
  onToggle,
  steps,
  selected,
  onSelect,
  now,
}: RunGraphProps) {
  const folded = useMemo(() => foldGraph(graph, index, open), [graph, index, open]);
  const boxes = useMemo(() => layoutFolded(folded), [folded]);
  const bounds = useMemo(() => boundsOf(Object.values(boxes)), [boxes]);
  const summaries = useMemo(() => {
    const found: Record<string, GroupSummary> = {};
    for (const node of folded.nodes) {
      if (node.kind === 'group' || node.kind === 'frame') {
        found[node.id] = summarizeGroup(index, node.id, steps);
      }
    }
    return found;
  }, [folded, index, steps]);
  const onOpenStep = useMemo(
    () => (step: string) => onSelect({ kind: 'step', id: step }),
    [onSelect],
  );
  const onShowGroup = useMemo(
    () => (group: string) => onSelect({ kind: 'group', id: group }),
    [onSelect],
  );
  const flowNodes = useMemo<RunFlowNode[]>(
    () =>
      folded.nodes.map((visible): RunFlowNode => {
        const box = boxes[visible.id] ?? { x: 0, y: 0, width: 0, height: 0 };
        const position = { x: box.x, y: box.y };
        const size = { width: box.width, height: box.height };
        const isSelected = selected?.id === visible.id;
        if (visible.kind === 'data') {
          return {
            id: visible.id,
            type: 'data',
            position,
            data: { label: visible.node.label, type: visible.node.type },
            selectable: false,
            ...size,
          };
        }
        if (visible.kind === 'group' || visible.kind === 'frame') {
          const data = {
            group: visible.group,
            summary: summaries[visible.id]!,
            now,
            onShow: onShowGroup,
            onToggle,
          };
          return visible.kind === 'group'
            ? {
                id: visible.id,
                type: 'pipelineGroup',
                position,
                data,
                selected: isSelected,
                ...size,
              }
            : {
                id: visible.id,
                type: 'frame',
                position,
                data,
                selected: isSelected,
                className: 'run-frame-node',
                ...size,
              };
        }
        return {
          id: visible.id,
          type: 'step',
          position,
          data: { graph: visible.node, step: steps[visible.id], now, onOpen: onOpenStep },
          selected: isSelected && selected?.kind === 'step',
          ...size,
        };
      }),
    [folded, boxes, summaries, steps, selected, now, onOpenStep, onShowGroup, onToggle],
  );
  const flowEdges = useMemo<Edge[]>(
    () =>
      folded.edges.map((edge) => {
        const statusOf = (id: string) => steps[id]?.status ?? summaries[id]?.status;
        const target = statusOf(edge.target);
        const source = statusOf(edge.source);
        const flowing = target === 'Running' || target === 'Preparing';
        const done = source === 'Completed';
        return {
          ...edge,
          type: 'smoothstep',
          animated: flowing,
          className: done ? 'run-edge run-edge--done' : 'run-edge',
          focusable: false,
        };
      }),
    [folded, steps, summaries],
  );
  // A click on a closed group shows its panel once no second click follows: the panel narrows the
  // graph, which is fitted again, and a double-click's second click would land elsewhere.
  const pendingShow = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(pendingShow.current), []);
  const onNodeClick: NodeMouseHandler<RunFlowNode> = (event, node) => {
    window.clearTimeout(pendingShow.current);
    if (node.type === 'step') onSelect({ kind: 'step', id: node.id });
    else if (node.type === 'pipelineGroup' && event.detail < 2) {
      pendingShow.current = window.setTimeout(
        () => onSelect({ kind: 'group', id: node.id }),
        DOUBLE_CLICK_MS,
      );
    }
  };
  const onNodeDoubleClick: NodeMouseHandler<RunFlowNode> = (_event, node) => {
    window.clearTimeout(pendingShow.current);
    if (node.type === 'pipelineGroup' || node.type === 'frame') onToggle(node.id);
  };
  const fold = [...open].sort().join(',');
  return (
    <div className="run-graph" data-testid="run-graph">
      <ReactFlow<RunFlowNode, Edge>
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        onNodeClick={onNodeClick}
        onNodeDoubleClick={onNodeDoubleClick}
        onPaneClick={() => onSelect(null)}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        zoomOnDoubleClick={false}
        deleteKeyCode={null}
        minZoom={0.2}
        maxZoom={1.5}
        proOptions={{ hideAttribution: false }}
        aria-label="Pipeline graph"
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1.2} color="#c9cee0" />
        <Controls showInteractive={false} showFitView={false}>
          <ReadableFitButton bounds={bounds} />
        </Controls>
        <AutoFit fold={fold} bounds={bounds} />
      </ReactFlow>
    </div>
  );
}
