/**
 * What the endpoint page is given by the server (island props, `endpoints/pages/detail.py`) and what
 * the REST API answers (`endpoints/api/serializers.py`).
 */

/** One parameter of an endpoint version (`endpoints/parameters.py`). */
export interface EndpointParameter {
  name: string;
  kind: 'value' | 'data';
  type: string;
  description?: string;
  default?: unknown;
  default_binding?: { asset?: string; url?: string; path?: string } | null;
  optional?: boolean;
  required?: boolean;
  enum?: unknown[] | null;
  min?: number | null;
  max?: number | null;
}

/** For each data type: asset names and their versions, newest first. */
export type DataChoices = Record<string, Record<string, string[]>>;

export interface ChosenVersion {
  number: number;
  parameters: EndpointParameter[];
  experimentName: string;
  dataChoices: DataChoices;
}

/** One recorded invocation, as `GET /api/v1/endpoints/<name>/invocations/` lists it. */
export interface RunRow {
  id: number;
  created_at: string;
  status_code: number;
  version: number | null;
  key: { id: number; name: string; prefix: string } | null;
  user: string | null;
  parameters: unknown;
  problems: { field?: string; message: string }[];
  job: { id: string; status: string; url: string } | null;
}

export interface EndpointDetailProps {
  endpoint: string;
  active: boolean;
  defaultVersion: number;
  versions: number[];
  chosen: ChosenVersion | null;
  invokeUrl: string;
  openapiUrl: string;
  runsUrl: string;
  runs: RunRow[];
  /** The secret of the key created by the request that drew this page (shown once), for the snippets. */
  apiKey?: string | null;
}

/** The answer to a run created through `POST …/runs`. */
export interface CreatedRun {
  Id: string;
  Status: string;
  Url: string;
  StatusUrl: string;
}

/** A frame of `/ws/notifications/` (`runner/consumers.py`, `endpoints/notifications.py`). */
export interface NotificationFrame {
  type: 'hello' | 'notification' | string;
  kind?: string;
  endpoint?: string;
  invocation?: number;
  job?: string | null;
  status?: string;
}
