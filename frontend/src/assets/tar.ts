/**
 * A plain (uncompressed) POSIX tar of files chosen in the browser: the registry API takes folders
 * as tar, tar.gz or zip archives (the CLI sends .tar.gz). Paths longer than ustar's name field
 * get a PAX `path` record, as Python's tarfile writes them.
 */

export interface TarEntry {
  /** Path inside the archive, '/'-separated, relative (no leading '/'). */
  path: string;
  data: Blob;
}

const BLOCK = 512;
const encoder = new TextEncoder();

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: string, mtime: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, width: number) => {
    block.set(encoder.encode(text).subarray(0, width), offset);
  };
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put('        ', 148, 8); // the checksum counts its own field as spaces
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return block;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

/** A PAX record `"<len> path=<value>\n"`, whose length counts its own digits. */
export function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (bodyLength + String(length).length !== length) length = bodyLength + String(length).length;
  return encoder.encode(`${length}${body}`);
}

/** Refuses what the server would refuse anyway, before uploading: absolute paths and `..`. */
export function checkTarPath(path: string): string {
  const clean = path.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!clean || clean.startsWith('/') || clean.split('/').includes('..')) {
    throw new Error(`${path}: not a relative path inside the folder`);
  }
  return clean;
}

/** The entries as one tar Blob (headers, file data, two zero blocks at the end). */
export function tarBlob(entries: TarEntry[], mtime = Math.floor(Date.now() / 1000)): Blob {
  const parts: BlobPart[] = [];
  for (const entry of entries) {
    const path = checkTarPath(entry.path);
    if (encoder.encode(path).length > 100) {
      const record = paxRecord('path', path);
      parts.push(header('PaxHeader', record.length, 'x', mtime) as BlobPart);
      parts.push(record as BlobPart, padding(record.length) as BlobPart);
    }
    parts.push(header(path, entry.data.size, '0', mtime) as BlobPart);
    parts.push(entry.data, padding(entry.data.size) as BlobPart);
  }
  parts.push(new Uint8Array(BLOCK * 2) as BlobPart);
  return new Blob(parts, { type: 'application/x-tar' });
}

/** The files of an `<input webkitdirectory>` as entries relative to the chosen folder. */
export function folderEntries(files: Iterable<File>): TarEntry[] {
  const entries: TarEntry[] = [];
  for (const file of files) {
    const relative =
      (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    const parts = relative.split('/');
    entries.push({ path: parts.length > 1 ? parts.slice(1).join('/') : relative, data: file });
  }
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}
