import { useEffect, useState } from 'react';
import { Dialog } from './dialog';
import { useDraft } from './use-designer';

interface ExportDialogProps {
  onClose: () => void;
  load: () => Promise<string | null>;
}

function fileName(name: string): string {
  const stem = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${stem || 'pipeline'}.yml`;
}

/** The draft as pipeline YAML, to read, copy or download. */
export function ExportDialog({ onClose, load }: ExportDialogProps) {
  const draft = useDraft();
  const [yaml, setYaml] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    let cancelled = false;
    load().then(
      (text) => {
        if (cancelled) return;
        if (text === null) onClose();
        else setYaml(text);
      },
      (err: unknown) => {
        if (!cancelled) setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      cancelled = true;
    };
    // Load once when opened.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const download = () => {
    if (yaml === null) return;
    const url = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName(draft.name);
    link.click();
    URL.revokeObjectURL(url);
  };

  const copy = async () => {
    if (yaml === null) return;
    try {
      await navigator.clipboard.writeText(yaml);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <Dialog
      title="Pipeline YAML"
      wide
      onClose={onClose}
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={() => void copy()}
            disabled={yaml === null}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
          <button
            type="button"
            className="button button--primary"
            onClick={download}
            disabled={yaml === null}
          >
            Download {fileName(draft.name)}
          </button>
        </>
      }
    >
      {error ? (
        <p className="dialog__error" role="alert">
          The YAML could not be made: {error}
        </p>
      ) : yaml === null ? (
        <p className="muted" role="status">
          Saving and exporting…
        </p>
      ) : (
        <pre className="code-block export-yaml" tabIndex={0} aria-label="Pipeline YAML">
          <code>{yaml}</code>
        </pre>
      )}
    </Dialog>
  );
}
