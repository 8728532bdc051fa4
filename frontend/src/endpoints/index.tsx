/**
 * The `endpoints` island: one endpoint's page (`/endpoints/<name>/`, props `view: "detail"`: "Try
 * it", the recent runs kept live over the notifications socket, the code snippets), or a copy button
 * (`view: "copy"`, e.g. beside a new key's secret). The page loads on demand, so the copy button
 * does not download it.
 */
import { lazy, Suspense } from 'react';
import { CopyButton } from './copy-button';
import type { EndpointDetailProps } from './types';

const EndpointPage = lazy(() =>
  import('./endpoint-page').then((m) => ({ default: m.EndpointPage })),
);

export type EndpointsIslandProps =
  ({ view: 'detail' } & EndpointDetailProps) | { view: 'copy'; target: string; label?: string };

export function EndpointsIsland(props: EndpointsIslandProps) {
  if (props.view === 'copy') return <CopyButton target={props.target} label={props.label} />;
  return (
    <Suspense
      fallback={
        <p className="muted" role="status">
          Loading…
        </p>
      }
    >
      <EndpointPage {...props} />
    </Suspense>
  );
}
