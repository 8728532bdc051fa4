/**
 * Port types of the nodes on the canvas, and the connection check against the live stores.
 */
import {
  checkConnection,
  connectableSources,
  type ConnectionContext,
  type ConnectionVerdict,
  type SourcePort,
  type Wire,
} from '../lib/connection-rules';
import { DATA_OUTPUT, type DesignerNode } from '../lib/draft-graph';
import { useCatalogStore } from './catalog-store';
import { useDesignerStore } from './store';

type Catalog = ReturnType<typeof useCatalogStore.getState>;

export interface NodePorts {
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

const NO_PORTS: NodePorts = { inputs: {}, outputs: {} };

/** Input and output port types of a node, as far as the catalogue knows them. */
export function nodePorts(node: DesignerNode | undefined, catalog: Catalog): NodePorts {
  if (!node) return NO_PORTS;
  if (node.type === 'component') {
    const definition = catalog.components[node.data.component];
    if (!definition) return NO_PORTS;
    return {
      inputs: Object.fromEntries(Object.entries(definition.inputs).map(([k, v]) => [k, v.type])),
      outputs: Object.fromEntries(Object.entries(definition.outputs).map(([k, v]) => [k, v.type])),
    };
  }
  if (node.type === 'data') {
    const asset = catalog.dataAssets[node.data.asset];
    return { inputs: {}, outputs: asset ? { [DATA_OUTPUT]: asset.dataType } : {} };
  }
  return NO_PORTS;
}

function liveContext(): ConnectionContext & {
  outputsOf: (node: string) => Record<string, string>;
} {
  const { nodes, edges } = useDesignerStore.getState();
  const catalog = useCatalogStore.getState();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    nodeIds: nodes.map((n) => n.id),
    edges,
    outputType: (node, port) => nodePorts(byId.get(node), catalog).outputs[port],
    inputType: (node, port) => nodePorts(byId.get(node), catalog).inputs[port],
    outputsOf: (node) => nodePorts(byId.get(node), catalog).outputs,
    isData: (id) => byId.get(id)?.type === 'data',
    nodeLabel: (id) => {
      const node = byId.get(id);
      return node?.type === 'component' ? node.data.display_name || id : id;
    },
  };
}

/** Whether the designer accepts this wire now, and why not. */
export function checkWire(wire: Wire): ConnectionVerdict {
  return checkConnection(wire, liveContext());
}

/** The outputs on the canvas that could feed one input (replacing its current wire). */
export function sourcesFor(target: string, port: string): SourcePort[] {
  const context = liveContext();
  return connectableSources(target, port, context, context.outputsOf);
}
