import { useFieldDraft } from '../../fields/use-field-draft';
import { useDesignerStore } from '../../store';
import { useNode } from '../../use-designer';
import { PanelSection } from '../panel-section';
import type { CommentNode } from './types';

/** A sticky note's text; notes are not part of the submitted pipeline. */
export function CommentPanel({ id }: { id: string }) {
  const node = useNode(id) as CommentNode | undefined;
  if (!node) return null;
  return <CommentPanelBody node={node} />;
}

function CommentPanelBody({ node }: { node: CommentNode }) {
  const updateNodeData = useDesignerStore((s) => s.updateNodeData);
  const [text, setText] = useFieldDraft(node.data.text, (v) => v);
  const fieldId = `${node.id}-text`;
  return (
    <div className="props">
      <header className="props__head">
        <p className="props__eyebrow">Note · {node.id}</p>
        <h2 className="props__title">Sticky note</h2>
        <p className="props__description">
          Notes explain the pipeline to readers; they do not run.
        </p>
      </header>
      <PanelSection title="Text">
        <div className="pfield">
          <label htmlFor={fieldId} className="visually-hidden">
            Note text
          </label>
          <textarea
            id={fieldId}
            rows={8}
            value={text}
            onChange={(event) => {
              const next = event.target.value;
              setText(next, next);
              updateNodeData(node.id, { text: next }, `note:${node.id}`);
            }}
          />
        </div>
      </PanelSection>
    </div>
  );
}
