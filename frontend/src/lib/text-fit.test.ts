import { describe, expect, it } from 'vitest';
import { PORT_ROW_CHARS, clipped, mayOverflow, portNamesMayOverflow } from './text-fit';

describe('mayOverflow', () => {
  it('leaves short texts unclipped and clips longer ones', () => {
    expect(mayOverflow('Train Model', 17)).toBe(false);
    expect(mayOverflow('x'.repeat(17), 17)).toBe(false);
    expect(mayOverflow('x'.repeat(18), 17)).toBe(true);
  });
});

describe('portNamesMayOverflow', () => {
  it('fits the library steps whose names are short', () => {
    expect(
      portNamesMayOverflow(
        [{ name: 'dataset', required: true }],
        ['first_dataset', 'second_dataset'],
      ),
    ).toBe(false);
  });

  it('clips when the inputs cannot share the top row, or the outputs the bottom one', () => {
    expect(
      portNamesMayOverflow(
        [{ name: 'scored_dataset', required: true }, { name: 'scored_dataset_to_compare' }],
        ['evaluation_results'],
      ),
    ).toBe(true);
    expect(
      portNamesMayOverflow([{ name: 'dataset' }], ['transformed_dataset', 'saved_transform_x']),
    ).toBe(true);
  });

  it('counts the mark of a required input and the room between names', () => {
    const input = 'x'.repeat(PORT_ROW_CHARS - 1);
    expect(portNamesMayOverflow([{ name: input }], ['abcd'])).toBe(false);
    expect(portNamesMayOverflow([{ name: input, required: true }], ['abcd'])).toBe(false);
    expect(portNamesMayOverflow([{ name: input, required: true }, { name: 'a' }], [])).toBe(true);
    expect(portNamesMayOverflow([{ name: 'x'.repeat(PORT_ROW_CHARS), required: true }], [])).toBe(
      true,
    );
  });

  it('handles a card without inputs or outputs', () => {
    expect(portNamesMayOverflow([], ['data'])).toBe(false);
    expect(portNamesMayOverflow([], [])).toBe(false);
  });
});

describe('clipped', () => {
  it('adds is-clipped only when asked', () => {
    expect(clipped('studio-node__title', false)).toBe('studio-node__title');
    expect(clipped('studio-node__title', true)).toBe('studio-node__title is-clipped');
  });
});
