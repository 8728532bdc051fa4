/**
 * Read-only cards of a pipeline component's inner graph: its steps (a nested pipeline component
 * with an Open button), its inputs and outputs as boundary cards, and data.
 */
import type { NodeProps, NodeTypes } from '@xyflow/react';
import { memo, useEffect } from 'react';
import { splitReference } from '../../lib/draft-graph';
import { isAssetType } from '../../lib/port-types';
import { useCatalogStore, useComponentDefinition, useIsMissing } from '../catalog-store';
import { TypePill } from '../fields/type-pill';
import { PortRow } from '../nodes/port-row';
import { PipelineIcon } from '../nodes/component/pipeline-icon';
import { useBrowseStore } from './browse-store';
import type { InnerNode } from './to-flow';

function StepCard({ id, data }: NodeProps<InnerNode>) {
  const ref = String(data.component ?? '');
  const definition = useComponentDefinition(ref);
  const missing = useIsMissing(ref);
  const ensureComponent = useCatalogStore((s) => s.ensureComponent);
  const openNested = useBrowseStore((s) => s.openNested);
  useEffect(() => {
    if (!definition) ensureComponent(ref);
  }, [definition, ref, ensureComponent]);
  const { name, version } = splitReference(ref);
  const title = String(data.display_name || '') || definition?.displayName || name;
  const pipeline = definition?.kind === 'pipeline';
  const inputs = definition
    ? Object.entries(definition.inputs).filter(([, spec]) => isAssetType(spec.type))
    : [];
  const outputs = definition ? Object.entries(definition.outputs) : [];
  const bound = Object.entries((data.pipeline_inputs ?? {}) as Record<string, string>);
  const literals = Object.entries((data.inputs ?? {}) as Record<string, unknown>);
  return (
    <div
      className={`studio-node studio-node--component inner-node${pipeline ? ' studio-node--pipeline' : ''}`}
      data-step={id}
      onDoubleClick={pipeline ? () => openNested({ ref, label: title }) : undefined}
    >
      <div className="studio-node__head">
        <span className="studio-node__icon" aria-hidden="true">
          {pipeline ? <PipelineIcon /> : <span className="inner-node__dot" />}
        </span>
        <div className="studio-node__titles">
          <strong className="studio-node__title">{title}</strong>
          <code className="studio-node__ref">
            {id} · {name}@{version}
          </code>
        </div>
        {pipeline ? (
          <button
            type="button"
            className="button button--small inner-node__open nodrag"
            aria-label={`Open ${title}`}
            onClick={() => openNested({ ref, label: title })}
          >
            Open
          </button>
        ) : null}
      </div>
      {definition ? (
        <div className="studio-node__ports">
          <ul className="node-ports node-ports--in" aria-label="Inputs">
            {inputs.map(([port, spec]) => (
              <PortRow key={port} port={port} type={spec.type} side="input" />
            ))}
          </ul>
          <ul className="node-ports node-ports--out" aria-label="Outputs">
            {outputs.map(([port, spec]) => (
              <PortRow key={port} port={port} type={spec.type} side="output" />
            ))}
          </ul>
        </div>
      ) : (
        <p className="studio-node__note">
          {missing ? `Component ${ref} is not registered` : 'Loading…'}
        </p>
      )}
      {bound.length + literals.length > 0 ? (
        <ul className="inner-node__values">
          {bound.map(([port, input]) => (
            <li key={port}>
              <code>{port}</code> ← input <code>{input}</code>
            </li>
          ))}
          {literals.map(([port, value]) => (
            <li key={port}>
              <code>{port}</code> = {JSON.stringify(value)}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function BoundaryCard({ data, type }: NodeProps<InnerNode>) {
  const side = type === 'inner-input' ? 'input' : 'output';
  const name = String(data.name);
  const kind = String(data.type);
  const fallback = data.default === undefined ? null : JSON.stringify(data.default);
  return (
    <div className={`studio-node inner-boundary inner-boundary--${side}`}>
      <div className="studio-node__head">
        <div className="studio-node__titles">
          <span className="inner-boundary__eyebrow">
            {side === 'input' ? 'Component input' : 'Component output'}
          </span>
          <strong className="studio-node__title">{name}</strong>
        </div>
        <TypePill type={kind} />
      </div>
      <ul className={`node-ports node-ports--${side === 'input' ? 'out' : 'in'}`}>
        <PortRow port={name} type={kind} side={side === 'input' ? 'output' : 'input'} />
      </ul>
      {fallback !== null ? <p className="studio-node__meta">default {fallback}</p> : null}
    </div>
  );
}

function DataCard({ data }: NodeProps<InnerNode>) {
  return (
    <div className="studio-node studio-node--data inner-node">
      <div className="studio-node__head">
        <strong className="studio-node__title">{String(data.asset)}</strong>
      </div>
      <ul className="node-ports node-ports--out">
        <PortRow port="data" type="uri_folder" side="output" />
      </ul>
    </div>
  );
}

export const innerNodeTypes = {
  'inner-component': memo(StepCard),
  'inner-input': memo(BoundaryCard),
  'inner-output': memo(BoundaryCard),
  'inner-data': memo(DataCard),
} satisfies NodeTypes;
