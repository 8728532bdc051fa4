import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useFieldDraft } from '../../fields/use-field-draft';
import { useDesignerStore } from '../../store';
import type { CommentNode } from './types';

/** A sticky note: free text on the canvas, edited in place. */
function CommentNodeCard({ id, data, selected }: NodeProps<CommentNode>) {
  const updateNodeData = useDesignerStore((s) => s.updateNodeData);
  const [text, setText] = useFieldDraft(data.text, (v) => v);
  return (
    <div className={`studio-note${selected ? ' is-selected' : ''}`}>
      <textarea
        className="studio-note__text nodrag nowheel"
        aria-label="Note text"
        placeholder="Write a note…"
        value={text}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
        onChange={(event) => {
          const next = event.target.value;
          setText(next, next);
          updateNodeData(id, { text: next }, `note:${id}`);
        }}
      />
    </div>
  );
}

export const CommentNodeView = memo(CommentNodeCard);
