export type { ComponentNode, ComponentNodeData } from '../../../lib/draft-graph';
