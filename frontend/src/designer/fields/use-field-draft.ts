import { useState } from 'react';

const KEEP: unique symbol = Symbol('keep');

/**
 * The text of a field bound to a stored value. Typing keeps the person's text (even when it is
 * not valid yet); a change of the stored value from elsewhere (undo, another panel) replaces it.
 *
 * `setText(text, committed)` records what was typed and the value just stored for it, so that
 * storing it does not count as a change from elsewhere. Pass `keep()` when nothing was stored.
 */
export function useFieldDraft<T>(value: T, format: (value: T) => string) {
  const [draft, setDraft] = useState(() => ({ source: value, text: format(value) }));
  let text = draft.text;
  if (!Object.is(draft.source, value)) {
    text = format(value);
    setDraft({ source: value, text });
  }
  const setText = (next: string, committed: T | typeof KEEP) =>
    setDraft((d) => ({ source: committed === KEEP ? d.source : committed, text: next }));
  return [text, setText] as const;
}

/** Marks a `setText` call that stored nothing. */
export const keep = (): typeof KEEP => KEEP;
