export type { CommentNode, CommentNodeData } from '../../../lib/draft-graph';
