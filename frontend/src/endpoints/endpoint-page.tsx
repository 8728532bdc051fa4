import { useMemo, useState } from 'react';
import { CodeSnippets } from './code-snippets';
import { initialValues, readBody, type FieldValue, type FormValues } from './form-values';
import { RecentRuns } from './recent-runs';
import { snippetBody, snippets } from './snippets';
import { TryIt } from './try-it';
import type { EndpointDetailProps } from './types';
import { useLiveRuns } from './use-live-runs';
import { useRunsToday } from './use-runs-today';

/** The live part of an endpoint's page: "Try it", the recent runs and the code snippets. */
export function EndpointPage(props: EndpointDetailProps) {
  const { chosen, invokeUrl } = props;
  const parameters = useMemo(() => chosen?.parameters ?? [], [chosen]);
  const [values, setValues] = useState<FormValues>(() => initialValues(parameters));
  const [experiment, setExperiment] = useState('');
  const live = useLiveRuns(props.endpoint, props.runsUrl, props.runs);

  const code = useMemo(() => {
    const { body } = readBody(parameters, values, experiment);
    return snippets(invokeUrl, snippetBody(parameters, body), props.apiKey || undefined);
  }, [parameters, values, experiment, invokeUrl, props.apiKey]);
  useRunsToday(props.endpoint, live.updatedAt);

  const onValue = (name: string, patch: Partial<FieldValue>) =>
    setValues((current) => ({ ...current, [name]: { ...current[name]!, ...patch } }));

  return (
    <>
      {chosen ? (
        <TryIt
          active={props.active}
          defaultVersion={props.defaultVersion}
          versions={props.versions}
          chosen={chosen}
          invokeUrl={invokeUrl}
          values={values}
          onValue={onValue}
          experiment={experiment}
          onExperiment={setExperiment}
          onRun={live.refresh}
        />
      ) : (
        <section className="panel" aria-labelledby="try-title" id="try-it">
          <header className="panel-head">
            <h2 id="try-title">Try it</h2>
          </header>
          <p className="muted">This endpoint has no versions.</p>
        </section>
      )}
      <RecentRuns
        rows={live.rows}
        connection={live.connection}
        failed={live.failed}
        updatedAt={live.updatedAt}
      />
      {chosen ? <CodeSnippets snippets={code} openapiUrl={props.openapiUrl} /> : null}
    </>
  );
}
