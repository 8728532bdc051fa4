import { act } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mountIslands } from './main';

function Hello({ who = 'world' }: { who?: string }) {
  return <p>hello {who}</p>;
}

describe('mountIslands', () => {
  afterEach(() => {
    document.body.innerHTML = '';
    vi.restoreAllMocks();
  });

  it('mounts registered islands with props from data-props', async () => {
    document.body.innerHTML = `<div data-island="hello" data-props='{"who": "studio"}'></div>`;
    let roots: ReturnType<typeof mountIslands> = [];
    await act(async () => {
      roots = mountIslands(document, { hello: Hello });
    });
    expect(document.body.textContent).toBe('hello studio');
    expect(roots).toHaveLength(1);
    // Mounting again is a no-op.
    expect(mountIslands(document, { hello: Hello })).toHaveLength(0);
    act(() => roots.forEach((r) => r.unmount()));
  });

  it('warns instead of throwing for unknown islands and bad props', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    document.body.innerHTML = `
      <div data-island="nope"></div>
      <div data-island="toString"></div>
      <div data-island="hello" data-props="{not json"></div>`;
    expect(() => mountIslands(document, { hello: Hello })).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(3);
    expect(String(warn.mock.calls[0]?.[0])).toContain('unknown island "nope"');
  });
});
