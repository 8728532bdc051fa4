/**
 * Which pipeline component the designer is looking into: the trail from the draft's node to the
 * innermost component opened (the breadcrumb). Browsing never touches the draft's store.
 */
import { create } from 'zustand';

export interface TrailStep {
  /** "NAME:VERSION" of the pipeline component opened. */
  ref: string;
  /** What the breadcrumb says: the node's display name or step name. */
  label: string;
}

interface BrowseState {
  trail: TrailStep[];
  /** Opens a node of the draft: the trail starts again from it. */
  open: (step: TrailStep) => void;
  /** Opens a pipeline component seen inside the one shown now. */
  openNested: (step: TrailStep) => void;
  /** Goes back to the trail's `index`-th component; a negative index closes (back to the draft). */
  goTo: (index: number) => void;
  close: () => void;
}

export const useBrowseStore = create<BrowseState>()((set) => ({
  trail: [],
  open: (step) => set({ trail: [step] }),
  openNested: (step) => set((s) => ({ trail: [...s.trail, step] })),
  goTo: (index) => set((s) => ({ trail: index < 0 ? [] : s.trail.slice(0, index + 1) })),
  close: () => set({ trail: [] }),
}));

export const useTrail = () => useBrowseStore((s) => s.trail);
