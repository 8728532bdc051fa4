import { useCallback, useState } from 'react';

export interface PanelPreferences {
  library: boolean;
  properties: boolean;
}

const KEY = 'studio.designer.panels';
const DEFAULTS: PanelPreferences = { library: true, properties: true };

function read(): PanelPreferences {
  try {
    const raw = window.localStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<PanelPreferences>) : {};
    return {
      library: parsed.library !== false,
      properties: parsed.properties !== false,
    };
  } catch {
    return DEFAULTS;
  }
}

/** Which side panels are open, remembered in this browser so the canvas keeps its room. */
export function usePanelPreferences() {
  const [panels, setPanels] = useState<PanelPreferences>(read);
  const toggle = useCallback((panel: keyof PanelPreferences) => {
    setPanels((current) => {
      const next = { ...current, [panel]: !current[panel] };
      try {
        window.localStorage.setItem(KEY, JSON.stringify(next));
      } catch {
        // Private windows may refuse storage; the toggle still works for this page.
      }
      return next;
    });
  }, []);
  return [panels, toggle] as const;
}
