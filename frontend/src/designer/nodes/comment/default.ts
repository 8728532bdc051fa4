import { uniqueNodeId } from '../../../lib/node-ids';
import type { CommentNode } from './types';

export function createCommentNode(
  position: { x: number; y: number },
  takenIds: ReadonlySet<string>,
  text = '',
): CommentNode {
  return { id: uniqueNodeId('note', takenIds), type: 'comment', position, data: { text } };
}
