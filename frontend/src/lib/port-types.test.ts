import { describe, expect, it } from 'vitest';
import { canFeed, isAssetType, portColor } from './port-types';

describe('canFeed', () => {
  it.each(['uri_file', 'uri_folder', 'mltable', 'string', 'integer'])(
    'accepts the same type (%s)',
    (type) => {
      expect(canFeed(type, type)).toBe(true);
    },
  );

  it.each(['mltable', 'mlflow_model', 'custom_model'])(
    'lets a uri_folder input take %s',
    (type) => {
      expect(canFeed(type, 'uri_folder')).toBe(true);
    },
  );

  it('refuses a folder into a file input and a file into a folder input', () => {
    expect(canFeed('uri_folder', 'uri_file')).toBe(false);
    expect(canFeed('uri_file', 'uri_folder')).toBe(false);
  });

  it('lets any folder-like output feed any folder-like input, as the compiler does', () => {
    expect(canFeed('uri_folder', 'mltable')).toBe(true);
    expect(canFeed('mltable', 'mlflow_model')).toBe(true);
    expect(canFeed('uri_file', 'mltable')).toBe(false);
  });

  it('keeps parameters apart: integer does not feed number or string', () => {
    expect(canFeed('integer', 'number')).toBe(false);
    expect(canFeed('integer', 'string')).toBe(false);
  });
});

describe('isAssetType', () => {
  it('tells data ports from parameters', () => {
    expect(isAssetType('uri_folder')).toBe(true);
    expect(isAssetType('mlflow_model')).toBe(true);
    expect(isAssetType('string')).toBe(false);
    expect(isAssetType('boolean')).toBe(false);
  });
});

describe('portColor', () => {
  it('gives known types distinct colours and unknown ones grey', () => {
    expect(portColor('uri_file')).not.toBe(portColor('uri_folder'));
    expect(portColor('something_else')).toBe('#64748b');
  });
});
