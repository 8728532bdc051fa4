import { useMemo } from 'react';
import { hasDefault } from '../../../lib/parameters';
import { isAssetType } from '../../../lib/port-types';
import { useCatalogStore } from '../../catalog-store';
import { sourcesFor } from '../../connections';
import { TypePill } from '../../fields/type-pill';
import { useDesignerStore } from '../../store';
import { PanelSection } from '../panel-section';
import type { SectionProps } from './types';

/** A fingerprint of what can be wired (nodes, their kinds and the wires), stable while dragging. */
function useWiringKey(): string {
  return useDesignerStore((s) => {
    const nodes = s.nodes
      .map((n) =>
        n.type === 'component'
          ? `${n.id}=${n.data.component}`
          : n.type === 'data'
            ? `${n.id}=${n.data.asset}`
            : '',
      )
      .join('|');
    return `${nodes}#${s.edges.map((e) => e.id).join('|')}`;
  });
}

/** The data inputs of a step, each with a select of the outputs that may feed it (wiring without a mouse). */
export function DataInputs({ node, definition, problemOf }: SectionProps) {
  const ports = Object.entries(definition.inputs).filter(([, spec]) => isAssetType(spec.type));
  const wiring = useWiringKey();
  const catalogSize = useCatalogStore(
    (s) => Object.keys(s.components).length + Object.keys(s.dataAssets).length,
  );
  const setInputSource = useDesignerStore((s) => s.setInputSource);
  const options = useMemo(
    () => {
      const edges = useDesignerStore.getState().edges;
      return Object.fromEntries(
        ports.map(([port]) => {
          const current = edges.find((e) => e.target === node.id && e.targetHandle === port);
          return [
            port,
            {
              current: current ? `${current.source}\u0000${current.sourceHandle ?? ''}` : '',
              sources: sourcesFor(node.id, port),
            },
          ];
        }),
      );
    },
    // The wiring key and catalogue size stand for the store state read here.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [wiring, catalogSize, node.id, definition],
  );
  if (ports.length === 0) return null;
  return (
    <PanelSection title="Data inputs">
      {ports.map(([port, spec]) => {
        const problem = problemOf(port);
        const required = !spec.optional && !hasDefault(spec);
        const { current, sources } = options[port] ?? { current: '', sources: [] };
        const selectId = `${node.id}-source-${port}`;
        const listed =
          current === '' || sources.some((src) => `${src.node}\u0000${src.port}` === current);
        return (
          <div key={port} className={`pfield${problem ? ' has-error' : ''}`}>
            <div className="pfield__label-row">
              <label htmlFor={selectId} className="pfield__label pfield__label--port">
                {port}
                {required ? (
                  <span className="pfield__required" title="Required">
                    *<span className="visually-hidden"> (required)</span>
                  </span>
                ) : null}
              </label>
              <TypePill type={spec.type} />
            </div>
            <select
              id={selectId}
              value={current}
              aria-invalid={problem ? true : undefined}
              onChange={(event) => {
                const [source, output] = event.target.value.split('\u0000');
                setInputSource(
                  node.id,
                  port,
                  source && output ? { node: source, port: output } : null,
                );
              }}
            >
              <option value="">
                {sources.length > 0 ? 'Not connected' : 'Not connected (no fitting output)'}
              </option>
              {listed ? null : <option value={current}>{current.replace('\u0000', ' · ')}</option>}
              {sources.map((src) => (
                <option key={`${src.node}.${src.port}`} value={`${src.node}\u0000${src.port}`}>
                  {src.node} · {src.port}
                </option>
              ))}
            </select>
            {problem ? <p className="field-error">{problem}</p> : null}
            {spec.description ? <p className="pfield__hint">{spec.description}</p> : null}
          </div>
        );
      })}
    </PanelSection>
  );
}
