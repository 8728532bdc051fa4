/**
 * The draft graph as the API stores it, and its conversion to and from React Flow nodes and
 * edges. Pure: no React, no DOM.
 */
import type { Edge, Node } from '@xyflow/react';

/** A literal parameter value as stored in the graph. */
export type ParameterValue = string | number | boolean | null;

export type ComponentNodeData = {
  /** "NAME:VERSION" of the component. */
  component: string;
  display_name: string;
  /** Parameter values set on this step; a port left out takes the component's default. */
  inputs: Record<string, ParameterValue>;
  /** Input port -> the pipeline input (graph.inputs) that feeds it. */
  pipeline_inputs: Record<string, string>;
  compute: string | null;
  /** Run settings under Azure ML's names, as in pipeline YAML and job specs. */
  limits: { timeout: number | null };
  retry_settings: { max_retries: number; retry_on_failure: boolean };
  force_rerun: boolean;
};

export type DataNodeData = {
  /** "NAME:VERSION" of the data asset. */
  asset: string;
};

export type CommentNodeData = {
  text: string;
};

export type ComponentNode = Node<ComponentNodeData, 'component'>;
export type DataNode = Node<DataNodeData, 'data'>;
export type CommentNode = Node<CommentNodeData, 'comment'>;
export type DesignerNode = ComponentNode | DataNode | CommentNode;
export type DesignerEdge = Edge;

/** The one output port of a data node. */
export const DATA_OUTPUT = 'data';

export interface PipelineSettings {
  default_compute: string | null;
  continue_on_step_failure: boolean;
  force_rerun: boolean;
  experiment_name: string;
}

export interface PipelineInput {
  type: string;
  value: ParameterValue;
  /** What it means, for whoever runs or invokes the pipeline; kept only when not empty. */
  description?: string;
}

export interface PipelineOutput {
  node: string;
  port: string;
}

interface GraphNodeBase<T extends string, D> {
  id: string;
  type: T;
  position: { x: number; y: number };
  data: D;
}

export type GraphNode =
  | GraphNodeBase<'component', ComponentNodeData>
  | GraphNodeBase<'data', DataNodeData>
  | GraphNodeBase<'comment', CommentNodeData>;

export interface GraphEdgeJson {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/** Where the canvas looks: its pan in screen pixels and its zoom, as React Flow has them. */
export interface CanvasViewport {
  x: number;
  y: number;
  zoom: number;
}

/** The largest zoom a saved viewport may have (the server refuses larger ones, and 0 or less). */
export const MAX_VIEWPORT_ZOOM = 10;

/** The JSON document saved with PATCH /api/v1/drafts/<id>/. */
export interface DraftGraph {
  nodes: GraphNode[];
  edges: GraphEdgeJson[];
  settings: PipelineSettings;
  inputs: Record<string, PipelineInput>;
  outputs: Record<string, PipelineOutput>;
  /** Where the canvas was left; without it the draft opens with every node in view. */
  viewport?: CanvasViewport;
}

/** Everything the canvas edits: the React Flow elements plus the pipeline-wide parts. */
export interface FlowDocument {
  nodes: DesignerNode[];
  edges: DesignerEdge[];
  settings: PipelineSettings;
  inputs: Record<string, PipelineInput>;
  outputs: Record<string, PipelineOutput>;
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  default_compute: null,
  continue_on_step_failure: false,
  force_rerun: false,
  experiment_name: '',
};

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : fallback;
const bool = (value: unknown): boolean => value === true;
const int = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : fallback;
const intOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;

function parameterValues(value: unknown): Record<string, ParameterValue> {
  const result: Record<string, ParameterValue> = {};
  if (!isObject(value)) return result;
  for (const [key, v] of Object.entries(value)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) {
      result[key] = v as ParameterValue;
    }
  }
  return result;
}

function stringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!isObject(value)) return result;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') result[key] = v;
  return result;
}

