import { Icon } from './icons';
import type { SaveStatus } from './store';
import { useDesignerStore } from './store';
import { PublishButton } from './publish-dialog';
import type { PanelPreferences } from './use-panel-preferences';
import { useAutoLayout } from './use-auto-layout';
import { useReadableFit } from './use-canvas-viewport';
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
  const fit = useReadableFit();
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
            aria-label="Library"
            aria-pressed={panels.library}
            onClick={() => onTogglePanel('library')}
            title={panels.library ? 'Hide the library' : 'Show the library'}
          >
            <Icon name="library" />
            <span className="tool-button__label">Library</span>
          </button>
          <button
            type="button"
            className="tool-button"
            aria-label="Properties"
            aria-pressed={panels.properties}
            onClick={() => onTogglePanel('properties')}
            title={panels.properties ? 'Hide the properties' : 'Show the properties'}
          >
            <Icon name="properties" />
            <span className="tool-button__label">Properties</span>
          </button>
        </div>
        <div className="button-group" role="group" aria-label="History">
          <button
            type="button"
            className="tool-button"
            aria-label="Undo"
            onClick={undo}
            disabled={!canUndo}
            title="Undo (Ctrl+Z)"
          >
            <Icon name="undo" />
            <span className="tool-button__label">Undo</span>
          </button>
          <button
            type="button"
            className="tool-button"
            aria-label="Redo"
            onClick={redo}
            disabled={!canRedo}
            title="Redo (Ctrl+Shift+Z)"
          >
            <Icon name="redo" />
            <span className="tool-button__label">Redo</span>
          </button>
        </div>
        <div className="button-group" role="group" aria-label="Layout">
          <button
            type="button"
            className="tool-button"
            aria-label="Auto-layout"
            onClick={() => void autoLayout()}
            disabled={!hasNodes}
            title="Arrange the steps top to bottom"
          >
            <Icon name="layout" />
            <span className="tool-button__label">Auto-layout</span>
          </button>
          <button
            type="button"
            className="tool-button"
            aria-label="Zoom to fit"
            onClick={() => void fit({ duration: 300 })}
            title="Fit the pipeline in view, no smaller than readable (scroll for the rest)"
          >
            <Icon name="fit" />
            <span className="tool-button__label">Zoom to fit</span>
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
