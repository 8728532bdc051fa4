/** The "New data asset / environment / component" pages' island. */
import { ComponentForm } from './component-form';
import { DataForm } from './data-form';
import { EnvironmentForm } from './environment-form';
import './assets.css';

export interface AssetCreateProps {
  kind: 'data' | 'environment' | 'component';
  /** Where the asset's pages live, e.g. "/data/" (the version page is `<base><name>/<version>/`). */
  detailBase: string;
}

export function AssetCreateIsland({ kind, detailBase }: AssetCreateProps) {
  if (kind === 'data') return <DataForm detailBase={detailBase} />;
  if (kind === 'environment') return <EnvironmentForm detailBase={detailBase} />;
  return <ComponentForm detailBase={detailBase} />;
}
