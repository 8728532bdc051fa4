import { EdgeLabelRenderer, useStore, type ReactFlowState } from '@xyflow/react';
import { useMemo } from 'react';
import { wireOverview, wireOverviewImage, type MeasuredNode } from '../lib/wire-overview';

const selectWires = (s: ReactFlowState) => s.edges;
const selectNodes = (s: ReactFlowState) => s.nodes;
const selectLookup = (s: ReactFlowState) => s.nodeLookup;

/**
 * Every wire as a straight line, all in one image under the cards (the selected ones darker),
 * from the handle positions React Flow measured. Shown while zoomed out (use-level-of-detail.ts),
 * where React Flow's own edges are transparent (they still answer the mouse), and until the last
 * of them is restored; see designer.css.
 */
export function WireOverview() {
  const wires = useStore(selectWires);
  // The lookup is updated in place; a new node list says that positions or sizes changed.
  const nodes = useStore(selectNodes);
  const lookup = useStore(selectLookup);
  const image = useMemo(() => {
    void nodes;
    const overview = wireOverview(wires, (id): MeasuredNode | undefined => {
      const node = lookup.get(id);
      if (!node) return undefined;
      const { positionAbsolute, handleBounds } = node.internals;
      return {
        x: positionAbsolute.x,
        y: positionAbsolute.y,
        source: handleBounds?.source ?? [],
        target: handleBounds?.target ?? [],
      };
    });
    return wireOverviewImage(overview);
  }, [wires, nodes, lookup]);

  if (!image) return null;
  return (
    <EdgeLabelRenderer>
      <img
        className="wire-overview"
        alt=""
        draggable={false}
        src={image.src}
        style={{ left: image.x, top: image.y, width: image.width, height: image.height }}
      />
    </EdgeLabelRenderer>
  );
}
