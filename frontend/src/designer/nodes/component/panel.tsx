import { useEffect } from 'react';
import { splitReference, type ParameterValue } from '../../../lib/draft-graph';
import type { InputPortSpec } from '../../../lib/parameters';
import { isAssetType } from '../../../lib/port-types';
import {
  useCatalogStore,
  useComponentDefinition,
  type ComponentDefinition,
} from '../../catalog-store';
import { ParameterField } from '../../fields/parameter-field';
import { TypePill } from '../../fields/type-pill';
import { useBrowseStore } from '../../component-graph/browse-store';
import { useDesignerStore } from '../../store';
import { useNode, useNodeProblems, usePipelineInputs } from '../../use-designer';
import { PanelSection } from '../panel-section';
import { DataInputs } from './data-inputs';
import { RunSettings } from './run-settings';
import type { ComponentNode, SectionProps } from './types';

const DISPLAY_NAME: InputPortSpec = { type: 'string', optional: true };

/** The properties of a component step: parameters, data inputs, outputs and run settings. */
export function ComponentPanel({ id }: { id: string }) {
  const node = useNode(id) as ComponentNode | undefined;
  const definition = useComponentDefinition(node?.data.component ?? '');
  if (!node) return null;
  return <ComponentPanelBody node={node} definition={definition} />;
}

function ComponentPanelBody({
  node,
  definition,
}: {
  node: ComponentNode;
  definition: ComponentDefinition | undefined;
}) {
  const { id, data } = node;
  const { name, version } = splitReference(data.component);
  const problems = useNodeProblems(id);
  const updateNodeData = useDesignerStore((s) => s.updateNodeData);
  const nodeProblem = (port: string) => problems?.find((p) => p.port === port)?.message;

  return (
    <div className="props">
      <header className="props__head">
        <p className="props__eyebrow">Step · {id}</p>
        <h2 className="props__title">{data.display_name || definition?.displayName || name}</h2>
        <p className="props__subtitle">
          <a href={`/components/${encodeURIComponent(name)}/${encodeURIComponent(version)}/`}>
            <code>
              {name}@{version}
            </code>
          </a>
          {definition ? <span className="chip chip--category">{definition.category}</span> : null}
        </p>
        {definition?.description ? (
          <p className="props__description">{definition.description}</p>
        ) : null}
        {definition?.kind === 'pipeline' ? (
          <div className="props__actions">
            <button
              type="button"
              className="button button--small"
              title="Look at its steps (read-only); double-clicking the node does the same"
              onClick={() =>
                useBrowseStore.getState().open({
                  ref: definition.ref,
                  label: data.display_name || definition.displayName,
                })
              }
            >
              Open pipeline component
            </button>
          </div>
        ) : null}
      </header>
      {problems ? (
        <ul className="props__problems" aria-label="Problems of this step">
          {problems.map((p, i) => (
            <li key={i}>
              {p.port ? <code>{p.port}</code> : null} {p.message}
            </li>
          ))}
        </ul>
      ) : null}

      <PanelSection title="Step">
        <ParameterField
          id={`${id}-display-name`}
          setting
          name="Display name"
          port={DISPLAY_NAME}
          value={data.display_name || undefined}
          onChange={(value) =>
            updateNodeData(id, { display_name: value ?? '' }, `display_name:${id}`)
          }
        />
        <VersionSelect node={node} />
      </PanelSection>

      {definition ? (
        <>
          <DataInputs node={node} definition={definition} problemOf={nodeProblem} />
          <Parameters node={node} definition={definition} problemOf={nodeProblem} />
          <Outputs node={node} definition={definition} />
        </>
      ) : (
        <p className="muted">Loading the component definition…</p>
      )}
      <RunSettings node={node} pipeline={definition?.kind === 'pipeline'} />
    </div>
  );
}

