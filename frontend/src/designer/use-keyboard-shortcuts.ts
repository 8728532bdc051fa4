import { useEffect } from 'react';
import { useBrowseStore } from './component-graph/browse-store';
import { useDesignerStore } from './store';

/** Whether a key event belongs to a text field or a dialog rather than to the canvas. */
function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('[role="dialog"]')) return true;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'range'].includes(type);
  }
  return false;
}

/**
 * The canvas's keyboard shortcuts: Delete/Backspace, Ctrl+C, Ctrl+V, Ctrl+Z, Ctrl+Shift+Z (or
 * Ctrl+Y) and Ctrl+A. Keys typed into fields are left alone.
 */
export function useKeyboardShortcuts() {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || isTypingTarget(event.target)) return;
      // Looking inside a pipeline component: the draft's canvas is not in view, leave it alone.
      if (useBrowseStore.getState().trail.length > 0) return;
      const store = useDesignerStore.getState();
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (!mod && (event.key === 'Delete' || event.key === 'Backspace')) {
        if (store.nodes.some((n) => n.selected) || store.edges.some((e) => e.selected)) {
          event.preventDefault();
          store.deleteSelection();
        }
        return;
      }
      if (!mod || event.altKey) return;
      if (key === 'z' && !event.shiftKey) {
        event.preventDefault();
        store.undo();
      } else if ((key === 'z' && event.shiftKey) || key === 'y') {
        event.preventDefault();
        store.redo();
      } else if (key === 'c') {
        // Leave copying of selected page text to the browser.
        if (window.getSelection()?.toString()) return;
        const copied = store.copy();
        if (copied > 0) {
          event.preventDefault();
          store.notify(`Copied ${copied} node${copied === 1 ? '' : 's'}.`);
        }
      } else if (key === 'v') {
        const pasted = store.paste();
        if (pasted > 0) event.preventDefault();
      } else if (key === 'a') {
        event.preventDefault();
        store.selectNodes(store.nodes.map((n) => n.id));
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
}
