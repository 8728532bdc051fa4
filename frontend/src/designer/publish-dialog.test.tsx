import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PublishButton, PublishDialog, suggestedEndpointName } from './publish-dialog';
import { useDesignerStore } from './store';

describe('suggestedEndpointName', () => {
  it.each([
    ['Split iris', 'split-iris'],
    ['Split iris for partners', 'split-iris-for-partners'],
    ['My_pipeline (v2)!', 'my-pipeline-v2'],
    ['--', ''],
    ['Ünïcode', 'unicode'],
    ['a'.repeat(120), 'a'.repeat(100)],
  ])('makes %j into %j, as the server does', (name, expected) => {
    expect(suggestedEndpointName(name)).toBe(expected);
  });
});

describe('the toolbar Publish button', () => {
  const initial = useDesignerStore.getState();
  afterEach(() => useDesignerStore.setState(initial, true));

  function withDraft(saveStatus: 'saved' | 'dirty' | 'saving', id: number | null = 7) {
    useDesignerStore.setState({
      draft: { id, name: 'Split iris', revision: 3, lastJobName: null },
      saveStatus,
    });
    render(<PublishButton />);
    return screen.getByRole('button', { name: 'Publish' });
  }

  it('publishes only a saved draft', () => {
    expect((withDraft('saved') as HTMLButtonElement).disabled).toBe(false);
  });

  it.each(['dirty', 'saving'] as const)('asks to save first while the draft is %s', (status) => {
    const button = withDraft(status);

    expect((button as HTMLButtonElement).disabled).toBe(true);
    expect(button.title).toMatch(/^Save first/);
  });

  it('is off for a canvas that is not a draft', () => {
    expect((withDraft('saved', null) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('the publish dialog', () => {
  const initial = useDesignerStore.getState();
  afterEach(() => {
    useDesignerStore.setState(initial, true);
    vi.unstubAllGlobals();
  });

  it("refuses a name the server's rule refuses before anything is sent", () => {
    const requests: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init?: RequestInit) => {
        requests.push(`${init?.method ?? 'GET'} ${url}`);
        return Promise.resolve(
          new Response('{"results": []}', {
            status: 200,
            headers: { 'Content-Type': 'application/json' },
          }),
        );
      }),
    );
    useDesignerStore.setState({
      draft: { id: 7, name: 'Split iris', revision: 3, lastJobName: null },
      saveStatus: 'saved',
    });
    render(<PublishDialog draftId={7} draftName="Split iris" onClose={() => undefined} />);

    fireEvent.change(screen.getByLabelText('Endpoint name'), { target: { value: 'Not A Name' } });
    fireEvent.submit(screen.getByLabelText('Endpoint name').closest('form')!);

    expect(screen.getByText(/lowercase letters, digits and “-”, starting/)).toBeTruthy();
    expect(requests.filter((request) => request.startsWith('POST'))).toEqual([]);
  });
});
