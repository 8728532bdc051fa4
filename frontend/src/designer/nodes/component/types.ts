import type { ComponentNode } from '../../../lib/draft-graph';
import type { ComponentDefinition } from '../../catalog-store';

export type { ComponentNode, ComponentNodeData } from '../../../lib/draft-graph';

/** What each section of a component node's settings panel gets (parameters, data inputs). */
export interface SectionProps {
  node: ComponentNode;
  definition: ComponentDefinition;
  problemOf: (port: string) => string | undefined;
}
