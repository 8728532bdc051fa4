import type { InputPortSpec } from '../../../lib/parameters';
import { useComputes } from '../../catalog-store';
import { ParameterField } from '../../fields/parameter-field';
import { SwitchField } from '../../fields/switch-field';
import { useDesignerStore } from '../../store';
import { PanelSection } from '../panel-section';
import type { ComponentNode } from './types';

const RETRIES: InputPortSpec = { type: 'integer', default: 0, min: 0, max: 10 };
const TIMEOUT: InputPortSpec = {
  type: 'integer',
  optional: true,
  min: 1,
  description: 'Seconds before the step is stopped; empty for no limit.',
};

/**
 * Where and how a step runs: compute, retries, timeout, forced rerun. A pipeline component's step
 * has only a compute: the default of the steps inside it.
 */
export function RunSettings({
  node,
  pipeline = false,
}: {
  node: ComponentNode;
  pipeline?: boolean;
}) {
  const { id, data } = node;
  const computes = useComputes();
  const defaultCompute = useDesignerStore((s) => s.settings.default_compute);
  const updateNodeData = useDesignerStore((s) => s.updateNodeData);
  const computeId = `${id}-compute`;
  return (
    <PanelSection title="Run settings">
      <div className="pfield">
        <div className="pfield__label-row">
          <label htmlFor={computeId} className="pfield__label">
            Compute
          </label>
        </div>
        <select
          id={computeId}
          value={data.compute ?? ''}
          onChange={(event) => updateNodeData(id, { compute: event.target.value || null })}
        >
          <option value="">Pipeline default{defaultCompute ? ` (${defaultCompute})` : ''}</option>
          {computes.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} · {c.state}
            </option>
          ))}
          {data.compute && !computes.some((c) => c.name === data.compute) ? (
            <option value={data.compute}>{data.compute} (unknown)</option>
          ) : null}
        </select>
        {pipeline ? (
          <p className="pfield__hint">The compute of the steps inside that name none.</p>
        ) : null}
      </div>
      {pipeline ? null : <StepRetries node={node} />}
    </PanelSection>
  );
}

function StepRetries({ node }: { node: ComponentNode }) {
  const { id, data } = node;
  const updateNodeData = useDesignerStore((s) => s.updateNodeData);
  return (
    <>
      <ParameterField
        id={`${id}-max-retries`}
        setting
        name="Max retries"
        port={RETRIES}
        value={data.retry_settings.max_retries === 0 ? undefined : data.retry_settings.max_retries}
        onChange={(value) =>
          updateNodeData(
            id,
            {
              retry_settings: {
                ...data.retry_settings,
                max_retries: typeof value === 'number' ? value : 0,
              },
            },
            `retries:${id}`,
          )
        }
      />
      <SwitchField
        id={`${id}-retry-on-failure`}
        label="Retry on failure"
        checked={data.retry_settings.retry_on_failure}
        onChange={(checked) =>
          updateNodeData(id, {
            retry_settings: { ...data.retry_settings, retry_on_failure: checked },
          })
        }
      />
      <ParameterField
        id={`${id}-timeout`}
        setting
        name="Timeout (seconds)"
        port={TIMEOUT}
        value={data.limits.timeout ?? undefined}
        onChange={(value) =>
          updateNodeData(
            id,
            { limits: { ...data.limits, timeout: typeof value === 'number' ? value : null } },
            `timeout:${id}`,
          )
        }
      />
      <SwitchField
        id={`${id}-force-rerun`}
        label="Force rerun"
        description="Run this step even when an identical earlier run could be reused."
        checked={data.force_rerun}
        onChange={(checked) => updateNodeData(id, { force_rerun: checked })}
      />
    </>
  );
}
