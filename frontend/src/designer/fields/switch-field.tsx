interface SwitchFieldProps {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  description?: string;
}

/** A labelled on/off switch (a checkbox with the switch role). */
export function SwitchField({ id, label, checked, onChange, description }: SwitchFieldProps) {
  return (
    <div className="pfield pfield--switch">
      <label className="switch" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          aria-describedby={description ? `${id}-hint` : undefined}
          onChange={(event) => onChange(event.target.checked)}
        />
        <span className="switch__track" aria-hidden="true" />
        <span className="switch__label">{label}</span>
      </label>
      {description ? (
        <p className="pfield__hint" id={`${id}-hint`}>
          {description}
        </p>
      ) : null}
    </div>
  );
}
