import { describe, expect, it } from 'vitest';
import {
  BASIC_COLORS,
  applySgr,
  color256,
  markMatches,
  parseAnsi,
  segmentCss,
  stripAnsi,
} from './ansi';

const ESC = '\x1b';

describe('parseAnsi', () => {
  it('returns plain text as one unstyled segment', () => {
    expect(parseAnsi('hello world')).toEqual([{ text: 'hello world', style: {} }]);
    expect(parseAnsi('')).toEqual([]);
  });

  it('colours text with the basic and bright colours and resets', () => {
    const segments = parseAnsi(`${ESC}[31merror${ESC}[0m: ${ESC}[92mok${ESC}[39m done`);
    expect(segments).toEqual([
      { text: 'error', style: { fg: BASIC_COLORS[1] } },
      { text: ': ', style: {} },
      { text: 'ok', style: { fg: BASIC_COLORS[10] } },
      { text: ' done', style: {} },
    ]);
  });

  it('combines styles in one sequence and turns them off one by one', () => {
    const segments = parseAnsi(`${ESC}[1;4;33;44mA${ESC}[22mB${ESC}[24;49mC${ESC}[mD`);
    expect(segments).toEqual([
      {
        text: 'A',
        style: { bold: true, underline: true, fg: BASIC_COLORS[3], bg: BASIC_COLORS[4] },
      },
      { text: 'B', style: { underline: true, fg: BASIC_COLORS[3], bg: BASIC_COLORS[4] } },
      { text: 'C', style: { fg: BASIC_COLORS[3] } },
      { text: 'D', style: {} },
    ]);
  });

  it('reads 256-colour and true-colour sequences', () => {
    expect(parseAnsi(`${ESC}[38;5;196mred`)[0]?.style.fg).toBe('#ff0000');
    expect(parseAnsi(`${ESC}[48;5;244mgrey`)[0]?.style.bg).toBe('#808080');
    expect(parseAnsi(`${ESC}[38;2;10;20;300mx`)[0]?.style.fg).toBe('#0a14ff');
    expect(color256(2)).toBe(BASIC_COLORS[2]);
    expect(color256(16)).toBe('#000000');
    expect(color256(231)).toBe('#ffffff');
    expect(color256(256)).toBeUndefined();
  });

  it('removes other escape sequences: cursor moves, erase, OSC titles, lone escapes', () => {
    expect(stripAnsi(`${ESC}[2K${ESC}[1Gprogress${ESC}]0;title${ESC}\\ 50%${ESC}[?25l${ESC}`)).toBe(
      'progress 50%',
    );
    expect(stripAnsi(`${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\`)).toBe('link');
  });

  it('keeps what follows the last carriage return, like a terminal', () => {
    expect(stripAnsi('10%\r50%\r100%')).toBe('100%');
    expect(stripAnsi('done\r\n')).toBe('done');
  });

  it('never produces markup: tags in a log line stay text', () => {
    const segments = parseAnsi(`<img src=x onerror=alert(1)>${ESC}[31m<b>`);
    expect(segments.map((s) => s.text).join('')).toBe('<img src=x onerror=alert(1)><b>');
  });

  it('ignores unknown and malformed codes', () => {
    expect(applySgr({ bold: true }, '999')).toEqual({ bold: true });
    expect(applySgr({}, '38;5')).toEqual({});
    expect(applySgr({ fg: '#fff' }, '')).toEqual({});
  });
});

describe('segmentCss', () => {
  it('turns styles into inline CSS, swapping colours for inverse', () => {
    expect(segmentCss({})).toBeUndefined();
    expect(segmentCss({ fg: '#f00', bold: true, underline: true, strike: true })).toEqual({
      color: '#f00',
      fontWeight: '700',
      textDecoration: 'underline line-through',
    });
    expect(segmentCss({ fg: '#f00', inverse: true })).toEqual({
      color: '#ffffff',
      backgroundColor: '#f00',
    });
  });
});

describe('markMatches', () => {
  it('marks every case-insensitive match, across coloured segments', () => {
    const segments = parseAnsi(`Err${ESC}[31mor: eRRor${ESC}[0m end`);
    const marked = markMatches(segments, 'error');
    expect(marked.filter((s) => s.mark).map((s) => s.text)).toEqual(['Err', 'or', 'eRRor']);
    expect(marked.map((s) => s.text).join('')).toBe('Error: eRRor end');
    expect(marked.find((s) => s.text === 'or')?.style.fg).toBe(BASIC_COLORS[1]);
  });

  it('marks nothing without a query or a match', () => {
    const segments = parseAnsi('hello');
    expect(markMatches(segments, '')).toEqual([{ text: 'hello', style: {}, mark: false }]);
    expect(markMatches(segments, 'zzz')).toEqual([{ text: 'hello', style: {}, mark: false }]);
  });
});
