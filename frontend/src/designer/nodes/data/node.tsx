import type { NodeProps } from '@xyflow/react';
import { memo, useEffect } from 'react';
import { DATA_OUTPUT, splitReference } from '../../../lib/draft-graph';
import { REFERENCE_CHARS, TITLE_CHARS, clipped, mayOverflow } from '../../../lib/text-fit';
import { useCatalogStore, useDataAssetDefinition, useIsMissing } from '../../catalog-store';
import { useNodeProblems } from '../../use-designer';
import { NodeProblems, problemTitle } from '../node-problems';
import { PortRow } from '../port-row';
import type { DataNode } from './types';

/** A registered data asset feeding steps through its one output, `data`. */
function DataNodeCard({ id, data, selected }: NodeProps<DataNode>) {
  const asset = useDataAssetDefinition(data.asset);
  const missing = useIsMissing(data.asset);
  const problems = useNodeProblems(id);
  const ensureDataAsset = useCatalogStore((s) => s.ensureDataAsset);
  useEffect(() => {
    if (!asset) ensureDataAsset(data.asset);
  }, [asset, data.asset, ensureDataAsset]);
  const { name, version } = splitReference(data.asset);
  const classes = ['studio-node', 'studio-node--data'];
  if (selected) classes.push('is-selected');
  if (problems) classes.push('has-problems');

  return (
    <div className={classes.join(' ')} title={problems ? problemTitle(problems) : undefined}>
      <div className="studio-node__head">
        <span className="studio-node__icon studio-node__icon--data" aria-hidden="true">
          <svg
            width="14"
            height="14"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            strokeWidth="2.2"
            strokeLinecap="round"
          >
            <ellipse cx="12" cy="5.5" rx="7" ry="2.5" />
            <path d="M5 5.5v13c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5v-13M5 12c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5" />
          </svg>
        </span>
        <div className="studio-node__titles">
          <strong className={clipped('studio-node__title', mayOverflow(name, TITLE_CHARS))}>
            {name}
          </strong>
          <code
            className={clipped(
              'studio-node__ref',
              mayOverflow(`${name}@${version}`, REFERENCE_CHARS),
            )}
          >
            {name}@{version}
          </code>
        </div>
      </div>
      {asset ? (
        <div className="studio-node__ports">
          <ul className="node-ports node-ports--in" aria-hidden="true" />
          <ul className="node-ports node-ports--out" aria-label="Outputs">
            <PortRow port={DATA_OUTPUT} type={asset.dataType} side="output" />
          </ul>
        </div>
      ) : (
        <p className="studio-node__note">
          {missing ? `Data asset ${data.asset} is not registered` : 'Loading…'}
        </p>
      )}
      {problems ? <NodeProblems problems={problems} /> : null}
    </div>
  );
}

export const DataNodeView = memo(DataNodeCard);
