import { describe, expect, it } from 'vitest';
import { parseCsvRecords, previewCsv } from './csv';

describe('parseCsvRecords', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    const text = 'name,note\r\n"Smith, J","said ""hi"""\n"multi\nline",x\n';
    expect(parseCsvRecords(text).records).toEqual([
      ['name', 'note'],
      ['Smith, J', 'said "hi"'],
      ['multi\nline', 'x'],
    ]);
  });

  it('keeps empty fields and a last line without a line break', () => {
    expect(parseCsvRecords('a,,c\n,\nlast').records).toEqual([['a', '', 'c'], ['', ''], ['last']]);
  });

  it('skips a byte-order mark and reads other delimiters', () => {
    expect(parseCsvRecords('\ufeffa\tb\n1\t2', '\t').records).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('says when the text ends inside a quoted field, and stops at a limit', () => {
    const cut = parseCsvRecords('a,b\n1,"unfinished');
    expect(cut.unterminated).toBe(true);
    expect(cut.records).toEqual([['a', 'b']]);
    const limited = parseCsvRecords('1\n2\n3\n4\n', ',', 2);
    expect(limited.records).toEqual([['1'], ['2']]);
    expect(limited.complete).toBe(false);
  });
});

describe('previewCsv', () => {
  it('splits the header from the first rows', () => {
    const preview = previewCsv('species,count\nsetosa,50\n"versi, color",50\n');
    expect(preview).toEqual({
      header: ['species', 'count'],
      rows: [
        ['setosa', '50'],
        ['versi, color', '50'],
      ],
      columns: 2,
      more: false,
    });
  });

  it('keeps only the first rows and says there are more', () => {
    const text = ['n', ...Array.from({ length: 100 }, (_, i) => String(i))].join('\n');
    const preview = previewCsv(text, { maxRows: 10 });
    expect(preview.rows).toHaveLength(10);
    expect(preview.rows[9]).toEqual(['9']);
    expect(preview.more).toBe(true);
  });

  it('drops the possibly cut last row of a truncated head', () => {
    const preview = previewCsv('a,b\n1,2\n3,4\n5,', { truncated: true });
    expect(preview.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(preview.more).toBe(true);
    // Cut right after a line break: every row is whole.
    expect(previewCsv('a,b\n1,2\n', { truncated: true }).rows).toEqual([['1', '2']]);
    // Cut inside a quoted field.
    expect(previewCsv('a,b\n1,"x\ny', { truncated: true }).rows).toEqual([]);
  });

  it('handles ragged rows, blank lines, TSV and an empty file', () => {
    const ragged = previewCsv('a,b\n1\n\n1,2,3\n');
    expect(ragged.columns).toBe(3);
    expect(ragged.rows).toEqual([['1'], ['1', '2', '3']]);
    expect(previewCsv('x\ty\n1\t2', { delimiter: '\t' }).rows).toEqual([['1', '2']]);
    expect(previewCsv('')).toEqual({ header: [], rows: [], columns: 0, more: false });
  });
});
