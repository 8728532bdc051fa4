/**
 * The job's pipeline drawn read-only with React Flow, laid out left to right like the designer's
 * auto-layout; each step is coloured by its status and shows duration, attempt, reuse and compute.
 */
import {
  Background,
  BackgroundVariant,
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
import { memo, useEffect, useMemo, type CSSProperties } from 'react';
import { layoutLeftToRight } from '../lib/auto-layout';
import { isAssetType, portColor } from '../lib/port-types';
import { elapsedSeconds, formatDuration, statusClass, statusLabel } from './format';
import type { RunGraphEdge, RunGraphNode, StepGraphNode, StepInfo } from './types';

export const STEP_NODE_SIZE = { width: 236, height: 104 };
export const DATA_NODE_SIZE = { width: 190, height: 52 };

type StepNodeData = {
  graph: StepGraphNode;
  step: StepInfo | undefined;
  now: number;
  onOpen: (step: string) => void;
};
type DataNodeData = { label: string; type: string };
type StepFlowNode = Node<StepNodeData, 'step'>;
type DataFlowNode = Node<DataNodeData, 'data'>;
type RunFlowNode = StepFlowNode | DataFlowNode;

function handleStyle(index: number, count: number, type: string): CSSProperties {
  return {
    top: `${((index + 1) / (count + 1)) * 100}%`,
    '--port-color': portColor(type),
  } as CSSProperties;
}

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
          position={Position.Left}
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
          position={Position.Right}
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
        position={Position.Right}
        id="data"
        isConnectable={false}
        className="run-node__handle"
        style={handleStyle(0, 1, data.type)}
      />
    </div>
  );
}

const nodeTypes = { step: memo(StepNodeCard), data: memo(DataNodeCard) };
const FIT_OPTIONS = { maxZoom: 1, padding: 0.15 };

/** Fits the graph again when its box changes size (the step panel opens or closes). */
function FitOnResize() {
  const { fitView } = useReactFlow();
  const domNode = useStore((s) => s.domNode);
  useEffect(() => {
    if (!domNode || typeof ResizeObserver === 'undefined') return;
    let width = domNode.clientWidth;
    let frame = 0;
    const observer = new ResizeObserver(() => {
      if (domNode.clientWidth === width) return;
      width = domNode.clientWidth;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => void fitView({ ...FIT_OPTIONS, duration: 150 }));
    });
    observer.observe(domNode);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [domNode, fitView]);
  return null;
}

/** Top-left positions of every node, laid out once per graph. */
export function layoutRunGraph(nodes: readonly RunGraphNode[], edges: readonly RunGraphEdge[]) {
  return layoutLeftToRight(
    nodes.map((n) => ({ id: n.id, ...(n.kind === 'step' ? STEP_NODE_SIZE : DATA_NODE_SIZE) })),
    edges,
    { rankGap: 80, nodeGap: 32 },
  );
}

interface RunGraphProps {
  nodes: readonly RunGraphNode[];
  edges: readonly RunGraphEdge[];
  steps: Record<string, StepInfo>;
  selected: string | null;
  onSelect: (step: string | null) => void;
  now: number;
}

export function RunGraph({ nodes, edges, steps, selected, onSelect, now }: RunGraphProps) {
  const positions = useMemo(() => layoutRunGraph(nodes, edges), [nodes, edges]);
  const flowNodes = useMemo<RunFlowNode[]>(
    () =>
      nodes.map((node): RunFlowNode => {
        const position = positions[node.id] ?? { x: 0, y: 0 };
        if (node.kind === 'data') {
          return {
            id: node.id,
            type: 'data',
            position,
            data: { label: node.label, type: node.type },
            selectable: false,
            ...DATA_NODE_SIZE,
          };
        }
        return {
          id: node.id,
          type: 'step',
          position,
          data: { graph: node, step: steps[node.id], now, onOpen: onSelect },
          selected: node.id === selected,
          ...STEP_NODE_SIZE,
        };
      }),
    [nodes, positions, steps, selected, now, onSelect],
  );
  const flowEdges = useMemo<Edge[]>(
    () =>
      edges.map((edge) => {
        const target = steps[edge.target]?.status;
        const source = steps[edge.source]?.status;
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
    [edges, steps],
  );
  const onNodeClick: NodeMouseHandler<RunFlowNode> = (_event, node) => {
    if (node.type === 'step') onSelect(node.id);
  };
  return (
    <div className="run-graph" data-testid="run-graph">
      <ReactFlow<RunFlowNode, Edge>
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        onNodeClick={onNodeClick}
        onPaneClick={() => onSelect(null)}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        deleteKeyCode={null}
        minZoom={0.2}
        maxZoom={1.5}
        fitView
        fitViewOptions={FIT_OPTIONS}
        proOptions={{ hideAttribution: false }}
        aria-label="Pipeline graph"
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1.2} color="#c9cee0" />
        <Controls showInteractive={false} />
        <FitOnResize />
      </ReactFlow>
    </div>
  );
}
