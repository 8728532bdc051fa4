import type { NodeProps } from '@xyflow/react';
import { memo, useEffect, type CSSProperties } from 'react';
import { splitReference } from '../../../lib/draft-graph';
import { hasDefault } from '../../../lib/parameters';
import { isAssetType } from '../../../lib/port-types';
import {
  REFERENCE_CHARS,
  TITLE_CHARS,
  clipped,
  mayOverflow,
  portNamesMayOverflow,
} from '../../../lib/text-fit';
import { useCatalogStore, useComponentDefinition, useIsMissing } from '../../catalog-store';
import { useNodeProblems } from '../../use-designer';
import { NodeProblems, problemTitle } from '../node-problems';
import { PortRow } from '../port-row';
import { PipelineIcon } from './pipeline-icon';
import type { ComponentNode } from './types';

/** Tints of the categories of Studio's library; other categories use the accent colour. */
const CATEGORY_TINTS: Record<string, string> = {
  'Data Input and Output': '#0d9488',
  'Data Transformation': '#4f46e5',
  'Model Training': '#ea580c',
  'Model Scoring & Evaluation': '#db2777',
  'Python Language': '#ca8a04',
  General: '#475569',
  'Pipeline components': '#7c3aed',
};

/** A component step: its name, `name@version`, data inputs on the left and outputs on the right. */
function ComponentNodeCard({ id, data, selected }: NodeProps<ComponentNode>) {
  const definition = useComponentDefinition(data.component);
  const missing = useIsMissing(data.component);
  const problems = useNodeProblems(id);
  const ensureComponent = useCatalogStore((s) => s.ensureComponent);
  useEffect(() => {
    if (!definition) ensureComponent(data.component);
  }, [definition, data.component, ensureComponent]);

  const { name, version } = splitReference(data.component);
  const portProblem = (port: string) => problems?.find((p) => p.port === port)?.message;
  const inputs = definition
    ? Object.entries(definition.inputs).filter(([, spec]) => isAssetType(spec.type))
    : [];
  const outputs = definition ? Object.entries(definition.outputs) : [];
  const parameterCount = definition
    ? Object.values(definition.inputs).filter((spec) => !isAssetType(spec.type)).length
    : 0;
  const title = data.display_name || name;
  const reference = `${name}@${version}`;
  const clipPorts = portNamesMayOverflow(
    inputs.map(([port, spec]) => ({ name: port, required: !spec.optional && !hasDefault(spec) })),
    outputs.map(([port]) => port),
  );
  const pipeline = definition?.kind === 'pipeline';
  const classes = ['studio-node', 'studio-node--component'];
  if (pipeline) classes.push('studio-node--pipeline');
  if (selected) classes.push('is-selected');
  if (problems) classes.push('has-problems');

  return (
    <div
      className={classes.join(' ')}
      title={problems ? problemTitle(problems) : undefined}
      style={
        { '--node-tint': CATEGORY_TINTS[definition?.category ?? ''] ?? '#4f46e5' } as CSSProperties
      }
    >
      <div className="studio-node__head">
        <span className="studio-node__icon" aria-hidden="true">
          {pipeline ? (
            <PipelineIcon />
          ) : (
            <svg
              width="14"
              height="14"
              viewBox="0 0 24 24"
              fill="none"
              stroke="currentColor"
              strokeWidth="2.2"
              strokeLinecap="round"
              strokeLinejoin="round"
            >
              <path d="M12 3 4 7.5v9L12 21l8-4.5v-9L12 3ZM4 7.5l8 4.5 8-4.5M12 12v9" />
            </svg>
          )}
        </span>
        <div className="studio-node__titles">
          <strong className={clipped('studio-node__title', mayOverflow(title, TITLE_CHARS))}>
            {title}
          </strong>
          <code className={clipped('studio-node__ref', mayOverflow(reference, REFERENCE_CHARS))}>
            {reference}
          </code>
        </div>
      </div>
      {definition ? (
        <div className={clipped('studio-node__ports', clipPorts)}>
          <ul className="node-ports node-ports--in" aria-label="Inputs">
            {inputs.map(([port, spec]) => (
              <PortRow
                key={port}
                port={port}
                type={spec.type}
                side="input"
                required={!spec.optional && !hasDefault(spec)}
                problem={portProblem(port)}
              />
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
          {missing ? `Component ${data.component} is not registered` : 'Loading…'}
        </p>
      )}
      {parameterCount > 0 || pipeline ? (
        <p className="studio-node__meta">
          {pipeline ? 'Pipeline · double-click to open' : ''}
          {pipeline && parameterCount > 0 ? ' · ' : ''}
          {parameterCount > 0
            ? `${parameterCount} parameter${parameterCount === 1 ? '' : 's'}`
            : ''}
          {data.compute ? ` · on ${data.compute}` : ''}
        </p>
      ) : null}
      {problems ? <NodeProblems problems={problems} /> : null}
    </div>
  );
}

export const ComponentNodeView = memo(ComponentNodeCard);
