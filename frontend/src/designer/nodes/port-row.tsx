import { Handle, Position } from '@xyflow/react';
import type { CSSProperties } from 'react';
import { portColor } from '../../lib/port-types';

interface PortRowProps {
  port: string;
  type: string;
  side: 'input' | 'output';
  required?: boolean;
  problem?: string;
}

/**
 * One labelled port of a node card, coloured by type, with its handle on the card's edge: the top
 * edge for an input, the bottom one for an output (wires run downwards).
 */
export function PortRow({ port, type, side, required = false, problem }: PortRowProps) {
  const style = { '--port-color': portColor(type) } as CSSProperties;
  const title = `${port} (${type}${required ? ', required' : ''})${problem ? `: ${problem}` : ''}`;
  return (
    <li
      className={`node-port node-port--${side}${problem ? ' node-port--problem' : ''}`}
      style={style}
      title={title}
    >
      <Handle
        type={side === 'input' ? 'target' : 'source'}
        position={side === 'input' ? Position.Top : Position.Bottom}
        id={port}
        className="node-handle"
        aria-label={`${side === 'input' ? 'Input' : 'Output'} ${port} (${type})`}
      />
      <span className="node-port__label">
        <span className="node-port__name">{port}</span>
        {required ? (
          <span className="node-port__required" aria-hidden="true">
            *
          </span>
        ) : null}
      </span>
    </li>
  );
}
