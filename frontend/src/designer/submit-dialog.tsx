import { useState, type FormEvent } from 'react';
import type { ParameterValue } from '../lib/draft-graph';
import type { InputPortSpec } from '../lib/parameters';
import type { SubmittedJob, ValidationProblem } from './api';
import { Dialog } from './dialog';
import { ParameterField } from './fields/parameter-field';
import { SubmitRefused } from './use-draft-actions';
import { useDraft, usePipelineInputs, usePipelineSettings } from './use-designer';

interface SubmitDialogProps {
  onClose: () => void;
  submit: (
    experimentName: string,
    parameters: Record<string, ParameterValue>,
  ) => Promise<SubmittedJob>;
  /** Where to go once the job exists; the job's page by default. */
  navigate?: (url: string) => void;
}

const EXPERIMENT: InputPortSpec = { type: 'string' };

/** Asks for the experiment and the values of the pipeline parameters, then submits a job. */
export function SubmitDialog({
  onClose,
  submit,
  navigate = (url) => window.location.assign(url),
}: SubmitDialogProps) {
  const draft = useDraft();
  const settings = usePipelineSettings();
  const inputs = usePipelineInputs();
  const [experiment, setExperiment] = useState(settings.experiment_name || 'Default');
  const [values, setValues] = useState<Record<string, ParameterValue>>(() =>
    Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value])),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<ValidationProblem[]>([]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!experiment.trim()) {
      setError('Name the experiment.');
      return;
    }
    setBusy(true);
    setError(null);
    setProblems([]);
    try {
      const job = await submit(experiment.trim(), values);
      navigate(job.url);
    } catch (err) {
      setBusy(false);
      if (err instanceof SubmitRefused) setProblems(err.problems);
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const names = Object.keys(inputs);
  return (
    <Dialog
      title={`Submit ${draft.name || 'pipeline'}`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="submit-draft-form"
            className="button button--primary"
            disabled={busy}
          >
            {busy ? 'Submitting…' : 'Submit job'}
          </button>
        </>
      }
    >
      <form
        id="submit-draft-form"
        className="submit-form"
        onSubmit={(e) => void onSubmit(e)}
        noValidate
      >
        <ParameterField
          id="submit-experiment"
          setting
          name="Experiment name"
          port={EXPERIMENT}
          value={experiment || undefined}
          onChange={(value) => setExperiment(typeof value === 'string' ? value : '')}
        />
        <h3 className="panel-section__title">Parameters</h3>
        {names.length === 0 ? (
          <p className="muted small">
            This pipeline has no parameters; it runs with the values set on its steps.
          </p>
        ) : (
          names.map((name) => (
            <ParameterField
              key={name}
              id={`submit-param-${name}`}
              name={name}
              port={{ type: inputs[name]!.type, optional: true }}
              value={values[name] ?? undefined}
              onChange={(value) => setValues((v) => ({ ...v, [name]: value ?? null }))}
            />
          ))
        )}
        {error ? (
          <div className="dialog__error" role="alert">
            <p>{error}</p>
            {problems.length > 0 ? (
              <ul>
                {problems.map((p, i) => (
                  <li key={i}>
                    {p.node ? <code>{p.node}</code> : null}
                    {p.port ? (
                      <>
                        {' · '}
                        <code>{p.port}</code>
                      </>
                    ) : null}{' '}
                    {p.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </form>
    </Dialog>
  );
}
