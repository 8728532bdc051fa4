/**
 * Registering an asset through the same REST route the CLI uses (`POST /api/v1/<kind>/`,
 * multipart: `file` is the definition, the other parts the files it points at), with upload
 * progress (fetch cannot report it; XMLHttpRequest can).
 */
import { ApiError, csrfToken } from '../lib/csrf';

export type AssetKind = 'data' | 'environments' | 'components';

/** One problem of a refused definition, as the API lists them (and the CLI prints them). */
export interface Problem {
  file?: string | null;
  field: string;
  line?: number | null;
  message: string;
}

export interface Registered {
  name: string;
  version: string;
  warnings?: Problem[];
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** `file:line: field: message`, the way `studio ... create` prints a problem. */
export function describeProblem(problem: Problem): string {
  const where = problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ''}: ` : '';
  return `${where}${problem.field ? `${problem.field}: ` : ''}${problem.message}`;
}

/** The problems of an API error: its `problems`, else one per message of `errors`, else `detail`. */
export function problemsOf(error: unknown): Problem[] {
  if (error instanceof ApiError) {
    const body = error.body as { problems?: Problem[] } | null;
    if (body && Array.isArray(body.problems) && body.problems.length > 0) return body.problems;
    const listed = Object.entries(error.errors).flatMap(([field, messages]) =>
      messages.map((message) => ({ field: field === 'non_field_errors' ? '' : field, message })),
    );
    if (listed.length > 0) return listed;
    return [{ field: '', message: error.detail ?? error.message }];
  }
  return [{ field: '', message: error instanceof Error ? error.message : String(error) }];
}

/** POST the multipart form to `/api/v1/<kind>/`, reporting upload progress; ApiError when refused. */
export function register(
  kind: AssetKind,
  form: FormData,
  onProgress: (progress: UploadProgress) => void = () => {},
): Promise<Registered> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/${kind}/`);
    request.setRequestHeader('Accept', 'application/json');
    const token = csrfToken();
    if (token) request.setRequestHeader('X-CSRFToken', token);
    request.withCredentials = true;
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total });
    };
    request.onerror = () => reject(new Error('the server did not answer; check the connection'));
    request.onload = () => {
      let body: unknown = request.responseText;
      try {
        body = JSON.parse(request.responseText) as unknown;
      } catch {
        // not JSON (a proxy's error page): kept as text
      }
      if (request.status >= 200 && request.status < 300) resolve(body as Registered);
      else reject(new ApiError(request.status, body, request.statusText));
    };
    request.send(form);
  });
}

/** The definition as the multipart part `file` (JSON is YAML, so the server reads it as it reads a file). */
export function definitionPart(definition: Record<string, unknown>, filename: string): File {
  return new File([JSON.stringify(definition, null, 2)], filename, { type: 'application/yaml' });
}
