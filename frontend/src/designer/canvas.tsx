import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type FinalConnectionState,
  type IsValidConnection,
  type Node,
  type NodeMouseHandler,
} from '@xyflow/react';
import { useCallback, type DragEvent } from 'react';
import { edgeId, type DesignerEdge, type DesignerNode } from '../lib/draft-graph';
import { useCatalogStore } from './catalog-store';
import { useBrowseStore } from './component-graph/browse-store';
import { checkWire } from './connections';
import { nodeTypes } from './nodes';
import { hasPaletteItem, placePaletteItem, readPaletteItem } from './palette-item';
import { useDesignerStore } from './store';
import { Icon } from './icons';
import { useCanvasViewport, useReadableFit } from './use-canvas-viewport';
import { useEdges, useHasNodes, useLoadState, useNodes } from './use-designer';
import { useLevelOfDetail, type DetailMode } from './use-level-of-detail';
import { WireOverview } from './wire-overview';

const SNAP_GRID: [number, number] = [16, 16];
const DEFAULT_EDGE_OPTIONS = { type: 'smoothstep', interactionWidth: 16 };
const MULTI_SELECT_KEYS = ['Meta', 'Control'];
const CANVAS_CLASS: Record<DetailMode, string> = {
  detail: 'designer-canvas',
  overview: 'designer-canvas designer-canvas--zoomed-out',
  restoring: 'designer-canvas designer-canvas--zoomed-out designer-canvas--restoring',
};

/** Where a dropped card's top-left sits from the pointer (palette-item.ts), and its width. */
const DROP_OFFSET = { x: 110, y: 24 };
const CARD_WIDTH = 232;
/** Screen pixels kept between a dropped card and the canvas's edges. */
const DROP_MARGIN = 12;

/**
 * The drop point moved so the whole card lands inside the canvas: a drop near its left edge would
 * otherwise put half the card under the library.
 */
function insideCanvas(
  client: { x: number; y: number },
  rect: DOMRect,
  zoom: number,
): { x: number; y: number } {
  const minX = rect.left + DROP_MARGIN + DROP_OFFSET.x * zoom;
  const maxX = rect.right - DROP_MARGIN - (CARD_WIDTH - DROP_OFFSET.x) * zoom;
  const minY = rect.top + DROP_MARGIN + DROP_OFFSET.y * zoom;
  return {
    x: maxX > minX ? Math.min(Math.max(client.x, minX), maxX) : client.x,
    y: Math.max(client.y, minY),
  };
}

function miniMapColor(node: Node): string {
  if (node.type === 'data') return '#99f6e4';
  if (node.type === 'comment') return '#fde68a';
  return '#c7d2fe';
}

/**
 * The React Flow canvas: draws the nodes and edges of the store, checks each new connection
 * (types, cycles, one wire per input) and says why it refused one, and takes palette drops.
 */
