/**
 * A pipeline component on the job graph: closed, one node with the group's ports and the status
 * of its steps; open, a labelled frame around the steps and groups it holds. The chevron (or a
 * double-click, handled by the graph: `run-graph.tsx`) opens and closes it; the title shows the
 * group's panel.
 */
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { CSSProperties } from 'react';
import { isAssetType, portColor } from '../lib/port-types';
import { elapsedSeconds, formatDuration, statusClass, statusLabel } from './format';
import { GROUP_IN, GROUP_OUT, type GroupSummary } from './run-groups';
import type { RunGraphGroup } from './types';

/** A port's handle, spread along the card's top (inputs) or bottom (outputs) edge. */
export function handleStyle(index: number, count: number, type: string): CSSProperties {
  return {
    left: `${((index + 1) / (count + 1)) * 100}%`,
    '--port-color': portColor(type),
  } as CSSProperties;
}

export type GroupNodeData = {
  group: RunGraphGroup;
  summary: GroupSummary;
  now: number;
  onShow: (group: string) => void;
  onToggle: (group: string) => void;
};
/** Not React Flow's built-in `group` type: that one draws a box of its own around the node. */
export type GroupFlowNode = Node<GroupNodeData, 'pipelineGroup'>;
export type FrameFlowNode = Node<GroupNodeData, 'frame'>;

/** Hidden handles for edges that match none of the group's ports. */
function FallbackHandles() {
  return (
    <>
      <Handle
        type="target"
        position={Position.Top}
        id={GROUP_IN}
        isConnectable={false}
        className="run-node__handle run-node__handle--hidden"
      />
      <Handle
        type="source"
        position={Position.Bottom}
        id={GROUP_OUT}
        isConnectable={false}
        className="run-node__handle run-node__handle--hidden"
      />
    </>
  );
}

export function GroupNodeCard({ data, selected }: NodeProps<GroupFlowNode>) {
  const { group, summary, now, onShow, onToggle } = data;
  const inputs = group.inputs.filter((port) => isAssetType(port.type));
  const duration = elapsedSeconds(summary.started_at, summary.finished_at, now);
  const classes = ['run-node', 'run-node--group', `run-node--${statusClass(summary.status)}`];
  if (selected) classes.push('is-selected');
  return (
    <div
      className={classes.join(' ')}
      data-status={summary.status}
      data-testid={`run-group-${group.id}`}
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
        <button
          type="button"
          className="run-node__chevron nodrag"
          onClick={(event) => {
            event.stopPropagation();
            onToggle(group.id);
          }}
          aria-label={`Expand group ${group.label}`}
          aria-expanded={false}
          title="Open the pipeline component"
        >
          ▸
        </button>
        <span
          className={`run-node__dot run-node__dot--${statusClass(summary.status)}`}
          aria-hidden="true"
        />
        <div className="run-node__titles">
          <button
            type="button"
            className="run-node__title run-node__open nodrag"
            onClick={(event) => {
              event.stopPropagation();
              onShow(group.id);
            }}
            aria-label={`Show group ${group.label}`}
            title={group.label}
          >
            {group.label}
          </button>
          <code className="run-node__ref" title={group.component}>
            {group.component}
          </code>
        </div>
      </div>
      <div className="run-node__status">
        <span className={`badge badge--${statusClass(summary.status)}`}>
          {statusLabel(summary.status)}
        </span>
        <span className="run-node__count" title="Steps finished">
          {summary.done}/{summary.steps.length} steps
        </span>
      </div>
      <div className="run-node__meta">
        <span className="run-node__duration" title="Duration">
          {duration === null ? '—' : formatDuration(duration)}
        </span>
        <span title="Pipeline component">pipeline</span>
      </div>
      {group.outputs.map((port, i) => (
        <Handle
          key={port.name}
          type="source"
          position={Position.Bottom}
          id={port.name}
          isConnectable={false}
          className="run-node__handle"
          style={handleStyle(i, group.outputs.length, port.type)}
          title={`${port.name} (${port.type})`}
        />
      ))}
      <FallbackHandles />
    </div>
  );
}

export function GroupFrame({ data, width, height }: NodeProps<FrameFlowNode>) {
  const { group, summary, onShow, onToggle } = data;
  return (
    <div
      className={`run-frame run-frame--${statusClass(summary.status)}`}
      style={{ width, height }}
      data-status={summary.status}
      data-testid={`run-frame-${group.id}`}
    >
      <div className="run-frame__head">
        <button
          type="button"
          className="run-node__chevron nodrag"
          onClick={(event) => {
            event.stopPropagation();
            onToggle(group.id);
          }}
          aria-label={`Collapse group ${group.label}`}
          aria-expanded={true}
          title="Close the pipeline component"
        >
          ▾
        </button>
        <button
          type="button"
          className="run-frame__title nodrag"
          onClick={() => onShow(group.id)}
          aria-label={`Show group ${group.label}`}
        >
          {group.label}
        </button>
        <code className="run-frame__ref" title={group.component}>
          {group.component}
        </code>
        <span className={`badge badge--${statusClass(summary.status)}`}>
          {statusLabel(summary.status)}
        </span>
      </div>
    </div>
  );
}
