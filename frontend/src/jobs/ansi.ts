/**
 * ANSI escape sequences in log lines: SGR colours and styles become styled segments, every other
 * escape sequence (cursor moves, erase, OSC titles) is removed. Pure; the log view renders the
 * segments as spans with inline styles, never as HTML, so a log line cannot inject markup.
 */

export interface AnsiStyle {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

/** The 16 basic colours (a light-background palette close to VS Code's). */
export const BASIC_COLORS = [
  '#000000', // black
  '#cd3131', // red
  '#00bc00', // green
  '#949800', // yellow
  '#0451a5', // blue
  '#bc05bc', // magenta
  '#0598bc', // cyan
  '#555555', // white (dark enough to read on white)
  '#666666', // bright black
  '#cd3131', // bright red
  '#14ce14', // bright green
  '#b5ba00', // bright yellow
  '#0451a5', // bright blue
  '#bc05bc', // bright magenta
  '#0598bc', // bright cyan
  '#a5a5a5', // bright white
];

const CUBE_LEVELS = [0, 95, 135, 175, 215, 255];

function hex(r: number, g: number, b: number): string {
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  return `#${[r, g, b].map((v) => clamp(v).toString(16).padStart(2, '0')).join('')}`;
}

/** The colour of an xterm 256-colour index. */
export function color256(index: number): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index > 255) return undefined;
  if (index < 16) return BASIC_COLORS[index];
  if (index < 232) {
    const i = index - 16;
    return hex(
      CUBE_LEVELS[Math.floor(i / 36)]!,
      CUBE_LEVELS[Math.floor(i / 6) % 6]!,
      CUBE_LEVELS[i % 6]!,
    );
  }
  const grey = 8 + (index - 232) * 10;
  return hex(grey, grey, grey);
}

// CSI ... final byte, OSC ... BEL/ST, and two-character escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

/** Apply one SGR sequence's parameters to a style; returns the new style. */
export function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  let next: AnsiStyle = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (Number.isNaN(code)) continue;
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 7) next.inverse = true;
    else if (code === 9) next.strike = true;
    else if (code === 21 || code === 22) {
      delete next.bold;
      delete next.dim;
    } else if (code === 23) delete next.italic;
    else if (code === 24) delete next.underline;
    else if (code === 27) delete next.inverse;
    else if (code === 29) delete next.strike;
    else if (code >= 30 && code <= 37) next.fg = BASIC_COLORS[code - 30];
    else if (code === 39) delete next.fg;
    else if (code >= 40 && code <= 47) next.bg = BASIC_COLORS[code - 40];
    else if (code === 49) delete next.bg;
    else if (code >= 90 && code <= 97) next.fg = BASIC_COLORS[code - 90 + 8];
    else if (code >= 100 && code <= 107) next.bg = BASIC_COLORS[code - 100 + 8];
    else if (code === 38 || code === 48) {
      const key = code === 38 ? 'fg' : 'bg';
      const mode = codes[i + 1];
      if (mode === 5) {
        const value = color256(codes[i + 2] ?? -1);
        if (value) next[key] = value;
        i += 2;
      } else if (mode === 2) {
        const [r, g, b] = [codes[i + 2], codes[i + 3], codes[i + 4]];
        if (r !== undefined && g !== undefined && b !== undefined) next[key] = hex(r, g, b);
        i += 4;
      }
    }
  }
  return next;
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof AnsiStyle>;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

/**
 * The text of `input` as segments of one style each (adjacent equal styles merged, empty text
 * left out), starting from `initial`. Carriage returns keep only what was written after the last
 * one, as a terminal shows a progress bar's final state.
 */
export function parseAnsi(input: string, initial: AnsiStyle = {}): AnsiSegment[] {
  const text = input.includes('\r') ? lastCarriageSegment(input) : input;
  const segments: AnsiSegment[] = [];
  let style: AnsiStyle = initial;
  let start = 0;
  const push = (chunk: string) => {
    if (!chunk) return;
    const last = segments[segments.length - 1];
    if (last && sameStyle(last.style, style)) last.text += chunk;
    else segments.push({ text: chunk, style });
  };
  ESCAPE.lastIndex = 0;
  for (let match = ESCAPE.exec(text); match; match = ESCAPE.exec(text)) {
    push(text.slice(start, match.index));
    start = match.index + match[0].length;
    if (match[3] === 'm' && match[2] === '' && match[0].startsWith('\x1b[')) {
      style = applySgr(style, match[1] ?? '');
    }
  }
  push(text.slice(start));
  return segments;
}

function lastCarriageSegment(text: string): string {
  const trimmed = text.replace(/[\r\n]+$/, '');
  const cut = trimmed.lastIndexOf('\r');
  return cut === -1 ? trimmed : trimmed.slice(cut + 1);
}

/** The text without any escape sequence (what search matches against). */
export function stripAnsi(input: string): string {
  return parseAnsi(input)
    .map((s) => s.text)
    .join('');
}

/** Inline CSS for a segment's style (inverse swaps the colours). */
export function segmentCss(style: AnsiStyle): Record<string, string> | undefined {
  const css: Record<string, string> = {};
  const fg = style.inverse ? (style.bg ?? '#ffffff') : style.fg;
  const bg = style.inverse ? (style.fg ?? '#1b2030') : style.bg;
  if (fg) css.color = fg;
  if (bg) css.backgroundColor = bg;
  if (style.bold) css.fontWeight = '700';
  if (style.dim) css.opacity = '0.7';
  if (style.italic) css.fontStyle = 'italic';
  const lines = [style.underline ? 'underline' : '', style.strike ? 'line-through' : '']
    .filter(Boolean)
    .join(' ');
  if (lines) css.textDecoration = lines;
  return Object.keys(css).length ? css : undefined;
}

export interface MarkedSegment extends AnsiSegment {
  /** Part of a search match. */
  mark: boolean;
}

/**
 * `segments` split where `query` (case-insensitive) matches their joined text, so matches can be
 * highlighted without losing colours. An empty query marks nothing.
 */
export function markMatches(segments: readonly AnsiSegment[], query: string): MarkedSegment[] {
  if (!query) return segments.map((s) => ({ ...s, mark: false }));
  const plain = segments.map((s) => s.text).join('');
  const haystack = plain.toLowerCase();
  const needle = query.toLowerCase();
  const ranges: [number, number][] = [];
  for (
    let at = haystack.indexOf(needle);
    at !== -1;
    at = haystack.indexOf(needle, at + needle.length)
  ) {
    ranges.push([at, at + needle.length]);
  }
  if (!ranges.length) return segments.map((s) => ({ ...s, mark: false }));
  const result: MarkedSegment[] = [];
  let offset = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    let cursor = offset;
    for (const [from, to] of ranges) {
      if (to <= cursor || from >= end) continue;
      const a = Math.max(from, cursor);
      const b = Math.min(to, end);
      if (a > cursor)
        result.push({ text: plain.slice(cursor, a), style: segment.style, mark: false });
      result.push({ text: plain.slice(a, b), style: segment.style, mark: true });
      cursor = b;
    }
    if (cursor < end)
      result.push({ text: plain.slice(cursor, end), style: segment.style, mark: false });
    offset = end;
  }
  return result;
}
