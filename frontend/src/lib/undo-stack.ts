/**
 * An immutable undo/redo history of snapshots. Pure: every operation returns a new stack.
 *
 * `present` is the current state; `past` ends with the state just before it; `future` starts
 * with the state an undo left behind. Pushing after an undo starts a new branch, dropping the
 * old future.
 */

export interface UndoStack<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
  /** Most past states kept; the oldest are dropped beyond it. */
  readonly limit: number;
  /** Key of the last push, so that a run of edits to one field undoes as one step. */
  readonly lastKey: string | null;
}

export function createUndoStack<T>(present: T, limit = 100): UndoStack<T> {
  return { past: [], present, future: [], limit: Math.max(1, limit), lastKey: null };
}

/**
 * Records `next` as the new present. When `key` equals the key of the previous push (typing
 * into the same field), `next` replaces the present instead of adding an undo step.
 */
export function pushState<T>(stack: UndoStack<T>, next: T, key?: string): UndoStack<T> {
  if (key !== undefined && key === stack.lastKey) {
    return { ...stack, present: next, future: [] };
  }
  const past = [...stack.past, stack.present];
  return {
    ...stack,
    past: past.length > stack.limit ? past.slice(past.length - stack.limit) : past,
    present: next,
    future: [],
    lastKey: key ?? null,
  };
}

export function canUndo<T>(stack: UndoStack<T>): boolean {
  return stack.past.length > 0;
}

export function canRedo<T>(stack: UndoStack<T>): boolean {
  return stack.future.length > 0;
}

/** Steps back one state; a no-op (the same stack) when there is nothing to undo. */
export function undo<T>(stack: UndoStack<T>): UndoStack<T> {
  if (stack.past.length === 0) return stack;
  return {
    ...stack,
    past: stack.past.slice(0, -1),
    present: stack.past[stack.past.length - 1]!,
    future: [stack.present, ...stack.future],
    lastKey: null,
  };
}

/** Steps forward one state; a no-op (the same stack) when there is nothing to redo. */
export function redo<T>(stack: UndoStack<T>): UndoStack<T> {
  if (stack.future.length === 0) return stack;
  return {
    ...stack,
    past: [...stack.past, stack.present],
    present: stack.future[0]!,
    future: stack.future.slice(1),
    lastKey: null,
  };
}
