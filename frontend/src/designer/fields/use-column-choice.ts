import { useEffect, useMemo } from 'react';
import { columnChoice, type ColumnChoice, type ColumnGraph } from '../../lib/columns';
import { useCatalogStore } from '../catalog-store';
import { useColumnStore } from '../column-store';
import { useDesignerStore } from '../store';

/** A component step's input port whose parameter may name columns. */
export interface ColumnTarget {
  node: string;
  port: string;
}

/**
 * The columns a step's column parameter may name, propagated from the data on the canvas
 * through the steps' column declarations (fetched as they are needed); null when the parameter
 * names no columns or no target is given.
 */
export function useColumnChoice(target: ColumnTarget | undefined): ColumnChoice | null {
  const nodes = useDesignerStore((s) => s.nodes);
  const edges = useDesignerStore((s) => s.edges);
  const inputs = useDesignerStore((s) => s.inputs);
  const components = useCatalogStore((s) => s.components);
  const rules = useColumnStore((s) => s.rules);
  const dataColumns = useColumnStore((s) => s.dataColumns);
  const ensureRules = useColumnStore((s) => s.ensureRules);
  const ensureDataColumns = useColumnStore((s) => s.ensureDataColumns);

  const [choice, wanted] = useMemo(() => {
    const wantedRules = new Set<string>();
    const wantedData = new Set<string>();
    if (!target) return [null, { rules: wantedRules, data: wantedData }] as const;
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const graph: ColumnGraph = {
      node: (id) => {
        const node = byId.get(id);
        if (node?.type === 'data') return { kind: 'data', ref: node.data.asset };
        if (node?.type !== 'component') return undefined;
        const { data } = node;
        return {
          kind: 'component',
          ref: data.component,
          parameter: (port) => {
            if (data.inputs[port] !== undefined) return data.inputs[port];
            const bound = data.pipeline_inputs[port];
            if (bound !== undefined) return inputs[bound]?.value ?? null;
            return components[data.component]?.inputs[port]?.default ?? null;
          },
        };
      },
      incoming: (node, port) => {
        const edge = edges.find((e) => e.target === node && (e.targetHandle ?? '') === port);
        return edge ? { node: edge.source, port: edge.sourceHandle ?? '' } : undefined;
      },
      rules: (ref) => {
        if (!(ref in rules)) wantedRules.add(ref);
        return rules[ref];
      },
      dataColumns: (ref) => {
        if (!(ref in dataColumns)) wantedData.add(ref);
        return dataColumns[ref];
      },
    };
    return [
      columnChoice(graph, target.node, target.port),
      { rules: wantedRules, data: wantedData },
    ] as const;
  }, [target?.node, target?.port, nodes, edges, inputs, components, rules, dataColumns]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    wanted.rules.forEach(ensureRules);
    wanted.data.forEach(ensureDataColumns);
  }, [wanted, ensureRules, ensureDataColumns]);
  return choice;
}
