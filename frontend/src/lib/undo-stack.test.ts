import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, createUndoStack, pushState, redo, undo } from './undo-stack';

describe('undo stack', () => {
  it('starts with nothing to undo or redo', () => {
    const stack = createUndoStack('a');
    expect(stack.present).toBe('a');
    expect(canUndo(stack)).toBe(false);
    expect(canRedo(stack)).toBe(false);
    expect(undo(stack)).toBe(stack);
    expect(redo(stack)).toBe(stack);
  });

  it('pushes, undoes and redoes in order', () => {
    let stack = createUndoStack('a');
    stack = pushState(stack, 'b');
    stack = pushState(stack, 'c');
    expect(stack.present).toBe('c');
    stack = undo(stack);
    expect(stack.present).toBe('b');
    stack = undo(stack);
    expect(stack.present).toBe('a');
    expect(canUndo(stack)).toBe(false);
    stack = redo(stack);
    expect(stack.present).toBe('b');
    stack = redo(stack);
    expect(stack.present).toBe('c');
    expect(canRedo(stack)).toBe(false);
  });

  it('starts a new branch when pushing after an undo', () => {
    let stack = createUndoStack('a');
    stack = pushState(stack, 'b');
    stack = pushState(stack, 'c');
    stack = undo(stack);
    stack = pushState(stack, 'x');
    expect(stack.present).toBe('x');
    expect(canRedo(stack)).toBe(false);
    expect(undo(stack).present).toBe('b');
    expect(undo(undo(stack)).present).toBe('a');
  });

  it('keeps at most `limit` past states, dropping the oldest', () => {
    let stack = createUndoStack(0, 3);
    for (let i = 1; i <= 10; i++) stack = pushState(stack, i);
    expect(stack.past).toEqual([7, 8, 9]);
    stack = undo(undo(undo(stack)));
    expect(stack.present).toBe(7);
    expect(canUndo(stack)).toBe(false);
  });

  it('merges pushes with the same key into one undo step', () => {
    let stack = createUndoStack('');
    stack = pushState(stack, 's', 'label');
    stack = pushState(stack, 'sp', 'label');
    stack = pushState(stack, 'spe', 'label');
    expect(stack.past).toEqual(['']);
    expect(undo(stack).present).toBe('');
    // A different key, or no key, starts a new step.
    stack = pushState(stack, 'spe!', 'other');
    stack = pushState(stack, 'done');
    stack = pushState(stack, 'done2');
    expect(stack.past).toEqual(['', 'spe', 'spe!', 'done']);
  });

  it('does not merge across an undo', () => {
    let stack = createUndoStack('a');
    stack = pushState(stack, 'b', 'k');
    stack = undo(stack);
    stack = pushState(stack, 'c', 'k');
    expect(stack.past).toEqual(['a']);
    expect(stack.present).toBe('c');
  });

  it('never mutates the stack it is given', () => {
    const stack = createUndoStack('a');
    const pushed = pushState(stack, 'b');
    expect(stack.past).toEqual([]);
    undo(pushed);
    expect(pushed.present).toBe('b');
  });
});
