/**
 * What the column pickers know: data assets' columns and components' column declarations, each
 * fetched once when a picker first needs it (GET …/columns/). A failed fetch counts as "none".
 */
import { create } from 'zustand';
import type { Column, ColumnRules } from '../lib/columns';
import { splitReference } from '../lib/draft-graph';
import { getComponentColumns, getDataColumns } from './api';

const NO_RULES: ColumnRules = { parameters: {}, outputs: {} };

interface ColumnState {
  /** By component ref; absent until fetched. */
  rules: Record<string, ColumnRules>;
  /** By data asset ref: its columns, or null when it has none Studio can read. */
  dataColumns: Record<string, Column[] | null>;
  /** Why a data asset has no columns, by ref. */
  reasons: Record<string, string>;
  ensureRules: (ref: string) => void;
  ensureDataColumns: (ref: string) => void;
  /** Puts answers in directly (tests). */
  seed: (seed: {
    rules?: Record<string, ColumnRules>;
    dataColumns?: Record<string, Column[] | null>;
  }) => void;
  reset: () => void;
}

const pending = new Set<string>();

export const useColumnStore = create<ColumnState>()((set, get) => ({
  rules: {},
  dataColumns: {},
  reasons: {},

  ensureRules: (ref) => {
    const key = `rules:${ref}`;
    if (!ref || ref in get().rules || pending.has(key)) return;
    pending.add(key);
    const { name, version } = splitReference(ref);
    getComponentColumns(name, version)
      .catch(() => NO_RULES)
      .then((rules) => set((s) => ({ rules: { ...s.rules, [ref]: rules } })))
      .finally(() => pending.delete(key));
  },

  ensureDataColumns: (ref) => {
    const key = `data:${ref}`;
    if (!ref || ref in get().dataColumns || pending.has(key)) return;
    pending.add(key);
    const { name, version } = splitReference(ref);
    getDataColumns(name, version)
      .catch((error: unknown) => ({
        columns: null,
        reason: error instanceof Error ? error.message : String(error),
      }))
      .then((record) =>
        set((s) => ({
          dataColumns: { ...s.dataColumns, [ref]: record.columns },
          reasons: record.reason ? { ...s.reasons, [ref]: record.reason } : s.reasons,
        })),
      )
      .finally(() => pending.delete(key));
  },

  seed: ({ rules = {}, dataColumns = {} }) =>
    set((s) => ({
      rules: { ...s.rules, ...rules },
      dataColumns: { ...s.dataColumns, ...dataColumns },
    })),

  reset: () => set({ rules: {}, dataColumns: {}, reasons: {} }),
}));
