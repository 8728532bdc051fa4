import { useShallow } from 'zustand/react/shallow';
import { splitReference } from '../../../lib/draft-graph';
import { useDataAssetDefinition } from '../../catalog-store';
import { TypePill } from '../../fields/type-pill';
import { useDesignerStore } from '../../store';
import { useNode } from '../../use-designer';
import { PanelSection } from '../panel-section';
import type { DataNode } from './types';

/** What a data node reads, and which steps it feeds. */
export function DataPanel({ id }: { id: string }) {
  const node = useNode(id) as DataNode | undefined;
  const asset = useDataAssetDefinition(node?.data.asset ?? '');
  const targets = useDesignerStore(
    useShallow((s) =>
      s.edges.filter((e) => e.source === id).map((e) => `${e.target} · ${e.targetHandle ?? ''}`),
    ),
  );
  if (!node) return null;
  const { name, version } = splitReference(node.data.asset);
  return (
    <div className="props">
      <header className="props__head">
        <p className="props__eyebrow">Data · {id}</p>
        <h2 className="props__title">{name}</h2>
        <p className="props__subtitle">
          <a href={`/data/${encodeURIComponent(name)}/${encodeURIComponent(version)}/`}>
            <code>
              {name}@{version}
            </code>
          </a>
          {asset ? <TypePill type={asset.dataType} /> : null}
        </p>
        {asset?.description ? <p className="props__description">{asset.description}</p> : null}
      </header>
      <PanelSection title="Feeds">
        {targets.length > 0 ? (
          <ul className="plain-list">
            {targets.map((t) => (
              <li key={t}>
                <code>{t}</code>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">
            Not connected yet: drag from its <code>data</code> output to a step&apos;s input.
          </p>
        )}
      </PanelSection>
    </div>
  );
}
