/**
 * The first rows of a CSV (or TSV) file for the output preview: RFC 4180 quoting (quoted fields
 * with delimiters, doubled quotes and line breaks), CRLF or LF, a byte-order mark. The preview
 * gets only the head of a large file, so the last, possibly cut, row is left out when the text is
 * `truncated`. Pure.
 */

export interface CsvPreview {
  header: string[];
  rows: string[][];
  /** The widest row's cell count (rows may be ragged). */
  columns: number;
  /** More rows exist than are in `rows` (the row limit, or a cut file). */
  more: boolean;
}

export interface CsvOptions {
  delimiter?: string;
  /** Rows to return after the header. */
  maxRows?: number;
  /** The text is only the head of the file: its last row may be cut. */
  truncated?: boolean;
}

/** All records of `text` (at most `limit`), and whether the text ended inside a quoted field. */
export function parseCsvRecords(
  text: string,
  delimiter = ',',
  limit = Infinity,
): { records: string[][]; unterminated: boolean; complete: boolean } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    record = [];
    field = '';
    fieldStarted = false;
  };
  while (i < text.length) {
    if (records.length >= limit) return { records, unterminated: false, complete: false };
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        continue;
      }
      field += char;
      i += 1;
      continue;
    }
    if (char === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i += 1;
    } else if (char === delimiter) {
      record.push(field);
      field = '';
      fieldStarted = false;
      i += 1;
    } else if (char === '\r' || char === '\n') {
      endRecord();
      i += char === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += char;
      fieldStarted = true;
      i += 1;
    }
  }
  if (quoted) return { records, unterminated: true, complete: true };
  if (fieldStarted || record.length) endRecord();
  return { records, unterminated: false, complete: true };
}

/** The header and first `maxRows` rows of a CSV text (see the module docstring). */
export function previewCsv(text: string, options: CsvOptions = {}): CsvPreview {
  const { delimiter = ',', maxRows = 50, truncated = false } = options;
  const { records, unterminated, complete } = parseCsvRecords(text, delimiter, maxRows + 2);
  let rows = records.filter((r) => !(r.length === 1 && r[0] === ''));
  let more = !complete || unterminated;
  // A cut file: the last record may be partial unless the text ended with a line break.
  if (truncated && complete && !unterminated && !/[\r\n]$/.test(text) && rows.length > 1) {
    rows = rows.slice(0, -1);
    more = true;
  } else if (truncated) {
    more = true;
  }
  const [header = [], ...body] = rows;
  if (body.length > maxRows) more = true;
  const shown = body.slice(0, maxRows);
  const columns = Math.max(header.length, ...shown.map((r) => r.length), 0);
  return { header, rows: shown, columns, more };
}
