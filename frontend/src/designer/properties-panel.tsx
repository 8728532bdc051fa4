import { useEffect, useRef } from 'react';
import { nodePanels } from './nodes';
import { SettingsPanel } from './settings-panel';
import { useDesignerStore } from './store';
import { useSelectedEdgeCount, useSelectedNodeIds } from './use-designer';

/** The right-hand panel: the selected node's form, a summary of a multiple selection, or the pipeline settings. */
export function PropertiesPanel() {
  const selected = useSelectedNodeIds();
  const selectedEdges = useSelectedEdgeCount();
  const nodeType = useDesignerStore((s) =>
    selected.length === 1 ? s.nodes.find((n) => n.id === selected[0])?.type : undefined,
  );
  const deleteSelection = useDesignerStore((s) => s.deleteSelection);
  const copy = useDesignerStore((s) => s.copy);
  const notify = useDesignerStore((s) => s.notify);
  const ref = useRef<HTMLElement>(null);
  const shown = selected.length === 1 ? selected[0] : selected.length > 1 ? '*' : '';
  // A newly selected node's form starts at its top.
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = 0;
  }, [shown]);

  let body;
  if (selected.length === 1 && nodeType) {
    const Panel = nodePanels[nodeType];
    body = <Panel key={selected[0]} id={selected[0]!} />;
  } else if (selected.length > 1 || selectedEdges > 0) {
    const what =
      selected.length > 0
        ? `${selected.length} nodes${selectedEdges ? ` and ${selectedEdges} connection${selectedEdges === 1 ? '' : 's'}` : ''}`
        : `${selectedEdges} connection${selectedEdges === 1 ? '' : 's'}`;
    body = (
      <div className="props">
        <header className="props__head">
          <p className="props__eyebrow">Selection</p>
          <h2 className="props__title">{what} selected</h2>
        </header>
        <div className="props__actions">
          {selected.length > 0 ? (
            <button
              type="button"
              className="button button--small"
              onClick={() => notify(`Copied ${copy()} nodes. Press Ctrl+V to paste.`)}
            >
              Copy
            </button>
          ) : null}
          <button
            type="button"
            className="button button--small button--danger"
            onClick={deleteSelection}
          >
            Delete
          </button>
        </div>
      </div>
    );
  } else {
    body = <SettingsPanel />;
  }
  return (
    <aside className="properties" aria-label="Properties" ref={ref}>
      {body}
    </aside>
  );
}
