import { useCallback } from 'react';
import { useDesignerStore } from './store';
import { useReadableFit } from './use-canvas-viewport';

const FALLBACK_SIZE = { width: 240, height: 120 };

/**
 * Arranges the steps top to bottom along their wires (notes stay put), then fits the view no
 * smaller than readable. The layout library loads on first use, so the page does not wait for it.
 */
export function useAutoLayout() {
  const fit = useReadableFit();
  return useCallback(async () => {
    const { layoutTopToBottom } = await import('../lib/auto-layout');
    const { nodes, edges, moveNodes } = useDesignerStore.getState();
    const steps = nodes.filter((n) => n.type !== 'comment');
    if (steps.length === 0) return;
    const positions = layoutTopToBottom(
      steps.map((n) => ({
        id: n.id,
        width: n.measured?.width ?? FALLBACK_SIZE.width,
        height: n.measured?.height ?? FALLBACK_SIZE.height,
      })),
      edges,
    );
    // Keep the laid-out graph where the old one began, so the view does not jump far away.
    const left = Math.min(...steps.map((n) => n.position.x));
    const top = Math.min(...steps.map((n) => n.position.y));
    const shifted = Object.fromEntries(
      Object.entries(positions).map(([id, p]) => [id, { x: p.x + left, y: p.y + top }]),
    );
    moveNodes(shifted);
    window.requestAnimationFrame(() => void fit({ duration: 300 }));
  }, [fit]);
}
