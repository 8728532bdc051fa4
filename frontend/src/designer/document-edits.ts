/**
 * Edits of the designer's document that touch several of its parts at once (nodes, edges,
 * pipeline inputs and outputs). Pure: each returns the changed parts for the store to commit.
 */
import type {
  ComponentNodeData,
  DesignerNode,
  FlowDocument,
  PipelineInput,
} from '../lib/draft-graph';
import type { ComponentDefinition } from './catalog-store';

export function mapNode(
  nodes: DesignerNode[],
  id: string,
  update: (node: DesignerNode) => DesignerNode,
): DesignerNode[] {
  return nodes.map((n) => (n.id === id ? update(n) : n));
}

/** Removes nodes, the edges touching them and the pipeline outputs they fed. */
export function removeNodes(doc: FlowDocument, ids: ReadonlySet<string>): Partial<FlowDocument> {
  return {
    nodes: doc.nodes.filter((n) => !ids.has(n.id)),
    edges: doc.edges.filter((e) => !ids.has(e.source) && !ids.has(e.target)),
    outputs: Object.fromEntries(Object.entries(doc.outputs).filter(([, o]) => !ids.has(o.node))),
  };
}

/**
 * A document brought back from the history, with the selection and measured sizes of what is on
 * the canvas now: undo restores edits, not what was selected at the time.
 */
export function keepViewState(now: FlowDocument, doc: FlowDocument): FlowDocument {
  const current = new Map(now.nodes.map((n) => [n.id, n]));
  const nodes = doc.nodes.map((n) => {
    const live = current.get(n.id);
    const selected = live?.selected ?? false;
    const measured = live?.measured ?? n.measured;
    const sameSize =
      measured?.width === n.measured?.width && measured?.height === n.measured?.height;
    if ((n.selected ?? false) === selected && sameSize) return n;
    return { ...n, selected, measured } as DesignerNode;
  });
  const selectedEdges = new Set(now.edges.filter((e) => e.selected).map((e) => e.id));
  const edges = doc.edges.map((e) =>
    (e.selected ?? false) === selectedEdges.has(e.id)
      ? e
      : { ...e, selected: selectedEdges.has(e.id) },
  );
  return { ...doc, nodes, edges };
}

/** Binds a step's parameter to a new pipeline input `name`, dropping the step's own value. */
export function promoteInput(
  doc: FlowDocument,
  id: string,
  port: string,
  name: string,
  input: PipelineInput,
): Partial<FlowDocument> {
  const nodes = mapNode(doc.nodes, id, (n) => {
    if (n.type !== 'component') return n;
    const inputs: ComponentNodeData['inputs'] = { ...n.data.inputs };
    delete inputs[port];
    return {
      ...n,
      data: { ...n.data, inputs, pipeline_inputs: { ...n.data.pipeline_inputs, [port]: name } },
    };
  });
  return { nodes, inputs: { ...doc.inputs, [name]: input } };
}

/** Unbinds a step's parameter from its pipeline input; the step keeps the input's value. */
export function unbindInput(doc: FlowDocument, id: string, port: string): Partial<FlowDocument> {
  const nodes = mapNode(doc.nodes, id, (n) => {
    if (n.type !== 'component') return n;
    const bound = { ...n.data.pipeline_inputs };
    const name = bound[port];
    delete bound[port];
    const value = name !== undefined ? doc.inputs[name]?.value : undefined;
    const inputs = { ...n.data.inputs };
    if (value !== undefined && value !== null) inputs[port] = value;
    return { ...n, data: { ...n.data, inputs, pipeline_inputs: bound } };
  });
  return { nodes };
}

/** Removes a pipeline input; steps bound to it get its value as their own, so nothing silently changes. */
export function withoutPipelineInput(doc: FlowDocument, name: string): Partial<FlowDocument> {
  const inputs = { ...doc.inputs };
  const removed = inputs[name];
  delete inputs[name];
  const nodes = doc.nodes.map((n) => {
    if (n.type !== 'component') return n;
    const ports = Object.entries(n.data.pipeline_inputs).filter(([, v]) => v === name);
    if (ports.length === 0) return n;
    const bound = { ...n.data.pipeline_inputs };
    const own = { ...n.data.inputs };
    for (const [port] of ports) {
      delete bound[port];
      if (removed && removed.value !== null) own[port] = removed.value;
    }
    return { ...n, data: { ...n.data, inputs: own, pipeline_inputs: bound } };
  });
  return { inputs, nodes };
}

/**
 * Renames a pipeline input, keeping its place among the others, and every step's reference to it.
 * The caller checks the new name (see `parameterNameProblem`).
 */
export function renamePipelineInput(
  doc: FlowDocument,
  from: string,
  to: string,
): Partial<FlowDocument> {
  const inputs = Object.fromEntries(
    Object.entries(doc.inputs).map(([name, input]) => [name === from ? to : name, input]),
  );
  const nodes = doc.nodes.map((n) => {
    if (n.type !== 'component') return n;
    const bound = Object.entries(n.data.pipeline_inputs);
    if (!bound.some(([, name]) => name === from)) return n;
    const pipeline_inputs = Object.fromEntries(
      bound.map(([port, name]) => [port, name === from ? to : name]),
    );
    return { ...n, data: { ...n.data, pipeline_inputs } };
  });
  return { inputs, nodes };
}

/** Switches a step to another component version, dropping values and wires of ports it lacks. */
export function withComponentVersion(
  doc: FlowDocument,
  id: string,
  definition: ComponentDefinition,
): Partial<FlowDocument> {
  const keepInput = (port: string) => Object.hasOwn(definition.inputs, port);
  const keepOutput = (port: string) => Object.hasOwn(definition.outputs, port);
  const pick = <T>(values: Record<string, T>) =>
    Object.fromEntries(Object.entries(values).filter(([port]) => keepInput(port)));
  const nodes = mapNode(doc.nodes, id, (n) =>
    n.type !== 'component'
      ? n
      : {
          ...n,
          data: {
            ...n.data,
            component: definition.ref,
            inputs: pick(n.data.inputs),
            pipeline_inputs: pick(n.data.pipeline_inputs),
          },
        },
  );
  const edges = doc.edges.filter(
    (e) =>
      (e.target !== id || keepInput(e.targetHandle ?? '')) &&
      (e.source !== id || keepOutput(e.sourceHandle ?? '')),
  );
  const outputs = Object.fromEntries(
    Object.entries(doc.outputs).filter(([, o]) => o.node !== id || keepOutput(o.port)),
  );
  return { nodes, edges, outputs };
}
