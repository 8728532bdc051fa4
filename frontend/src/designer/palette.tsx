import { useReactFlow } from '@xyflow/react';
import { useCallback, useDeferredValue, useMemo, useState, type DragEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  PIPELINE_CATEGORY,
  useCatalogStore,
  type ComponentDefinition,
  type DataAssetDefinition,
} from './catalog-store';
import { TypePill } from './fields/type-pill';
import { PipelineIcon } from './nodes/component/pipeline-icon';
import { placePaletteItem, writePaletteItem, type PaletteItem } from './palette-item';
import { useDesignerStore } from './store';

/** Categories in the order of a pipeline's life; others follow alphabetically. */
const CATEGORY_ORDER = [
  'Data Input and Output',
  'Data Transformation',
  'Model Training',
  'Model Scoring & Evaluation',
  PIPELINE_CATEGORY,
];

function categoryRank(category: string): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i === -1 ? CATEGORY_ORDER.length : i;
}

function matches(query: string, ...texts: string[]): boolean {
  if (!query) return true;
  return texts.some((t) => t.toLowerCase().includes(query));
}

/** Components grouped by their category tag, filtered by the search text. */
export function groupComponents(
  components: readonly ComponentDefinition[],
  query: string,
): [string, ComponentDefinition[]][] {
  const q = query.trim().toLowerCase();
  const groups = new Map<string, ComponentDefinition[]>();
  for (const c of components) {
    if (!matches(q, c.displayName, c.name, c.description, c.category)) continue;
    const list = groups.get(c.category) ?? [];
    list.push(c);
    groups.set(c.category, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => categoryRank(a) - categoryRank(b) || a.localeCompare(b))
    .map(([category, list]) => [
      category,
      list.sort((a, b) => a.displayName.localeCompare(b.displayName)),
    ]);
}

function onDragStart(item: PaletteItem) {
  return (event: DragEvent) => writePaletteItem(event.dataTransfer, item);
}

/** Adds an item in the middle of the visible canvas: the keyboard's way to place nodes. */
function useAddAtCentre() {
  const { screenToFlowPosition } = useReactFlow();
  return useCallback(
    (item: PaletteItem) => {
      const pane = document.querySelector('.designer-canvas');
      const rect = pane?.getBoundingClientRect();
      const count = useDesignerStore.getState().nodes.length;
      const nudge = (count % 6) * 24;
      const centre = rect
        ? { x: rect.left + rect.width / 2 + nudge, y: rect.top + rect.height / 2 + nudge }
        : { x: 200 + nudge, y: 200 + nudge };
      placePaletteItem(item, screenToFlowPosition(centre));
    },
    [screenToFlowPosition],
  );
}

/** The library on the left: components by category, data assets and notes to drag in. */
export function Palette() {
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const status = useCatalogStore((s) => s.status);
  const error = useCatalogStore((s) => s.error);
  const load = useCatalogStore((s) => s.load);
  const components = useCatalogStore(
    useShallow((s) => s.paletteComponents.flatMap((ref) => s.components[ref] ?? [])),
  );
  const dataAssets = useCatalogStore(
    useShallow((s) => s.paletteData.flatMap((ref) => s.dataAssets[ref] ?? [])),
  );
  const addAtCentre = useAddAtCentre();
  const groups = useMemo(
    () => groupComponents(components, deferredQuery),
    [components, deferredQuery],
  );
  const q = deferredQuery.trim().toLowerCase();
  const data = dataAssets.filter((d) => matches(q, d.name, d.description, d.dataType));
  const searching = q.length > 0;

  return (
    <aside className="palette" aria-label="Library">
      <div className="palette__search">
        <label htmlFor="palette-search" className="visually-hidden">
          Search the library
        </label>
        <input
          id="palette-search"
          type="search"
          placeholder="Search the library"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
      </div>
      <div className="palette__scroll">
        {status === 'loading' || status === 'idle' ? (
          <p className="palette__note">Loading the library…</p>
        ) : null}
        {status === 'error' ? (
          <div className="palette__note palette__note--error" role="alert">
            <p>The library could not be loaded: {error}</p>
            <button type="button" className="button button--small" onClick={() => void load()}>
              Try again
            </button>
          </div>
        ) : null}
        {groups.map(([category, list]) => (
          <details key={category} className="palette-group" open>
            <summary>
              {category} <span className="palette-group__count">{list.length}</span>
            </summary>
            <ul>
              {list.map((c) => (
                <ComponentItem key={c.ref} component={c} onAdd={addAtCentre} />
              ))}
            </ul>
          </details>
        ))}
        {data.length > 0 ? (
          <details className="palette-group palette-group--data" open>
            <summary>
              Data <span className="palette-group__count">{data.length}</span>
            </summary>
            <ul>
              {data.map((d) => (
                <DataItem key={d.ref} asset={d} onAdd={addAtCentre} />
              ))}
            </ul>
          </details>
        ) : null}
        {!searching || matches(q, 'note', 'comment', 'sticky') ? (
          <details className="palette-group" open>
            <summary>Annotations</summary>
            <ul>
              <li>
                <button
                  type="button"
                  className="palette-item palette-item--note"
                  draggable
                  onDragStart={onDragStart({ kind: 'comment' })}
                  onClick={() => addAtCentre({ kind: 'comment' })}
                  title="A sticky note to explain part of the pipeline"
                >
                  <span className="palette-item__name">Sticky note</span>
                  <span className="palette-item__meta">comment</span>
                </button>
              </li>
            </ul>
          </details>
        ) : null}
        {status === 'ready' && searching && groups.length === 0 && data.length === 0 ? (
          <p className="palette__note">Nothing matches “{query.trim()}”.</p>
        ) : null}
      </div>
      <p className="palette__hint">Drag onto the canvas, or press Enter to add in the middle.</p>
    </aside>
  );
}

function ComponentItem({
  component,
  onAdd,
}: {
  component: ComponentDefinition;
  onAdd: (item: PaletteItem) => void;
}) {
  const item: PaletteItem = { kind: 'component', ref: component.ref };
  const pipeline = component.kind === 'pipeline';
  return (
    <li>
      <button
        type="button"
        className={pipeline ? 'palette-item palette-item--pipeline' : 'palette-item'}
        draggable
        data-ref={component.ref}
        onDragStart={onDragStart(item)}
        onClick={() => onAdd(item)}
        title={
          (component.description || component.displayName) +
          (pipeline ? ' (a pipeline component: one node that opens into its steps)' : '')
        }
      >
        <span className="palette-item__name">
          {pipeline ? (
            <span className="palette-item__icon">
              <PipelineIcon size={13} />
            </span>
          ) : null}
          {component.displayName}
        </span>
        <span className="palette-item__meta">
          {component.name}@{component.version}
        </span>
      </button>
    </li>
  );
}

function DataItem({
  asset,
  onAdd,
}: {
  asset: DataAssetDefinition;
  onAdd: (item: PaletteItem) => void;
}) {
  const item: PaletteItem = { kind: 'data', ref: asset.ref };
  return (
    <li>
      <button
        type="button"
        className="palette-item palette-item--data"
        draggable
        data-ref={asset.ref}
        onDragStart={onDragStart(item)}
        onClick={() => onAdd(item)}
        title={asset.description || asset.name}
      >
        <span className="palette-item__name">{asset.name}</span>
        <span className="palette-item__meta">
          {asset.name}@{asset.version} <TypePill type={asset.dataType} />
        </span>
      </button>
    </li>
  );
}
