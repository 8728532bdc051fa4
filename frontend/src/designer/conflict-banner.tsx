import { useSaveStatus } from './use-designer';

/** Shown once a save was refused because someone else saved the draft first. */
export function ConflictBanner() {
  const { status } = useSaveStatus();
  if (status !== 'conflict') return null;
  return (
    <div className="designer-banner designer-banner--conflict" role="alert">
      <p>
        <strong>This draft was changed elsewhere.</strong> Your latest edits were not saved, so that
        nothing is overwritten. Reload to continue from the newest version.
      </p>
      <button
        type="button"
        className="button button--small"
        onClick={() => window.location.reload()}
      >
        Reload
      </button>
    </div>
  );
}
