import type { CSSProperties } from 'react';
import { portColor } from '../../lib/port-types';

/** A port type in the site's pill style, tinted with the port's colour. */
export function TypePill({ type }: { type: string }) {
  return (
    <span className="port-type" style={{ '--port-color': portColor(type) } as CSSProperties}>
      {type}
    </span>
  );
}