export function DesignerCanvas() {
  const nodes = useNodes();
  const edges = useEdges();
  const hasNodes = useHasNodes();
  const load = useLoadState();
  const onNodesChange = useDesignerStore((s) => s.onNodesChange);
  const onEdgesChange = useDesignerStore((s) => s.onEdgesChange);
  const addEdge = useDesignerStore((s) => s.addEdge);
  const notify = useDesignerStore((s) => s.notify);
  const { screenToFlowPosition, getZoom } = useReactFlow();
  const fit = useReadableFit();
  const onMoveEnd = useCanvasViewport();
  const detail = useLevelOfDetail();

  const isValidConnection = useCallback<IsValidConnection<DesignerEdge>>(
    (connection) => checkWire(connection).ok,
    [],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      const verdict = checkWire(connection);
      if (!verdict.ok) {
        notify(verdict.reason, 'error');
        return;
      }
      const sourceHandle = connection.sourceHandle ?? '';
      const targetHandle = connection.targetHandle ?? '';
      addEdge({
        id: edgeId(connection.source, sourceHandle, connection.target, targetHandle),
        source: connection.source,
        sourceHandle,
        target: connection.target,
        targetHandle,
      });
    },
    [addEdge, notify],
  );

  // React Flow drops a refused connection silently; say why it was refused.
  const onConnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      const { fromHandle, toHandle, isValid } = state;
      if (!fromHandle || !toHandle || isValid) return;
      const fromSource = fromHandle.type === 'source';
      const [source, target] = fromSource ? [fromHandle, toHandle] : [toHandle, fromHandle];
      const verdict =
        source.type === target.type
          ? checkWire({ source: source.nodeId, target: target.nodeId })
          : checkWire({
              source: source.nodeId,
              sourceHandle: source.id,
              target: target.nodeId,
              targetHandle: target.id,
            });
      if (!verdict.ok) notify(verdict.reason, 'error');
    },
    [notify],
  );

  // A pipeline component's node opens into its inner graph (read-only).
  const onNodeDoubleClick = useCallback<NodeMouseHandler<DesignerNode>>((_event, node) => {
    if (node.type !== 'component') return;
    const definition = useCatalogStore.getState().components[node.data.component];
    if (definition?.kind !== 'pipeline') return;
    useBrowseStore.getState().open({
      ref: definition.ref,
      label: node.data.display_name || definition.displayName,
    });
  }, []);

  const onDragOver = useCallback((event: DragEvent) => {
    if (!hasPaletteItem(event.dataTransfer)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const item = readPaletteItem(event.dataTransfer);
      if (!item) return;
      event.preventDefault();
      const rect = event.currentTarget.getBoundingClientRect();
      const client = insideCanvas({ x: event.clientX, y: event.clientY }, rect, getZoom());
      const point = screenToFlowPosition(client);
      if (!placePaletteItem(item, point)) notify('That item is no longer in the library.', 'error');
    },
    [screenToFlowPosition, getZoom, notify],
  );

  return (
    <div
      className={CANVAS_CLASS[detail]}
      data-testid="designer-canvas"
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <ReactFlow<DesignerNode, DesignerEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onNodeDoubleClick={onNodeDoubleClick}
        zoomOnDoubleClick={false}
        isValidConnection={isValidConnection}
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
        snapToGrid
        snapGrid={SNAP_GRID}
        // Every node stays mounted: on a 500-node draft, mounting and measuring the nodes that
        // scroll into view stalled pans and zooms far more than drawing them all (see
        // bench/designer_scale.py).
        onlyRenderVisibleElements={false}
        deleteKeyCode={null}
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        connectionRadius={28}
        minZoom={0.1}
        maxZoom={2}
        onMoveEnd={onMoveEnd}
        aria-label="Pipeline canvas"
      >
        {detail !== 'detail' ? <WireOverview /> : null}
        <Background variant={BackgroundVariant.Dots} gap={16} size={1.2} color="#c9cee0" />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton
            onClick={() => void fit({ duration: 300 })}
            title="Fit view (no smaller than readable)"
            aria-label="Fit view"
          >
            <Icon name="fit" />
          </ControlButton>
        </Controls>
        <MiniMap
          style={{ width: 168, height: 116 }}
          pannable
          zoomable
          nodeColor={miniMapColor}
          nodeStrokeWidth={2}
          ariaLabel="Mini map"
        />
      </ReactFlow>
      {load.state === 'loading' ? (
        <div className="designer-canvas__overlay" role="status">
          Loading the draft…
        </div>
      ) : load.state === 'error' ? (
        <div className="designer-canvas__overlay designer-canvas__overlay--error" role="alert">
          <strong>The draft could not be loaded.</strong>
          <span>{load.error}</span>
        </div>
      ) : !hasNodes ? (
        <div className="designer-canvas__empty">
          <strong>This pipeline is empty</strong>
          <span>Drag components from the library onto the canvas</span>
        </div>
      ) : null}
    </div>
  );
}