/** Component node data with every field present, from whatever the API or a paste gave. */
export function normalizeComponentData(data: unknown): ComponentNodeData {
  const d = isObject(data) ? data : {};
  const retry = isObject(d.retry_settings) ? d.retry_settings : d;
  return {
    component: str(d.component),
    display_name: str(d.display_name),
    inputs: parameterValues(d.inputs),
    pipeline_inputs: stringMap(d.pipeline_inputs),
    compute: typeof d.compute === 'string' && d.compute ? d.compute : null,
    // Drafts from before the run settings took Azure ML's names spell them flat.
    limits: { timeout: intOrNull(isObject(d.limits) ? d.limits.timeout : d.timeout_seconds) },
    retry_settings: {
      max_retries: Math.max(0, int(retry.max_retries, 0)),
      retry_on_failure: bool(retry.retry_on_failure),
    },
    force_rerun: bool(d.force_rerun),
  };
}

function normalizeNode(raw: unknown): GraphNode | null {
  if (!isObject(raw) || typeof raw.id !== 'string' || !raw.id) return null;
  const position = isObject(raw.position) ? raw.position : {};
  const base = {
    id: raw.id,
    position: {
      x: typeof position.x === 'number' ? position.x : 0,
      y: typeof position.y === 'number' ? position.y : 0,
    },
  };
  const data = isObject(raw.data) ? raw.data : {};
  switch (raw.type) {
    case 'component':
      return { ...base, type: 'component', data: normalizeComponentData(data) };
    case 'data':
      return { ...base, type: 'data', data: { asset: str(data.asset) } };
    case 'comment':
      return { ...base, type: 'comment', data: { text: str(data.text) } };
    default:
      return null;
  }
}

/** A viewport with finite numbers and a zoom the server accepts, or null. */
export function normalizeViewport(raw: unknown): CanvasViewport | null {
  if (!isObject(raw)) return null;
  const { x, y, zoom } = raw;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!finite(x) || !finite(y) || !finite(zoom)) return null;
  if (zoom <= 0 || zoom > MAX_VIEWPORT_ZOOM) return null;
  return { x, y, zoom };
}

/** The viewport to save: pans to a tenth of a pixel, zooms to four decimals. */
export function roundViewport(viewport: CanvasViewport): CanvasViewport {
  const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;
  return { x: round(viewport.x, 1), y: round(viewport.y, 1), zoom: round(viewport.zoom, 4) };
}

/** Whether two viewports show the same thing, to within rounding. */
export function sameViewport(a: CanvasViewport | null, b: CanvasViewport | null): boolean {
  if (a === null || b === null) return a === b;
  const ra = roundViewport(a);
  const rb = roundViewport(b);
  return ra.x === rb.x && ra.y === rb.y && ra.zoom === rb.zoom;
}

/**
 * A complete DraftGraph from any JSON value: missing parts get defaults, unknown node kinds and
 * edges whose ends are missing are dropped. A new draft's graph may be `{}`.
 */
