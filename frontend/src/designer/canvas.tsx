import {
  Background,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  type IsValidConnection,
} from '@xyflow/react';
import { useCallback } from 'react';
import { findCycle } from '../lib/graph';
import './canvas.css';
import { useDesignerStore } from './store';

export interface DesignerCanvasProps {
  draftName?: string;
}

export function DesignerCanvas({ draftName }: DesignerCanvasProps) {
  const nodes = useDesignerStore((s) => s.nodes);
  const edges = useDesignerStore((s) => s.edges);
  const onNodesChange = useDesignerStore((s) => s.onNodesChange);
  const onEdgesChange = useDesignerStore((s) => s.onEdgesChange);
  const onConnect = useDesignerStore((s) => s.onConnect);

  // Pipelines are DAGs: refuse connections that would close a cycle.
  const isValidConnection = useCallback<IsValidConnection>((connection) => {
    const { nodes: currentNodes, edges: currentEdges } = useDesignerStore.getState();
    const candidate = [...currentEdges, { source: connection.source, target: connection.target }];
    return (
      findCycle(
        currentNodes.map((n) => n.id),
        candidate,
      ) === null
    );
  }, []);

  const isEmpty = nodes.length === 0;

  return (
    <div className="designer-canvas" data-testid="designer-canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        fitView
      >
        {draftName ? (
          <Panel position="top-left">
            <h2 className="designer-canvas__title">{draftName}</h2>
          </Panel>
        ) : null}
        <Background />
        <Controls />
        <MiniMap pannable zoomable />
      </ReactFlow>
      {isEmpty ? (
        <div className="designer-canvas__empty" role="status">
          <strong>This pipeline is empty</strong>
          <span>Drag components from the library onto the canvas</span>
        </div>
      ) : null}
    </div>
  );
}

export default DesignerCanvas;
