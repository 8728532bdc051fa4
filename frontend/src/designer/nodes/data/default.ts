import { uniqueNodeId } from '../../../lib/node-ids';
import type { DataAssetDefinition } from '../../catalog-store';
import type { DataNode } from './types';

export function createDataNode(
  asset: DataAssetDefinition,
  position: { x: number; y: number },
  takenIds: ReadonlySet<string>,
): DataNode {
  return {
    id: uniqueNodeId(asset.name, takenIds),
    type: 'data',
    position,
    data: { asset: asset.ref },
  };
}
