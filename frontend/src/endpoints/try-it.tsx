import { useState, type FormEvent } from 'react';
import { ApiError, apiFetch } from '../lib/csrf';
import {
  errorKey,
  placeErrors,
  readBody,
  widgetOf,
  type FieldValue,
  type FormValues,
  type PlacedErrors,
} from './form-values';
import type { ChosenVersion, CreatedRun, EndpointParameter } from './types';

const NO_ERRORS: PlacedErrors = { atField: {}, loose: [] };

interface TryItProps {
  active: boolean;
  defaultVersion: number;
  versions: number[];
  chosen: ChosenVersion;
  invokeUrl: string;
  values: FormValues;
  onValue: (name: string, patch: Partial<FieldValue>) => void;
  experiment: string;
  onExperiment: (value: string) => void;
  /** A run was created (the recent runs may fetch again before the socket says so). */
  onRun: () => void;
}

function fieldId(name: string): string {
  return `try-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The form that runs the chosen version as the signed-in user, through the REST API. */
export function TryIt(props: TryItProps) {
  const { active, defaultVersion, versions, chosen, invokeUrl, values, onValue } = props;
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<PlacedErrors>(NO_ERRORS);
  const [result, setResult] = useState<
    { kind: 'run'; run: CreatedRun } | { kind: 'text'; text: string } | null
  >(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setResult(null);
    const read = readBody(chosen.parameters, values, props.experiment);
    if (Object.keys(read.problems).length > 0) {
      setErrors({ atField: read.problems, loose: [] });
      return;
    }
    setBusy(true);
    setResult({ kind: 'text', text: 'Starting…' });
    try {
      const run = await apiFetch<CreatedRun>(invokeUrl, {
        method: 'POST',
        body: JSON.stringify(read.body),
      });
      setResult({ kind: 'run', run });
      props.onRun();
    } catch (error) {
      if (error instanceof ApiError) {
        const slots = [...chosen.parameters.map(errorKey), 'ExperimentName'];
        const placed = placeErrors(error.status === 400 ? error.errors : {}, slots);
        if (Object.keys(placed.atField).length === 0 && placed.loose.length === 0)
          placed.loose.push(error.detail ?? `The endpoint answered ${error.status}.`);
        setErrors(placed);
        setResult(
          error.status === 400
            ? { kind: 'text', text: 'Nothing ran: fix the marked fields.' }
            : null,
        );
      } else {
        setResult({
          kind: 'text',
          text: `The request failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="try-title" id="try-it">
      <header className="panel-head">
        <h2 id="try-title">Try it</h2>
        <span className="muted small">
          version {chosen.number}
          {chosen.number === defaultVersion ? ' (default)' : ''}
        </span>
      </header>
      {versions.length > 1 ? (
        <div className="toolbar try-version">
          <label htmlFor="try-version">Version</label>
          <select
            id="try-version"
            value={chosen.number}
            onChange={(event) => window.location.assign(`?version=${event.target.value}#try-it`)}
          >
            {versions.map((number) => (
              <option key={number} value={number}>
                v{number}
                {number === defaultVersion ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <p className="muted small">
        Runs this version as you (your session). Other systems call it with a key, as in the
        snippets below.
      </p>
      <form className="try-form" noValidate aria-label="Try it" onSubmit={(e) => void onSubmit(e)}>
        {chosen.parameters.length === 0 ? (
          <p className="muted">This version has no parameters: it always runs the same way.</p>
        ) : (
          chosen.parameters.map((parameter) => (
            <ParameterRow
              key={parameter.name}
              parameter={parameter}
              value={values[parameter.name]!}
              onValue={(patch) => onValue(parameter.name, patch)}
              choices={chosen.dataChoices[parameter.type] ?? {}}
              errors={errors.atField[errorKey(parameter)]}
            />
          ))
        )}
        <div className="try-field">
          <div className="try-label">
            <label htmlFor="try-experiment">Experiment</label>
            <span className="badge">optional</span>
          </div>
          <div className="try-input">
            <input
              type="text"
              id="try-experiment"
              placeholder={chosen.experimentName || 'Default'}
              value={props.experiment}
              onChange={(event) => props.onExperiment(event.target.value)}
            />
          </div>
          <p className="try-help muted small">
            Where the run is filed; leave empty for the pipeline&apos;s own experiment.
          </p>
          <FieldError errorFor="ExperimentName" messages={errors.atField.ExperimentName} />
        </div>
        {errors.loose.length > 0 ? (
          <div className="try-errors message message--error" data-try-errors role="alert">
            <p>
              <strong>The endpoint refused the run:</strong>
            </p>
            <ul>
              {errors.loose.map((text, index) => (
                <li key={index}>{text}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="try-actions">
          <button
            type="submit"
            className="button button--primary"
            data-try-run
            disabled={!active || busy}
            aria-describedby={active ? undefined : 'disabled-note'}
          >
            Run
          </button>
          {active ? null : (
            <span id="disabled-note" className="muted small">
              Enable the endpoint to run it.
            </span>
          )}
          <span className="try-result" data-try-result role="status">
            {result?.kind === 'text' ? result.text : null}
            {result?.kind === 'run' ? (
              <>
                Run{' '}
                <a href={result.run.Url} data-run-link={result.run.Id}>
                  {result.run.Id}
                </a>{' '}
                started ({result.run.Status}); follow it in the recent runs.
              </>
            ) : null}
          </span>
        </div>
      </form>
    </section>
  );
}

function FieldError({ errorFor, messages }: { errorFor: string; messages?: string[] }) {
  return (
    <p
      className="field-error"
      data-error-for={errorFor}
      hidden={!messages || messages.length === 0}
    >
      {messages?.join(' ')}
    </p>
  );
}

interface ParameterRowProps {
  parameter: EndpointParameter;
  value: FieldValue;
  onValue: (patch: Partial<FieldValue>) => void;
  choices: Record<string, string[]>;
  errors?: string[];
}

function facts(parameter: EndpointParameter): string {
  const parts: string[] = [];
  const { min, max } = parameter;
  if ((min !== null && min !== undefined) || (max !== null && max !== undefined))
    parts.push(`range ${min ?? '…'} – ${max ?? '…'}`);
  return parts.join('');
}

function ParameterRow({ parameter, value, onValue, choices, errors }: ParameterRowProps) {
  const id = fieldId(parameter.name);
  const widget = widgetOf(parameter);
  const invalid = errors && errors.length > 0 ? true : undefined;
  const disabled = value.cleared;
  const defaultText =
    widget === 'data'
      ? String(parameter.default ?? '')
      : parameter.default === null || parameter.default === undefined
        ? null
        : typeof parameter.default === 'string'
          ? parameter.default
          : JSON.stringify(parameter.default);
  const range = facts(parameter);

  let input;
  if (widget === 'number') {
    input = (
      <input
        type="number"
        id={id}
        data-param={parameter.name}
        data-type={parameter.type}
        value={typeof value.raw === 'string' ? value.raw : ''}
        step={parameter.type === 'integer' ? '1' : 'any'}
        min={parameter.min ?? undefined}
        max={parameter.max ?? undefined}
        required={parameter.required}
        disabled={disabled}
        aria-invalid={invalid}
        onChange={(event) =>
          onValue({ raw: event.target.value, bad: event.target.validity.badInput })
        }
      />
    );
  } else if (widget === 'select') {
    input = (
      <select
        id={id}
        data-param={parameter.name}
        data-type={parameter.type}
        value={typeof value.raw === 'string' ? value.raw : ''}
        disabled={disabled}
        aria-invalid={invalid}
        onChange={(event) => onValue({ raw: event.target.value })}
      >
        {parameter.required ? null : (
          <option value="">{defaultText !== null ? 'default' : 'no value'}</option>
        )}
        {(parameter.enum ?? []).map((choice) => (
          <option key={JSON.stringify(choice)} value={JSON.stringify(choice)}>
            {String(choice)}
          </option>
        ))}
      </select>
    );
  } else if (widget === 'checkbox') {
    input = (
      <label className="checkbox">
        <input
          type="checkbox"
          id={id}
          data-param={parameter.name}
          data-type="boolean"
          aria-labelledby={`${id}-label`}
          checked={value.raw === true}
          disabled={disabled}
          onChange={(event) => onValue({ raw: event.target.checked })}
        />{' '}
        true
      </label>
    );
  } else if (widget === 'data') {
    const versions = value.asset ? (choices[value.asset] ?? []) : [];
    input = (
      <>
        <label htmlFor={id} className="visually-hidden">
          {parameter.name}: data asset
        </label>
        <select
          id={id}
          data-data-param={parameter.name}
          data-data-type={parameter.type}
          value={value.asset}
          aria-invalid={invalid}
          onChange={(event) => onValue({ asset: event.target.value, version: '' })}
        >
          <option value="">default ({defaultText})</option>
          {Object.keys(choices)
            .sort()
            .map((asset) => (
              <option key={asset} value={asset}>
                {asset}
              </option>
            ))}
        </select>
        <label htmlFor={`${id}-version`} className="visually-hidden">
          {parameter.name}: version
        </label>
        <select
          id={`${id}-version`}
          data-version-for={parameter.name}
          value={value.version}
          disabled={!value.asset}
          onChange={(event) => onValue({ version: event.target.value })}
        >
          <option value="">latest</option>
          {versions.map((version) => (
            <option key={version} value={version}>
              {version}
            </option>
          ))}
        </select>
      </>
    );
  } else {
    input = (
      <input
        type="text"
        id={id}
        data-param={parameter.name}
        data-type={parameter.type}
        value={typeof value.raw === 'string' ? value.raw : ''}
        required={parameter.required}
        disabled={disabled}
        aria-invalid={invalid}
        onChange={(event) => onValue({ raw: event.target.value })}
      />
    );
  }

  return (
    <div
      className={`try-field${widget === 'data' ? ' try-field--data' : ''}`}
      data-field={parameter.name}
    >
      <div className="try-label">
        {widget === 'checkbox' ? (
          <span id={`${id}-label`}>{parameter.name}</span>
        ) : widget === 'data' ? (
          <span>{parameter.name}</span>
        ) : (
          <label htmlFor={id}>{parameter.name}</label>
        )}
        <span className={`type-pill type-pill--${parameter.type}`}>{parameter.type}</span>
        {parameter.required ? (
          <span className="badge badge--required">required</span>
        ) : parameter.optional ? (
          <span className="badge">optional</span>
        ) : null}
      </div>
      <div className="try-input">
        {input}
        {parameter.optional && widget !== 'data' ? (
          <label className="checkbox small">
            <input
              type="checkbox"
              data-clear={parameter.name}
              checked={value.cleared}
              onChange={(event) => onValue({ cleared: event.target.checked })}
            />{' '}
            send no value
          </label>
        ) : null}
      </div>
      <p className="try-help muted small">
        {parameter.description ? (
          <span className="try-description">{parameter.description}</span>
        ) : null}
        <span className="try-facts">
          {range ? `${range} · ` : ''}
          {widget === 'data' ? (
            <>
              default data <code>{defaultText}</code>
            </>
          ) : defaultText !== null ? (
            <>
              default <code>{defaultText}</code>
            </>
          ) : parameter.required ? (
            'no default: give a value'
          ) : (
            'no default'
          )}
        </span>
      </p>
      <FieldError errorFor={errorKey(parameter)} messages={errors} />
    </div>
  );
}
