import type { InputPortSpec } from '../lib/parameters';
import { useComputes } from './catalog-store';
import { ParameterField } from './fields/parameter-field';
import { SwitchField } from './fields/switch-field';
import { PanelSection } from './nodes/panel-section';
import { PipelineInputRow } from './pipeline-input-row';
import { useDesignerStore } from './store';
import {
  useDraft,
  usePipelineInputs,
  usePipelineOutputs,
  usePipelineSettings,
} from './use-designer';

const EXPERIMENT: InputPortSpec = {
  type: 'string',
  optional: true,
  description: 'Jobs of this pipeline are grouped under this experiment.',
};

/** Pipeline-wide settings, inputs and outputs: the panel shown when nothing is selected. */
export function SettingsPanel() {
  const draft = useDraft();
  const settings = usePipelineSettings();
  const computes = useComputes();
  const setSettings = useDesignerStore((s) => s.setSettings);
  return (
    <div className="props">
      <header className="props__head">
        <p className="props__eyebrow">{draft.name || 'Untitled pipeline'}</p>
        <h2 className="props__title">Pipeline settings</h2>
        <p className="props__description">
          Select a node to edit it. These settings apply to the whole pipeline.
        </p>
      </header>
      <PanelSection title="Run">
        <ParameterField
          id="pipeline-experiment"
          setting
          name="Experiment name"
          port={EXPERIMENT}
          value={settings.experiment_name || undefined}
          onChange={(value) =>
            setSettings({ experiment_name: typeof value === 'string' ? value : '' }, 'experiment')
          }
        />
        <div className="pfield">
          <div className="pfield__label-row">
            <label htmlFor="pipeline-default-compute" className="pfield__label">
              Default compute
            </label>
          </div>
          <select
            id="pipeline-default-compute"
            value={settings.default_compute ?? ''}
            onChange={(event) => setSettings({ default_compute: event.target.value || null })}
          >
            <option value="">Studio&apos;s default</option>
            {computes.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} · {c.state}
              </option>
            ))}
            {settings.default_compute &&
            !computes.some((c) => c.name === settings.default_compute) ? (
              <option value={settings.default_compute}>{settings.default_compute} (unknown)</option>
            ) : null}
          </select>
        </div>
        <SwitchField
          id="pipeline-continue-on-failure"
          label="Continue on step failure"
          description="Keep running the steps that do not depend on a failed one."
          checked={settings.continue_on_step_failure}
          onChange={(checked) => setSettings({ continue_on_step_failure: checked })}
        />
        <SwitchField
          id="pipeline-force-rerun"
          label="Force rerun"
          description="Run every step, even where an identical earlier run could be reused."
          checked={settings.force_rerun}
          onChange={(checked) => setSettings({ force_rerun: checked })}
        />
      </PanelSection>
      <PipelineInputs />
      <PipelineOutputs />
      <PanelSection title="Keyboard">
        <dl className="shortcuts">
          <dt>
            <kbd>Del</kbd>
          </dt>
          <dd>Delete the selection</dd>
          <dt>
            <kbd>Ctrl</kbd> <kbd>C</kbd> / <kbd>V</kbd>
          </dt>
          <dd>Copy / paste nodes</dd>
          <dt>
            <kbd>Ctrl</kbd> <kbd>Z</kbd>
          </dt>
          <dd>Undo</dd>
          <dt>
            <kbd>Ctrl</kbd> <kbd>Shift</kbd> <kbd>Z</kbd>
          </dt>
          <dd>Redo</dd>
          <dt>
            <kbd>Ctrl</kbd> <kbd>A</kbd>
          </dt>
          <dd>Select all</dd>
          <dt>
            <kbd>Shift</kbd> + drag
          </dt>
          <dd>Select an area</dd>
        </dl>
      </PanelSection>
    </div>
  );
}

function PipelineInputs() {
  const inputs = usePipelineInputs();
  const names = Object.keys(inputs);
  return (
    <PanelSection title="Pipeline parameters">
      {names.length === 0 ? (
        <p className="muted small">
          None yet. Use <strong>Parameterise</strong> on a step&apos;s parameter to make it settable
          when submitting.
        </p>
      ) : (
        names.map((name) => <PipelineInputRow key={name} name={name} />)
      )}
    </PanelSection>
  );
}

function PipelineOutputs() {
  const outputs = usePipelineOutputs();
  const setOutput = useDesignerStore((s) => s.setPipelineOutput);
  const entries = Object.entries(outputs);
  return (
    <PanelSection title="Pipeline outputs">
      {entries.length === 0 ? (
        <p className="muted small">
          None yet. Select a step and use <strong>Make pipeline output</strong> on one of its
          outputs.
        </p>
      ) : (
        <ul className="port-list">
          {entries.map(([name, output]) => (
            <li key={name} className="port-list__item">
              <div className="pfield__label-row">
                <span className="pfield__label pfield__label--port">{name}</span>
                <span className="pfield__actions">
                  <button
                    type="button"
                    className="link-button link-button--danger"
                    aria-label={`Remove pipeline output ${name}`}
                    onClick={() => setOutput(name, null)}
                  >
                    Remove
                  </button>
                </span>
              </div>
              <p className="port-list__source">
                from <code>{output.node}</code> · <code>{output.port}</code>
              </p>
            </li>
          ))}
        </ul>
      )}
    </PanelSection>
  );
}