export function normalizeGraph(raw: unknown): DraftGraph {
  const g = isObject(raw) ? raw : {};
  const nodes = (Array.isArray(g.nodes) ? g.nodes : [])
    .map(normalizeNode)
    .filter((n): n is GraphNode => n !== null);
  const ids = new Set(nodes.map((n) => n.id));
  const edges: GraphEdgeJson[] = [];
  for (const e of Array.isArray(g.edges) ? g.edges : []) {
    if (!isObject(e)) continue;
    const source = str(e.source);
    const target = str(e.target);
    if (!ids.has(source) || !ids.has(target)) continue;
    const sourceHandle = str(e.sourceHandle);
    const targetHandle = str(e.targetHandle);
    edges.push({
      id: str(e.id) || edgeId(source, sourceHandle, target, targetHandle),
      source,
      sourceHandle,
      target,
      targetHandle,
    });
  }
  const s = isObject(g.settings) ? g.settings : {};
  const inputs: Record<string, PipelineInput> = {};
  if (isObject(g.inputs)) {
    for (const [name, v] of Object.entries(g.inputs)) {
      if (!isObject(v)) continue;
      const value = parameterValues({ value: v.value }).value;
      const description = str(v.description).trim();
      inputs[name] = { type: str(v.type, 'string'), value: value ?? null };
      if (description) inputs[name].description = description;
    }
  }
  const outputs: Record<string, PipelineOutput> = {};
  if (isObject(g.outputs)) {
    for (const [name, v] of Object.entries(g.outputs)) {
      if (isObject(v) && typeof v.node === 'string' && typeof v.port === 'string') {
        outputs[name] = { node: v.node, port: v.port };
      }
    }
  }
  const viewport = normalizeViewport(g.viewport);
  return {
    nodes,
    edges,
    settings: {
      default_compute:
        typeof s.default_compute === 'string' && s.default_compute ? s.default_compute : null,
      continue_on_step_failure: bool(s.continue_on_step_failure),
      force_rerun: bool(s.force_rerun),
      experiment_name: str(s.experiment_name),
    },
    inputs,
    outputs,
    ...(viewport ? { viewport } : {}),
  };
}

/** The id of the edge from one port to another: stable, so the same wire keeps its id. */
export function edgeId(
  source: string,
  sourceHandle: string,
  target: string,
  targetHandle: string,
): string {
  return `${source}.${sourceHandle}->${target}.${targetHandle}`;
}

/** React Flow elements and pipeline parts from a saved graph. */
export function graphToFlow(raw: unknown): FlowDocument {
  const graph = normalizeGraph(raw);
  return {
    nodes: graph.nodes.map((n) => ({ ...n, data: { ...n.data } }) as DesignerNode),
    edges: graph.edges.map((e) => ({ ...e })),
    settings: graph.settings,
    inputs: graph.inputs,
    outputs: graph.outputs,
  };
}

function nodeToGraph(node: DesignerNode): GraphNode {
  const position = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
  switch (node.type) {
    case 'component':
      return {
        id: node.id,
        type: 'component',
        position,
        data: normalizeComponentData(node.data),
      };
    case 'data':
      return { id: node.id, type: 'data', position, data: { asset: node.data.asset } };
    case 'comment':
      return { id: node.id, type: 'comment', position, data: { text: node.data.text } };
  }
}

/** The saved viewport of a graph, or null to fit the nodes in view. */
export function viewportOf(raw: unknown): CanvasViewport | null {
  return isObject(raw) ? normalizeViewport(raw.viewport) : null;
}

/**
 * The graph to save: only the contract's fields (no selection, sizes or drag state), positions
 * rounded to whole pixels, and the canvas's viewport when there is one.
 */
export function flowToGraph(doc: FlowDocument, viewport: CanvasViewport | null = null): DraftGraph {
  const graph: DraftGraph = {
    nodes: doc.nodes.map(nodeToGraph),
    edges: doc.edges.map((e) => ({
      id: e.id,
      source: e.source,
      sourceHandle: e.sourceHandle ?? '',
      target: e.target,
      targetHandle: e.targetHandle ?? '',
    })),
    settings: { ...doc.settings },
    inputs: Object.fromEntries(
      Object.entries(doc.inputs).map(([k, v]) => [
        k,
        v.description?.trim()
          ? { type: v.type, value: v.value, description: v.description.trim() }
          : { type: v.type, value: v.value },
      ]),
    ),
    outputs: Object.fromEntries(
      Object.entries(doc.outputs).map(([k, v]) => [k, { node: v.node, port: v.port }]),
    ),
  };
  if (viewport) graph.viewport = roundViewport(viewport);
  return graph;
}

/** Splits "NAME:VERSION" (the version may itself hold no colon). */
export function splitReference(reference: string): { name: string; version: string } {
  const i = reference.lastIndexOf(':');
  if (i === -1) return { name: reference, version: '' };
  return { name: reference.slice(0, i), version: reference.slice(i + 1) };
}
