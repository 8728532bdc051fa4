/**
 * Entry point: mounts React "islands" into the server-rendered Django page.
 *
 *   <div data-island="designer-canvas" data-props='{"draftId": 12}'></div>
 */
import '@xyflow/react/dist/style.css';
import { StrictMode, type ComponentType } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { AssetCreateIsland } from './assets';
import { Designer } from './designer/designer';
import { EndpointsIsland } from './endpoints';
import { JobsIsland } from './jobs';

// Props come from untrusted-at-compile-time JSON, so components are typed loosely here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type IslandComponent = ComponentType<any>;

export const islands: Record<string, IslandComponent> = {
  'asset-create': AssetCreateIsland,
  'designer-canvas': Designer,
  endpoints: EndpointsIsland,
  jobs: JobsIsland,
};

const MOUNTED_ATTR = 'data-island-mounted';

function readProps(el: HTMLElement, name: string): Record<string, unknown> | null {
  const raw = el.dataset.props;
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    console.warn(`[islands] data-props for "${name}" must be a JSON object; got`, parsed);
  } catch (err) {
    console.warn(`[islands] invalid JSON in data-props for "${name}"`, err);
  }
  return null;
}

/** Mounts every not-yet-mounted `[data-island]` element under `root`. Never throws. */
export function mountIslands(
  root: ParentNode = document,
  registry: Record<string, IslandComponent> = islands,
): Root[] {
  const roots: Root[] = [];
  root.querySelectorAll<HTMLElement>('[data-island]').forEach((el) => {
    if (el.hasAttribute(MOUNTED_ATTR)) return;
    const name = el.dataset.island ?? '';
    const Component = Object.hasOwn(registry, name) ? registry[name] : undefined;
    if (!Component) {
      console.warn(
        `[islands] unknown island "${name}"; known: ${Object.keys(registry).join(', ')}`,
      );
      return;
    }
    const props = readProps(el, name);
    if (props === null) return;
    try {
      const reactRoot = createRoot(el);
      reactRoot.render(
        <StrictMode>
          <Component {...props} />
        </StrictMode>,
      );
      el.setAttribute(MOUNTED_ATTR, '');
      roots.push(reactRoot);
    } catch (err) {
      console.warn(`[islands] failed to mount "${name}"`, err);
    }
  });
  return roots;
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => mountIslands(), { once: true });
  } else {
    mountIslands();
  }
}
