import { useReactFlow } from '@xyflow/react';
import { Icon } from './icons';
import type { SaveStatus } from './store';
import { useDesignerStore } from './store';
import { PublishButton } from './publish-dialog';
import type { PanelPreferences } from './use-panel-preferences';
import { useAutoLayout } from './use-auto-layout';
import { useCanRedo, useCanUndo, useDraft, useHasNodes, useSaveStatus } from './use-designer';

const STATUS_LABELS: Record<SaveStatus, string> = {
  local: 'Not saved',
  saved: 'Saved',
  dirty: 'Unsaved changes',
  saving: 'Saving…',
  offline: 'Offline',
  conflict: 'Conflict — reload',
  error: 'Not saved',
  readonly: 'Read only',
};

function SaveStatusPill() {
  const { status, error } = useSaveStatus();
  const label = STATUS_LABELS[status];
  const title =
    status === 'offline'
      ? 'The server cannot be reached. Your edits are kept and saved as soon as it answers.'
      : status === 'local'
        ? 'This canvas is not a saved draft.'
        : (error ?? undefined);
  return (
    <span className={`save-status save-status--${status}`} role="status" title={title}>
      <span className="save-status__dot" aria-hidden="true" />
      {status === 'conflict' ? (
        <button type="button" className="link-button" onClick={() => window.location.reload()}>
          {label}
        </button>
      ) : (
        label
      )}
    </span>
  );
}

interface ToolbarProps {
  onValidate: () => void;
  validating: boolean;
  onSubmit: () => void;
  onExport: () => void;
  panels: PanelPreferences;
  onTogglePanel: (panel: keyof PanelPreferences) => void;
}

/** The bar above the canvas: the draft's name and save state, history, layout and the draft's actions. */
export function Toolbar(props: ToolbarProps) {
  const { onValidate, validating, onSubmit, onExport, panels, onTogglePanel } = props;
  const draft = useDraft();
  const canUndo = useCanUndo();
  const canRedo = useCanRedo();
  const hasNodes = useHasNodes();
  const undo = useDesignerStore((s) => s.undo);
  const redo = useDesignerStore((s) => s.redo);
  const autoLayout = useAutoLayout();
  const { fitView } = useReactFlow();
  const saved = draft.id !== null;

  return (
    <div className="designer-toolbar">
      <div className="designer-toolbar__title">
        <h2>{draft.name || 'Untitled pipeline'}</h2>
        <SaveStatusPill />
      </div>
      <div className="designer-toolbar__groups">
        <div className="button-group" role="group" aria-label="Panels">
          <button
            type="button"
            className="tool-button"
            aria-pressed={panels.library}
            onClick={() => onTogglePanel('library')}
            title={panels.library ? 'Hide the library' : 'Show the library'}
          >
            <Icon name="library" />
            Library
          </button>
          <button
            type="button"
            className="tool-button"
            aria-pressed={panels.properties}
            onClick={() => onTogglePanel('properties')}
            title={panels.properties ? 'Hide the properties' : 'Show the properties'}
          >
            <Icon name="properties" />
            Properties
          </button>
        </div>
        <div className="button-group" role="group" aria-label="History">
          <button
            type="button"
            className="tool-button"
            onClick={undo}
            disabled={!canUndo}
            title="Undo (Ctrl+Z)"
          >
            <Icon name="undo" />
            Undo
          </button>
          <button
            type="button"
            className="tool-button"
            onClick={redo}
            disabled={!canRedo}
            title="Redo (Ctrl+Shift+Z)"
          >
            <Icon name="redo" />
            Redo
          </button>
        </div>
        <div className="button-group" role="group" aria-label="Layout">
          <button
            type="button"
            className="tool-button"
            onClick={() => void autoLayout()}
            disabled={!hasNodes}
            title="Arrange the steps left to right"
          >
            <Icon name="layout" />
            Auto-layout
          </button>
          <button
            type="button"
            className="tool-button"
            onClick={() => void fitView({ padding: 0.2, duration: 300, maxZoom: 1 })}
            title="Zoom to fit the whole pipeline"
          >
            <Icon name="fit" />
            Zoom to fit
          </button>
        </div>
        <div className="button-group" role="group" aria-label="Draft">
          <button
            type="button"
            className="button button--small"
            onClick={onValidate}
            disabled={!saved || validating}
          >
            {validating ? 'Validating…' : 'Validate'}
          </button>
          <button
            type="button"
            className="button button--small"
            onClick={onExport}
            disabled={!saved}
          >
            Export YAML
          </button>
          <button
            type="button"
            className="button button--small button--primary"
            onClick={onSubmit}
            disabled={!saved}
          >
            Submit
          </button>
          <PublishButton />
        </div>
      </div>
    </div>
  );
}
