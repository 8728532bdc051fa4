import type { ReactNode } from 'react';

/** A titled group of fields in the properties panel. */
export function PanelSection({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="panel-section" aria-label={title}>
      <h3 className="panel-section__title">{title}</h3>
      {children}
    </section>
  );
}
