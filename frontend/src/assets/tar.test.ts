import { describe, expect, it } from 'vitest';
import { checkTarPath, folderEntries, paxRecord, tarBlob } from './tar';

async function bytes(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

function text(block: Uint8Array, offset: number, width: number): string {
  return new TextDecoder().decode(block.subarray(offset, offset + width)).replace(/\0.*$/s, '');
}

describe('tarBlob', () => {
  it('writes a ustar header with a valid checksum, the data, and two zero blocks', async () => {
    const data = await bytes(tarBlob([{ path: 'a/b.csv', data: new Blob(['x,y\n1,2\n']) }], 0));
    expect(data.length).toBe(512 * 4);
    expect(text(data, 0, 100)).toBe('a/b.csv');
    expect(parseInt(text(data, 124, 12), 8)).toBe(8);
    expect(text(data, 257, 6)).toBe('ustar');
    const stored = parseInt(text(data, 148, 7), 8);
    const copy = data.slice(0, 512);
    copy.fill(32, 148, 156);
    expect(copy.reduce((sum, byte) => sum + byte, 0)).toBe(stored);
    expect(new TextDecoder().decode(data.subarray(512, 520))).toBe('x,y\n1,2\n');
    expect(data.subarray(1024).every((byte) => byte === 0)).toBe(true);
  });

  it('gives a path longer than 100 bytes a PAX record', async () => {
    const long = `${'d/'.repeat(60)}file.txt`;
    const data = await bytes(tarBlob([{ path: long, data: new Blob(['hi']) }], 0));
    expect(text(data, 156, 1)).toBe('x');
    const record = new TextDecoder().decode(data.subarray(512, 512 + 200)).split('\n')[0]!;
    expect(record.endsWith(`path=${long}`)).toBe(true);
    expect(text(data, 1024 + 156, 1)).toBe('0');
  });

  it('refuses absolute paths and ..', () => {
    expect(() => checkTarPath('/etc/passwd')).toThrow(/relative path/);
    expect(() => checkTarPath('a/../../b')).toThrow(/relative path/);
    expect(checkTarPath('./a/b')).toBe('a/b');
  });
});

describe('paxRecord', () => {
  it('counts its own length', () => {
    const record = new TextDecoder().decode(paxRecord('path', 'abc'));
    expect(record).toBe('12 path=abc\n');
    expect(record.length).toBe(12);
  });
});

describe('folderEntries', () => {
  it('drops the chosen folder from each path, sorted', () => {
    const file = (path: string) =>
      Object.assign(new File(['x'], path.split('/').pop()!), { webkitRelativePath: path });
    const entries = folderEntries([file('top/b.csv'), file('top/sub/a.csv')]);
    expect(entries.map((entry) => entry.path)).toEqual(['b.csv', 'sub/a.csv']);
  });
});