function VersionSelect({ node }: { node: ComponentNode }) {
  const { name, version } = splitReference(node.data.component);
  const versions = useCatalogStore((s) => s.versions[name]);
  const loadVersions = useCatalogStore((s) => s.loadVersions);
  const changeVersion = useDesignerStore((s) => s.changeComponentVersion);
  useEffect(() => loadVersions(name), [name, loadVersions]);
  const options =
    versions && versions.includes(version) ? versions : [version, ...(versions ?? [])];
  const selectId = `${node.id}-version`;
  return (
    <div className="pfield">
      <div className="pfield__label-row">
        <label htmlFor={selectId} className="pfield__label">
          Version
        </label>
      </div>
      <select
        id={selectId}
        value={version}
        onChange={(event) => {
          const ref = `${name}:${event.target.value}`;
          const definition = useCatalogStore.getState().components[ref];
          if (definition) changeVersion(node.id, definition);
        }}
      >
        {options.map((v, i) => (
          <option key={v} value={v}>
            {v}
            {i === 0 && versions ? ' (latest)' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

function Parameters({ node, definition, problemOf }: SectionProps) {
  const ports = Object.entries(definition.inputs).filter(([, spec]) => !isAssetType(spec.type));
  const pipelineInputs = usePipelineInputs();
  const setNodeInput = useDesignerStore((s) => s.setNodeInput);
  const promote = useDesignerStore((s) => s.promoteToPipelineInput);
  const unbind = useDesignerStore((s) => s.unbindPipelineInput);
  const setPipelineInputValue = useDesignerStore((s) => s.setPipelineInputValue);
  if (ports.length === 0) return null;
  return (
    <PanelSection title="Parameters">
      {ports.map(([port, spec]) => {
        const fieldId = `${node.id}-in-${port}`;
        const bound = node.data.pipeline_inputs[port];
        const pipelineInput = bound !== undefined ? pipelineInputs[bound] : undefined;
        if (bound !== undefined) {
          return (
            <ParameterField
              key={port}
              id={fieldId}
              name={port}
              port={spec}
              value={pipelineInput?.value ?? undefined}
              problem={problemOf(port)}
              columnsOf={{ node: node.id, port }}
              onChange={(value) =>
                setPipelineInputValue(bound, value ?? null, `pipeline_input:${bound}`)
              }
              clearable={false}
              note={
                <p className="pfield__bound">
                  Pipeline parameter <code>{bound}</code>
                  {pipelineInput ? '' : ' (missing)'}
                </p>
              }
              actions={
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Unbind ${port} from pipeline parameter ${bound}`}
                  onClick={() => unbind(node.id, port)}
                >
                  Unbind
                </button>
              }
            />
          );
        }
        const value = node.data.inputs[port];
        return (
          <ParameterField
            key={port}
            id={fieldId}
            name={port}
            port={spec}
            value={value}
            problem={problemOf(port)}
            columnsOf={{ node: node.id, port }}
            onChange={(next) => setNodeInput(node.id, port, next, `input:${node.id}:${port}`)}
            actions={
              <button
                type="button"
                className="link-button"
                aria-label={`Set ${port} as pipeline parameter`}
                title="Make this a pipeline parameter that can be set at submission"
                onClick={() => {
                  const initial: ParameterValue = value ?? spec.default ?? null;
                  promote(node.id, port, { type: spec.type, value: initial });
                }}
              >
                Parameterise
              </button>
            }
          />
        );
      })}
    </PanelSection>
  );
}

function Outputs({ node, definition }: { node: ComponentNode; definition: ComponentDefinition }) {
  const outputs = useDesignerStore((s) => s.outputs);
  const setPipelineOutput = useDesignerStore((s) => s.setPipelineOutput);
  const ports = Object.entries(definition.outputs);
  if (ports.length === 0) return null;
  const exposedAs = (port: string) =>
    Object.entries(outputs).find(([, o]) => o.node === node.id && o.port === port)?.[0];
  return (
    <PanelSection title="Outputs">
      <ul className="port-list">
        {ports.map(([port, spec]) => {
          const name = exposedAs(port);
          return (
            <li key={port} className="port-list__item">
              <div className="pfield__label-row">
                <span className="pfield__label pfield__label--port">{port}</span>
                <TypePill type={spec.type} />
                <span className="pfield__actions">
                  {name ? (
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Stop exposing ${port} as a pipeline output`}
                      onClick={() => setPipelineOutput(name, null)}
                    >
                      Remove output
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Expose ${port} as a pipeline output`}
                      onClick={() => {
                        const taken = new Set(Object.keys(outputs));
                        let candidate = port;
                        for (let i = 2; taken.has(candidate); i++) candidate = `${port}_${i}`;
                        setPipelineOutput(candidate, { node: node.id, port });
                      }}
                    >
                      Make pipeline output
                    </button>
                  )}
                </span>
              </div>
              {name ? (
                <p className="pfield__bound">
                  Pipeline output <code>{name}</code>
                </p>
              ) : null}
              {spec.description ? <p className="pfield__hint">{spec.description}</p> : null}
            </li>
          );
        })}
      </ul>
    </PanelSection>
  );
}
