import { useState, type FormEvent, type KeyboardEvent } from 'react';
import type { InputPortSpec } from '../lib/parameters';
import { parameterNameProblem } from '../lib/parameter-names';
import { useCatalogStore } from './catalog-store';
import { ParameterField } from './fields/parameter-field';
import { useDesignerStore } from './store';
import { usePipelineInputs } from './use-designer';

/** The first step port bound to a pipeline input, as "node\0port\0component", or ''. */
function useFirstBinding(name: string): string {
  return useDesignerStore((s) => {
    for (const n of s.nodes) {
      if (n.type !== 'component') continue;
      for (const [port, bound] of Object.entries(n.data.pipeline_inputs)) {
        if (bound === name) return `${n.id}\u0000${port}\u0000${n.data.component}`;
      }
    }
    return '';
  });
}

/** One pipeline parameter in the settings panel: its value, what it feeds, rename and remove. */
export function PipelineInputRow({ name }: { name: string }) {
  const input = usePipelineInputs()[name];
  const binding = useFirstBinding(name);
  const [nodeId, port, component] = binding ? binding.split('\u0000') : [];
  const declared = useCatalogStore((s) =>
    component && port ? s.components[component]?.inputs[port] : undefined,
  );
  const setValue = useDesignerStore((s) => s.setPipelineInputValue);
  const setDescription = useDesignerStore((s) => s.setPipelineInputDescription);
  const remove = useDesignerStore((s) => s.removePipelineInput);
  const [renaming, setRenaming] = useState(false);
  if (!input) return null;
  if (renaming) return <RenameForm name={name} onDone={() => setRenaming(false)} />;
  const spec: InputPortSpec = {
    ...(declared ?? {}),
    description: input.description || declared?.description,
    type: input.type,
    default: undefined,
    optional: true,
  };
  return (
    <ParameterField
      id={`pipeline-input-${name}`}
      name={name}
      port={spec}
      value={input.value ?? undefined}
      onChange={(value) => setValue(name, value ?? null, `pipeline_input:${name}`)}
      note={
        <>
          <p className="pfield__bound">
            {nodeId ? (
              <>
                Feeds <code>{nodeId}</code> · <code>{port}</code>
              </>
            ) : (
              'Not used by any step'
            )}
          </p>
          <input
            type="text"
            className="pfield__description"
            aria-label={`Description of pipeline parameter ${name}`}
            placeholder="Description (shown to whoever runs or invokes it)"
            maxLength={2000}
            value={input.description ?? ''}
            onChange={(event) => setDescription(name, event.target.value)}
          />
        </>
      }
      actions={
        <>
          <button
            type="button"
            className="link-button"
            aria-label={`Rename pipeline parameter ${name}`}
            onClick={() => setRenaming(true)}
          >
            Rename
          </button>
          <button
            type="button"
            className="link-button link-button--danger"
            aria-label={`Remove pipeline parameter ${name}`}
            onClick={() => remove(name)}
          >
            Remove
          </button>
        </>
      }
    />
  );
}

/**
 * The new name of a pipeline parameter. A name the pipeline cannot have is refused with the
 * reason at the field (as typed, and again on Rename); Escape or Cancel keeps the old one.
 */
function RenameForm({ name, onDone }: { name: string; onDone: () => void }) {
  const rename = useDesignerStore((s) => s.renamePipelineInput);
  const names = usePipelineInputs();
  const [text, setText] = useState(name);
  const [refusal, setRefusal] = useState<string | null>(null);
  const id = `pipeline-input-${name}-rename`;
  const error = refusal ?? parameterNameProblem(text.trim(), name, Object.keys(names));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = rename(name, text.trim());
    if (problem) setRefusal(problem);
    else onDone();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onDone();
    }
  };

  return (
    <form
      className={`pfield pfield--rename${error ? ' has-error' : ''}`}
      aria-label={`Rename pipeline parameter ${name}`}
      onSubmit={submit}
    >
      <div className="pfield__label-row">
        <label htmlFor={id} className="pfield__label">
          New name for <code>{name}</code>
        </label>
      </div>
      <input
        id={id}
        type="text"
        value={text}
        autoFocus
        autoComplete="off"
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => {
          setText(event.target.value);
          setRefusal(null);
        }}
        onKeyDown={onKeyDown}
      />
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
      <div className="pfield__buttons">
        <button type="submit" className="button button--small button--primary">
          Rename
        </button>
        <button type="button" className="button button--small button--ghost" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
