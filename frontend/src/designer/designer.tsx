import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { DesignerCanvas } from './canvas';
import { useBrowseStore } from './component-graph/browse-store';
import { ComponentGraphViewer } from './component-graph/viewer';
import { ConflictBanner } from './conflict-banner';
import './designer.css';
import { ExportDialog } from './export-dialog';
import { NoticeToast } from './notice-toast';
import './nodes/nodes.css';
import { Palette } from './palette';
import { ProblemsBar } from './problems-bar';
import { PropertiesPanel } from './properties-panel';
import { SubmitDialog } from './submit-dialog';
import { Toolbar } from './toolbar';
import { useAutosave } from './use-autosave';
import { useDraftActions } from './use-draft-actions';
import { useDraftLoader } from './use-draft-loader';
import { useKeyboardShortcuts } from './use-keyboard-shortcuts';
import { usePanelPreferences } from './use-panel-preferences';
import { useViewportAutosave } from './use-viewport-autosave';

export interface DesignerProps {
  /** The draft to edit (island props on /designer/<id>/). Without it the canvas saves nowhere. */
  draftId?: number;
  /** A name to show until the draft is loaded, or for a canvas without a draft. */
  draftName?: string;
}

/** The pipeline designer island: toolbar, library, canvas and properties of one draft. */
export function Designer(props: DesignerProps) {
  return (
    <ReactFlowProvider>
      <DesignerApp {...props} />
    </ReactFlowProvider>
  );
}

function DesignerApp({ draftId, draftName }: DesignerProps) {
  useEffect(() => {
    document.documentElement.classList.add('designer-page');
    return () => document.documentElement.classList.remove('designer-page');
  }, []);
  useDraftLoader(draftId, draftName);
  // Another draft (or a reload) starts on its own canvas, not inside a component.
  useEffect(() => useBrowseStore.getState().close(), [draftId]);
  const autosave = useAutosave();
  useViewportAutosave();
  const { validate, validating, exportYaml, submit } = useDraftActions(autosave);
  useKeyboardShortcuts();
  const [dialog, setDialog] = useState<'submit' | 'export' | null>(null);
  const [panels, togglePanel] = usePanelPreferences();
  const bodyClasses = ['designer__body'];
  if (!panels.library) bodyClasses.push('designer__body--no-library');
  if (!panels.properties) bodyClasses.push('designer__body--no-properties');

  return (
    <div className="designer">
      <Toolbar
        onValidate={() => void validate()}
        validating={validating}
        onSubmit={() => setDialog('submit')}
        onExport={() => setDialog('export')}
        panels={panels}
        onTogglePanel={togglePanel}
      />
      <ConflictBanner />
      <ProblemsBar />
      <div className={bodyClasses.join(' ')}>
        {panels.library ? <Palette /> : null}
        <section className="designer__stage" aria-label="Canvas">
          <DesignerCanvas />
          <ComponentGraphViewer />
          <NoticeToast />
        </section>
        {panels.properties ? <PropertiesPanel /> : null}
      </div>
      {dialog === 'submit' ? (
        <SubmitDialog onClose={() => setDialog(null)} submit={submit} />
      ) : null}
      {dialog === 'export' ? (
        <ExportDialog onClose={() => setDialog(null)} load={exportYaml} />
      ) : null}
    </div>
  );
}

export default Designer;
