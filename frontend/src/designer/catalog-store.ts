/**
 * What the designer can place and pick: components, data assets and computes, loaded once
 * from the API and read through the selector hooks below.
 */
import { create } from 'zustand';
import { splitReference } from '../lib/draft-graph';
import type { InputPortSpec, OutputPortSpec } from '../lib/parameters';
import {
  getComponent,
  getDataAsset,
  listComponents,
  listComponentVersions,
  listComputes,
  listDataAssets,
  type ComponentRecord,
  type ComputeRecord,
  type DataAssetRecord,
} from './api';

export interface ComponentDefinition {
  /** "NAME:VERSION". */
  ref: string;
  name: string;
  version: string;
  displayName: string;
  description: string;
  category: string;
  inputs: Record<string, InputPortSpec>;
  outputs: Record<string, OutputPortSpec>;
  archived: boolean;
  /** A pipeline component (`type: pipeline`) is one node that opens into its inner graph. */
  kind: 'command' | 'pipeline';
}

export interface DataAssetDefinition {
  ref: string;
  name: string;
  version: string;
  dataType: string;
  description: string;
}

export const UNCATEGORISED = 'Other';
/** The palette category of every pipeline component, whatever its tags say. */
export const PIPELINE_CATEGORY = 'Pipeline components';

export function toComponentDefinition(record: ComponentRecord): ComponentDefinition {
  const tag = record.tags?.category;
  const kind = record.spec?.type === 'pipeline' ? 'pipeline' : 'command';
  const category =
    kind === 'pipeline' ? PIPELINE_CATEGORY : typeof tag === 'string' && tag ? tag : UNCATEGORISED;
  return {
    ref: `${record.name}:${record.version}`,
    name: record.name,
    version: record.version,
    displayName: record.display_name || record.name,
    description: record.description ?? '',
    category,
    inputs: record.spec?.inputs ?? {},
    outputs: record.spec?.outputs ?? {},
    archived: record.archived,
    kind,
  };
}

export function toDataAssetDefinition(record: DataAssetRecord): DataAssetDefinition {
  return {
    ref: `${record.name}:${record.version}`,
    name: record.name,
    version: record.version,
    dataType: record.data_type,
    description: record.description ?? '',
  };
}

/** The first record per name: the API lists versions newest first. */
function newestPerName<T extends { name: string }>(records: readonly T[]): T[] {
  const seen = new Set<string>();
  return records.filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true)));
}

type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

interface CatalogState {
  status: LoadStatus;
  error: string | null;
  components: Record<string, ComponentDefinition>;
  /** Refs shown in the palette: the newest visible version of each component. */
  paletteComponents: string[];
  dataAssets: Record<string, DataAssetDefinition>;
  paletteData: string[];
  computes: ComputeRecord[];
  /** Versions of a component, newest first, once asked for. */
  versions: Record<string, string[]>;
  /** Refs that could not be found, so that nodes can say so instead of waiting. */
  missing: Record<string, true>;
  load: () => Promise<void>;
  ensureComponent: (ref: string) => void;
  ensureDataAsset: (ref: string) => void;
  loadVersions: (name: string) => void;
  /** Puts definitions in directly (tests, and pages that already have them). */
  seed: (seed: {
    components?: ComponentRecord[];
    dataAssets?: DataAssetRecord[];
    computes?: ComputeRecord[];
  }) => void;
  reset: () => void;
}

const pending = new Set<string>();

const initial = {
  status: 'idle' as LoadStatus,
  error: null,
  components: {},
  paletteComponents: [],
  dataAssets: {},
  paletteData: [],
  computes: [],
  versions: {},
  missing: {},
};

export const useCatalogStore = create<CatalogState>()((set, get) => ({
  ...initial,

  load: async () => {
    if (get().status === 'loading') return;
    set({ status: 'loading', error: null });
    try {
      const [components, dataAssets, computes] = await Promise.all([
        listComponents(),
        listDataAssets(),
        listComputes().catch(() => [] as ComputeRecord[]),
      ]);
      get().seed({ components, dataAssets, computes });
      set({ status: 'ready' });
    } catch (error) {
      set({ status: 'error', error: error instanceof Error ? error.message : String(error) });
    }
  },

  seed: ({ components = [], dataAssets = [], computes }) =>
    set((s) => {
      const byRef = { ...s.components };
      for (const record of components) {
        const definition = toComponentDefinition(record);
        byRef[definition.ref] = definition;
      }
      const assets = { ...s.dataAssets };
      for (const record of dataAssets) {
        const definition = toDataAssetDefinition(record);
        assets[definition.ref] = definition;
      }
      const visible = newestPerName(components.filter((c) => !c.archived));
      const visibleData = newestPerName(dataAssets.filter((d) => !d.archived));
      return {
        components: byRef,
        dataAssets: assets,
        paletteComponents: visible.map((c) => `${c.name}:${c.version}`),
        paletteData: visibleData.map((d) => `${d.name}:${d.version}`),
        computes: computes ?? s.computes,
        status: 'ready',
      };
    }),

  ensureComponent: (ref) => {
    const { components, missing } = get();
    if (!ref || components[ref] || missing[ref] || pending.has(ref)) return;
    pending.add(ref);
    const { name, version } = splitReference(ref);
    getComponent(name, version)
      .then((record) => {
        const definition = toComponentDefinition(record);
        set((s) => ({ components: { ...s.components, [definition.ref]: definition } }));
      })
      .catch(() => set((s) => ({ missing: { ...s.missing, [ref]: true } })))
      .finally(() => pending.delete(ref));
  },

  ensureDataAsset: (ref) => {
    const { dataAssets, missing } = get();
    if (!ref || dataAssets[ref] || missing[ref] || pending.has(ref)) return;
    pending.add(ref);
    const { name, version } = splitReference(ref);
    getDataAsset(name, version)
      .then((record) => {
        const definition = toDataAssetDefinition(record);
        set((s) => ({ dataAssets: { ...s.dataAssets, [definition.ref]: definition } }));
      })
      .catch(() => set((s) => ({ missing: { ...s.missing, [ref]: true } })))
      .finally(() => pending.delete(ref));
  },

  loadVersions: (name) => {
    const key = `versions:${name}`;
    if (get().versions[name] || pending.has(key)) return;
    pending.add(key);
    listComponentVersions(name)
      .then((records) => {
        const definitions = records.map(toComponentDefinition);
        set((s) => {
          const components = { ...s.components };
          for (const d of definitions) components[d.ref] ??= d;
          return {
            components,
            versions: { ...s.versions, [name]: definitions.map((d) => d.version) },
          };
        });
      })
      .catch(() => undefined)
      .finally(() => pending.delete(key));
  },

  reset: () => set(initial),
}));

export const useComponentDefinition = (ref: string) => useCatalogStore((s) => s.components[ref]);
export const useDataAssetDefinition = (ref: string) => useCatalogStore((s) => s.dataAssets[ref]);
export const useIsMissing = (ref: string) => useCatalogStore((s) => s.missing[ref] === true);
export const useComputes = () => useCatalogStore((s) => s.computes);
