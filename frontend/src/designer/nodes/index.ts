/**
 * The kinds of node the designer draws: the card on the canvas and the form in the properties
 * panel of each. Adding a kind means a folder like these and one line in each map.
 */
import type { NodeTypes } from '@xyflow/react';
import type { ComponentType } from 'react';
import type { DesignerNode } from '../../lib/draft-graph';
import { CommentNodeView } from './comment/node';
import { CommentPanel } from './comment/panel';
import { ComponentNodeView } from './component/node';
import { ComponentPanel } from './component/panel';
import { DataNodeView } from './data/node';
import { DataPanel } from './data/panel';

export const nodeTypes = {
  component: ComponentNodeView,
  data: DataNodeView,
  comment: CommentNodeView,
} satisfies NodeTypes;

export const nodePanels: Record<DesignerNode['type'], ComponentType<{ id: string }>> = {
  component: ComponentPanel,
  data: DataPanel,
  comment: CommentPanel,
};

export { createCommentNode } from './comment/default';
export { createComponentNode } from './component/default';
export { createDataNode } from './data/default';
