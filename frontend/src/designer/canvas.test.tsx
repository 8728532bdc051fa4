import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DesignerCanvas } from './canvas';
import { useDesignerStore } from './store';

const EMPTY_TEXT = 'Drag components from the library onto the canvas';

describe('DesignerCanvas', () => {
  afterEach(() => {
    useDesignerStore.getState().reset();
  });

  it('shows the empty state when there are no nodes', () => {
    render(<DesignerCanvas />);
    expect(screen.getByText(EMPTY_TEXT)).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain(EMPTY_TEXT);
  });

  it('shows the draft name when given', () => {
    render(<DesignerCanvas draftName="Churn model v2" />);
    expect(screen.getByRole('heading', { name: 'Churn model v2' })).toBeTruthy();
  });

  it('hides the empty state once a node exists, and shows it again when cleared', () => {
    useDesignerStore
      .getState()
      .setGraph([{ id: 'n1', position: { x: 0, y: 0 }, data: { label: 'Load CSV' } }], []);
    render(<DesignerCanvas />);
    expect(screen.queryByText(EMPTY_TEXT)).toBeNull();

    act(() => useDesignerStore.getState().reset());
    expect(screen.getByText(EMPTY_TEXT)).toBeTruthy();
  });
});
