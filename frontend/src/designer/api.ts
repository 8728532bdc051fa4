/**
 * The designer's calls to the Studio REST API: drafts, and the component, data and compute
 * catalogues it offers in the palette and the properties panel.
 */
import type { ColumnRules } from '../lib/columns';
import { apiFetch } from '../lib/csrf';
import type { CanvasViewport, ParameterValue } from '../lib/draft-graph';
import type { InputPortSpec, OutputPortSpec } from '../lib/parameters';

export interface DraftRecord {
  id: number;
  name: string;
  description: string;
  revision: number;
  graph: unknown;
  last_job_name: string | null;
  created_by?: string | null;
  can_change?: boolean;
}

/** One problem found by the server's validation; `node` and `port` are null when pipeline-wide. */
export interface ValidationProblem {
  node: string | null;
  port: string | null;
  field: string | null;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  problems: ValidationProblem[];
}

export interface SubmittedJob {
  id: number | string;
  status: string;
  url: string;
}

export interface ComponentRecord {
  name: string;
  version: string;
  display_name: string;
  description: string;
  tags: Record<string, unknown>;
  spec: {
    /** "pipeline" for a pipeline component; "command" (or absent) for a command component. */
    type?: string;
    inputs?: Record<string, InputPortSpec>;
    outputs?: Record<string, OutputPortSpec>;
  };
  archived: boolean;
}

export interface DataAssetRecord {
  name: string;
  version: string;
  data_type: string;
  description: string;
  archived: boolean;
}

export interface ComputeRecord {
  name: string;
  state: string;
  kind?: string;
}

interface Page<T> {
  results: T[];
  next: string | null;
}

/** Every item of a (possibly paginated) list, following `next` links. */
async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let url: string | null = path;
  while (url) {
    const page: Page<T> | T[] = await apiFetch<Page<T> | T[]>(url);
    if (Array.isArray(page)) return [...items, ...page];
    items.push(...page.results);
    url = page.next;
  }
  return items;
}

const draftPath = (id: number) => `/api/v1/drafts/${id}/`;

export function loadDraft(id: number): Promise<DraftRecord> {
  return apiFetch<DraftRecord>(draftPath(id));
}

/**
 * Saves the graph (a DraftGraph as JSON text) over `revision`; a 409 ApiError means someone
 * saved a newer revision.
 */
export function saveDraftGraph(
  id: number,
  graphJson: string,
  revision: number,
): Promise<DraftRecord> {
  return apiFetch<DraftRecord>(draftPath(id), {
    method: 'PATCH',
    body: `{"graph":${graphJson},"revision":${JSON.stringify(revision)}}`,
  });
}

/**
 * Saves where the canvas looks. Not an edit: it needs no revision and moves none, so it never
 * conflicts and never makes another tab's save conflict.
 */
export function saveDraftViewport(id: number, viewport: CanvasViewport): Promise<CanvasViewport> {
  return apiFetch<CanvasViewport>(`${draftPath(id)}viewport/`, {
    method: 'PUT',
    body: JSON.stringify(viewport),
  });
}

export function validateDraft(id: number): Promise<ValidationResult> {
  return apiFetch<ValidationResult>(`${draftPath(id)}validate/`, { method: 'POST', body: '{}' });
}

export function submitDraft(
  id: number,
  body: { experiment_name: string; parameters: Record<string, ParameterValue> },
): Promise<SubmittedJob> {
  return apiFetch<SubmittedJob>(`${draftPath(id)}submit/`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
}

/** The draft as pipeline YAML. */
export async function exportDraft(id: number): Promise<string> {
  const body = await apiFetch<unknown>(`${draftPath(id)}export/`, {
    headers: { Accept: 'application/yaml, text/yaml, text/plain, */*' },
  });
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
}

export function listComponents(): Promise<ComponentRecord[]> {
  return listAll<ComponentRecord>('/api/v1/components/?page_size=500');
}

export function listComponentVersions(name: string): Promise<ComponentRecord[]> {
  return listAll<ComponentRecord>(
    `/api/v1/components/${encodeURIComponent(name)}/versions/?page_size=500`,
  );
}

export function getComponent(name: string, version: string): Promise<ComponentRecord> {
  return apiFetch<ComponentRecord>(
    `/api/v1/components/${encodeURIComponent(name)}/${encodeURIComponent(version)}/`,
  );
}

export function listDataAssets(): Promise<DataAssetRecord[]> {
  return listAll<DataAssetRecord>('/api/v1/data/?page_size=500');
}

export function getDataAsset(name: string, version: string): Promise<DataAssetRecord> {
  return apiFetch<DataAssetRecord>(
    `/api/v1/data/${encodeURIComponent(name)}/${encodeURIComponent(version)}/`,
  );
}

export function listComputes(): Promise<ComputeRecord[]> {
  return listAll<ComputeRecord>('/api/v1/computes/?page_size=500');
}

/** A node of a pipeline component's inner graph: a step, data, or one of its inputs and outputs. */
export interface ComponentGraphNode {
  id: string;
  type: 'component' | 'data' | 'input' | 'output' | 'comment';
  position: { x: number; y: number };
  data: Record<string, unknown>;
}

export interface ComponentGraphRecord {
  component: { name: string; version: string; display_name: string; description: string };
  nodes: ComponentGraphNode[];
  edges: {
    id: string;
    source: string;
    sourceHandle: string;
    target: string;
    targetHandle: string;
  }[];
}

/** The inner graph of a pipeline component, to look at (nothing of the draft changes). */
export function getComponentGraph(name: string, version: string): Promise<ComponentGraphRecord> {
  return apiFetch<ComponentGraphRecord>(
    `/api/v1/components/${encodeURIComponent(name)}/${encodeURIComponent(version)}/graph/`,
  );
}

/** A data asset's columns, or null with the reason when it has none Studio can read. */
export interface DataColumnsRecord {
  columns: { name: string; type: string }[] | null;
  source?: string;
  reason?: string;
}

export function getDataColumns(name: string, version: string): Promise<DataColumnsRecord> {
  return apiFetch<DataColumnsRecord>(
    `/api/v1/data/${encodeURIComponent(name)}/${encodeURIComponent(version)}/columns/`,
  );
}

/** Which parameters of a component name columns, and how its outputs' columns follow. */
export function getComponentColumns(name: string, version: string): Promise<ColumnRules> {
  return apiFetch<ColumnRules>(
    `/api/v1/components/${encodeURIComponent(name)}/${encodeURIComponent(version)}/columns/`,
  );
}
