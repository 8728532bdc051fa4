export type { DataNode, DataNodeData } from '../../../lib/draft-graph';
