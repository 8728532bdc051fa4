import { uniqueNodeId } from '../../../lib/node-ids';
import type { ComponentDefinition } from '../../catalog-store';
import type { ComponentNode, ComponentNodeData } from './types';

/** Step settings of a freshly placed component: every parameter at its default. */
export function defaultComponentData(definition: ComponentDefinition): ComponentNodeData {
  return {
    component: definition.ref,
    display_name: definition.displayName,
    inputs: {},
    pipeline_inputs: {},
    compute: null,
    limits: { timeout: null },
    retry_settings: { max_retries: 0, retry_on_failure: false },
    force_rerun: false,
  };
}

export function createComponentNode(
  definition: ComponentDefinition,
  position: { x: number; y: number },
  takenIds: ReadonlySet<string>,
): ComponentNode {
  return {
    id: uniqueNodeId(definition.name, takenIds),
    type: 'component',
    position,
    data: defaultComponentData(definition),
  };
}
