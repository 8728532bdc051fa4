import { useId, useState } from 'react';
import {
  COLUMN_TYPES,
  columnNames,
  formatColumns,
  hasColumn,
  selectColumns,
  type ColumnChoice,
  type KnownColumns,
  type SelectionMode,
} from '../../lib/columns';
import type { ParameterValue } from '../../lib/draft-graph';
import './column-picker.css';

export interface ColumnPickerProps {
  /** DOM id of the main control (the select, or the column selector's group). */
  id: string;
  choice: ColumnChoice & { known: KnownColumns };
  value: ParameterValue | undefined;
  onChange: (value: ParameterValue | undefined) => void;
  /** Whether the parameter may be left empty (it then means "all columns" or "none"). */
  optional: boolean;
  describedBy?: string;
  invalid: boolean;
}

/**
 * A column parameter's picker, from the columns that reach the step's table input: a list of
 * them for one column; for several, Azure's column selector (by name, by type, all but …). The
 * value stays the column names separated by commas, which is what the step reads.
 */
export function ColumnPicker(props: ColumnPickerProps) {
  return props.choice.many ? <ColumnSelector {...props} /> : <SingleColumn {...props} />;
}

function SingleColumn({
  id,
  choice,
  value,
  onChange,
  optional,
  describedBy,
  invalid,
}: ColumnPickerProps) {
  const current = typeof value === 'string' ? value.trim() : '';
  const listed = choice.known.columns.some((c) => c.name === current);
  return (
    <select
      id={id}
      className="column-select"
      value={current}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
      onChange={(event) => onChange(event.target.value === '' ? undefined : event.target.value)}
    >
      <option value="">{optional ? '(none)' : 'Choose a column…'}</option>
      {current && !listed ? (
        <option value={current}>
          {current}
          {hasColumn(choice.known, current) ? '' : ` (not a column of ${choice.of})`}
        </option>
      ) : null}
      {choice.known.columns.map((column) => (
        <option key={column.name} value={column.name}>
          {column.name} · {column.type}
        </option>
      ))}
    </select>
  );
}

const MODES: { mode: SelectionMode; label: string }[] = [
  { mode: 'names', label: 'By name' },
  { mode: 'types', label: 'By type' },
  { mode: 'all-but', label: 'All but' },
];

function ColumnSelector({ id, choice, value, onChange, describedBy, invalid }: ColumnPickerProps) {
  const columns = choice.known.columns;
  const named = columnNames(value, true);
  const [mode, setMode] = useState<SelectionMode>('names');
  // The types ticked "by type" (the names modes show the stored value itself).
  const [types, setTypes] = useState<string[]>([]);
  const [filter, setFilter] = useState('');
  const filterId = useId();
  const selected = named.filter((n) => columns.some((c) => c.name === n));
  const strangers = named.filter((n) => !hasColumn(choice.known, n));

  const switchTo = (next: SelectionMode) => {
    setMode(next);
    if (next === 'types') {
      // The types all of whose columns are selected now.
      setTypes(
        COLUMN_TYPES.filter((t) =>
          columns.every((c) => c.type !== t || selected.includes(c.name)),
        ).filter((t) => columns.some((c) => c.type === t)),
      );
    }
  };
  // What the boxes show: the stored value (undo or another panel may change it), or the types.
  const boxes =
    mode === 'names'
      ? selected
      : mode === 'all-but'
        ? columns.filter((c) => !selected.includes(c.name)).map((c) => c.name)
        : types;
  const toggle = (key: string, on: boolean) => {
    const next = on ? [...boxes.filter((k) => k !== key), key] : boxes.filter((k) => k !== key);
    if (mode === 'types') setTypes(next);
    onChange(formatColumns(selectColumns(columns, mode, next)) ?? undefined);
  };
  const q = filter.trim().toLowerCase();
  const shown = q ? columns.filter((c) => c.name.toLowerCase().includes(q)) : columns;

  return (
    <div
      id={id}
      className={`column-selector${invalid ? ' is-invalid' : ''}`}
      role="group"
      aria-describedby={describedBy}
    >
      <div className="column-selector__modes" role="radiogroup" aria-label="Select columns">
        {MODES.map((m) => (
          <button
            key={m.mode}
            type="button"
            role="radio"
            aria-checked={mode === m.mode}
            className={mode === m.mode ? 'is-active' : undefined}
            onClick={() => switchTo(m.mode)}
          >
            {m.label}
          </button>
        ))}
      </div>
      {mode === 'types' ? (
        <ul className="column-selector__list">
          {COLUMN_TYPES.filter((t) => columns.some((c) => c.type === t)).map((type) => (
            <li key={type}>
              <label>
                <input
                  type="checkbox"
                  checked={boxes.includes(type)}
                  onChange={(event) => toggle(type, event.target.checked)}
                />
                <span className="column-selector__name">{type} columns</span>
                <span className="column-selector__type">
                  {columns.filter((c) => c.type === type).length}
                </span>
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <>
          {columns.length > 8 ? (
            <>
              <label htmlFor={filterId} className="visually-hidden">
                Filter columns
              </label>
              <input
                id={filterId}
                type="search"
                placeholder="Filter columns"
                value={filter}
                onChange={(event) => setFilter(event.target.value)}
              />
            </>
          ) : null}
          <ul className="column-selector__list">
            {shown.map((column) => (
              <li key={column.name}>
                <label>
                  <input
                    type="checkbox"
                    checked={boxes.includes(column.name)}
                    onChange={(event) => toggle(column.name, event.target.checked)}
                  />
                  <span className="column-selector__name">{column.name}</span>
                  <span className="column-selector__type">{column.type}</span>
                </label>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="column-selector__summary">
        {selected.length === 0
          ? 'No columns selected'
          : `${selected.length} of ${columns.length}: ${selected.join(', ')}`}
      </p>
      {strangers.length > 0 ? (
        <p className="column-selector__strangers">
          Not columns of {choice.of}: {strangers.join(', ')}{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => onChange(formatColumns(selected) ?? undefined)}
          >
            Remove
          </button>
        </p>
      ) : null}
    </div>
  );
}
