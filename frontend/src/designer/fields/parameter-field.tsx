import { useState, type ReactNode } from 'react';
import type { ParameterValue } from '../../lib/draft-graph';
import {
  formatParameter,
  hasDefault,
  parseParameter,
  type InputPortSpec,
} from '../../lib/parameters';
import { unknownColumns } from '../../lib/columns';
import { ColumnPicker } from './column-picker';
import { TypePill } from './type-pill';
import { useColumnChoice, type ColumnTarget } from './use-column-choice';
import { keep, useFieldDraft } from './use-field-draft';

export interface ParameterFieldProps {
  /** DOM id of the control; also the stem of its hint and error ids. */
  id: string;
  name: string;
  port: InputPortSpec;
  /** The stored value; undefined means "not set" (the default applies). */
  value: ParameterValue | undefined;
  onChange: (value: ParameterValue | undefined) => void;
  /** A problem reported by the server for this field. */
  problem?: string;
  /** Extra controls next to the label (e.g. "set as pipeline parameter"). */
  actions?: ReactNode;
  /** A note above the control (e.g. which pipeline parameter it is bound to). */
  note?: ReactNode;
  /** A setting of the step or pipeline rather than a component port: no type pill, plain label. */
  setting?: boolean;
  /** Whether to offer Clear/Reset when a value is set (not for values bound elsewhere). */
  clearable?: boolean;
  /** The step and port, when the parameter may name columns of the step's table (a picker then). */
  columnsOf?: ColumnTarget;
}

function rangeHint(port: InputPortSpec): string | null {
  const hasMin = port.min != null;
  const hasMax = port.max != null;
  if (hasMin && hasMax) return `${port.min} – ${port.max}`;
  if (hasMin) return `at least ${port.min}`;
  if (hasMax) return `at most ${port.max}`;
  return null;
}

/**
 * A typed widget for one component parameter: a switch for booleans, a select for enums, a
 * number field honouring min and max, text otherwise. Text that is not a valid value shows its
 * error at the field and is not stored.
 */
export function ParameterField(props: ParameterFieldProps) {
  const { id, name, port, value, onChange, problem, actions, note } = props;
  const { setting = false, clearable: allowClear = true } = props;
  const [text, setText] = useFieldDraft(value, (v) => formatParameter(v));
  const [touched, setTouched] = useState(false);
  const choice = useColumnChoice(
    port.type === 'string' && !port.enum?.length ? props.columnsOf : undefined,
  );
  const strangers = choice ? unknownColumns(choice, value) : [];
  const parsed = parseParameter(port, text);
  const localError = parsed.ok
    ? strangers.length > 0
      ? `${strangers.map((n) => `'${n}'`).join(', ')} ${strangers.length === 1 ? 'is not a column' : 'are not columns'} of ${choice!.of}`
      : null
    : parsed.error;
  // An empty required field says "Required" once someone emptied it, or validation said so.
  const error =
    localError && (localError !== 'Required' || touched) ? localError : (problem ?? null);
  const required = !port.optional && !hasDefault(port);
  const clearable =
    allowClear && value !== undefined && value !== null && (port.optional || hasDefault(port));
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy =
    [port.description || rangeHint(port) ? hintId : '', error ? errorId : '']
      .filter(Boolean)
      .join(' ') || undefined;

  const commitText = (next: string) => {
    setTouched(true);
    if (next.trim() === '') {
      // Emptied: nothing is stored, so the saved graph says what the field shows.
      setText(next, undefined);
      onChange(undefined);
      return;
    }
    const result = parseParameter(port, next);
    if (!result.ok) {
      setText(next, keep());
      return;
    }
    const stored = result.value === null ? undefined : result.value;
    setText(next, stored);
    onChange(stored);
  };

  let control: ReactNode;
  if (choice?.known) {
    control = (
      <ColumnPicker
        id={id}
        choice={{ ...choice, known: choice.known }}
        value={value}
        onChange={onChange}
        optional={port.optional === true || hasDefault(port)}
        describedBy={describedBy}
        invalid={Boolean(error)}
      />
    );
  } else if (port.type === 'boolean') {
    const checked = (value ?? port.default ?? false) === true;
    control = (
      <label className="switch" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          aria-describedby={describedBy}
          onChange={(event) => onChange(event.target.checked)}
        />
        <span className="switch__track" aria-hidden="true" />
        <span className="switch__label">{checked ? 'On' : 'Off'}</span>
      </label>
    );
  } else if (port.enum && port.enum.length > 0) {
    const shown = formatParameter(value ?? port.default ?? null);
    control = (
      <select
        id={id}
        value={shown}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(event) => onChange(event.target.value === '' ? undefined : event.target.value)}
      >
        {port.optional || shown === '' ? (
          <option value="">{port.optional ? '(none)' : 'Choose…'}</option>
        ) : null}
        {port.enum.map((option) => (
          <option key={option} value={option}>
            {option}
            {option === port.default ? ' (default)' : ''}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = port.type === 'integer' || port.type === 'number';
    const multiline = typeof port.default === 'string' && port.default.includes('\n');
    const placeholder = hasDefault(port)
      ? `Default: ${formatParameter(port.default ?? null)}`
      : port.optional
        ? 'Optional'
        : '';
    const common = {
      id,
      value: text,
      placeholder,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy,
      'aria-required': required || undefined,
    } as const;
    control = multiline ? (
      <textarea
        {...common}
        className="pfield__code"
        rows={Math.min(12, Math.max(4, text.split('\n').length + 1))}
        spellCheck={false}
        onChange={(event) => commitText(event.target.value)}
      />
    ) : (
      <input
        {...common}
        type="text"
        inputMode={numeric ? (port.type === 'integer' ? 'numeric' : 'decimal') : undefined}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => commitText(event.target.value)}
      />
    );
  }

  const hint = [rangeHint(port), port.description].filter(Boolean).join(' · ');
  return (
    <div className={`pfield${error ? ' has-error' : ''}`}>
      <div className="pfield__label-row">
        <label htmlFor={id} className={`pfield__label${setting ? '' : ' pfield__label--port'}`}>
          {name}
          {required ? (
            <span className="pfield__required" title="Required">
              *<span className="visually-hidden"> (required)</span>
            </span>
          ) : null}
        </label>
        {setting ? null : <TypePill type={port.type} />}
        <span className="pfield__actions">
          {clearable ? (
            <button
              type="button"
              className="link-button"
              aria-label={`${port.optional ? 'Clear' : 'Reset'} ${name}`}
              onClick={() => {
                setText(formatParameter(null), undefined);
                onChange(undefined);
              }}
            >
              {port.optional ? 'Clear' : 'Reset'}
            </button>
          ) : null}
          {actions}
        </span>
      </div>
      {note}
      {control}
      {choice && !choice.known ? (
        <p className="pfield__columns-note">
          {choice.many ? 'Columns' : 'A column'} of <code>{choice.of}</code>: connect data whose
          columns are known to pick from them.
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
      {hint ? (
        <p className="pfield__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}
