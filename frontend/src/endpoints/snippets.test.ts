import { describe, expect, it } from 'vitest';
import { pythonLiteral, snippetBody, snippets } from './snippets';
import type { EndpointParameter } from './types';

const URL = 'http://studio.example/api/v1/endpoints/x/runs?version=2';

/** The words of a shell command line (single quotes and '\'' escapes, as the curl snippet uses). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  let inWord = false;
  const text = line.replace(/\\\n/g, ' ');
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === "'") quoted = false;
      else current += char;
    } else if (char === "'") {
      quoted = true;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

describe('snippets', () => {
  const body = { ParameterAssignments: { name: "it's", on: false, none: null, xs: [1, 2] } };

  it('writes a curl call a shell runs as is', () => {
    const words = shellWords(snippets(URL, body).curl);

    expect(words.slice(0, 4)).toEqual(['curl', '-X', 'POST', URL]);
    expect(words).toContain('Authorization: Bearer <YOUR-KEY>');
    expect(JSON.parse(words[words.indexOf('-d') + 1]!)).toEqual(body);
  });

  it('writes a Python call with Python literals, one key a line', () => {
    const { python } = snippets(URL, body);

    expect(python).toContain(`requests.post(\n    ${JSON.stringify(URL)},`);
    expect(python).toContain(
      [
        '    json={',
        '        "ParameterAssignments": {',
        '            "name": "it\'s",',
        '            "on": False,',
        '            "none": None,',
        '            "xs": [1, 2],',
        '        },',
        '    },',
      ].join('\n'),
    );
    expect(python).toContain('headers={"Authorization": "Bearer <YOUR-KEY>"}');
  });

  it('writes empty and scalar values', () => {
    expect(pythonLiteral({})).toBe('{}');
    expect(pythonLiteral(true)).toBe('True');
    expect(pythonLiteral('a"b')).toBe('"a\\"b"');
    expect(pythonLiteral(0.5)).toBe('0.5');
  });
});

describe('snippetBody', () => {
  const parameters: EndpointParameter[] = [
    { name: 'fraction', kind: 'value', type: 'number', default: 0.7 },
    { name: 'trees', kind: 'value', type: 'integer', default: null, required: true, min: 1 },
    { name: 'algo', kind: 'value', type: 'string', required: true, enum: ['a', 'b'] },
    { name: 'flag', kind: 'value', type: 'boolean', required: true },
    { name: 'note', kind: 'value', type: 'string', optional: true },
    { name: 'raw', kind: 'data', type: 'uri_file', required: true },
  ];

  it('gives every required value a sample so the snippet runs as written', () => {
    const body = { ExperimentName: 'e', ParameterAssignments: { fraction: 0.6 } };

    expect(snippetBody(parameters, body)).toEqual({
      ExperimentName: 'e',
      ParameterAssignments: { fraction: 0.6, trees: 1, algo: 'a', flag: true },
    });
  });

  it('keeps what the form sends, and the order experiment, parameters, data', () => {
    const body = {
      ExperimentName: 'e',
      DataPathAssignments: { raw: { DataAssetName: 'iris' } },
    };

    const result = snippetBody(parameters, body);

    expect(Object.keys(result)).toEqual([
      'ExperimentName',
      'ParameterAssignments',
      'DataPathAssignments',
    ]);
    const full = { ParameterAssignments: { trees: 3, algo: 'b', flag: false } };
    expect(snippetBody(parameters, full)).toBe(full);
  });
});

describe('snippets with a key', () => {
  it('use the key just created instead of the placeholder, in curl and Python', () => {
    const { curl, python } = snippets(URL, {}, 'sk_live_abc');
    expect(shellWords(curl)).toContain('Authorization: Bearer sk_live_abc');
    expect(python).toContain('"Bearer sk_live_abc"');
    expect(snippets(URL, {}).curl).toContain('Bearer <YOUR-KEY>');
  });
});
