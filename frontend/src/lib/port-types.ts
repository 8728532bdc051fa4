/**
 * Port types of components and data assets, and which outputs may feed which inputs.
 */

/** Types that carry data (files, folders, models) and travel along edges. */
export const ASSET_TYPES = [
  'uri_file',
  'uri_folder',
  'mltable',
  'mlflow_model',
  'custom_model',
] as const;

/** Types that are plain values set in the properties panel. */
export const LITERAL_TYPES = ['string', 'integer', 'number', 'boolean'] as const;

/** Output types a uri_folder input accepts besides uri_folder itself: they are folders too. */
const FOLDER_LIKE_OUTPUTS = new Set(['mltable', 'mlflow_model', 'custom_model']);

/** Whether a port of this type is a data port (drawn as a handle) rather than a parameter. */
export function isAssetType(type: string): boolean {
  return (ASSET_TYPES as readonly string[]).includes(type);
}

/**
 * Whether an output of `outputType` may feed an input of `inputType`: the same type, or a
 * folder-like output (mltable, mlflow_model, custom_model) into a uri_folder input.
 */
export function canFeed(outputType: string, inputType: string): boolean {
  if (outputType === inputType) return true;
  return inputType === 'uri_folder' && FOLDER_LIKE_OUTPUTS.has(outputType);
}

const PORT_COLORS: Record<string, string> = {
  uri_file: '#0d9488',
  uri_folder: '#16a34a',
  mltable: '#65a30d',
  mlflow_model: '#9333ea',
  custom_model: '#c026d3',
  string: '#ea580c',
  integer: '#2563eb',
  number: '#0284c7',
  boolean: '#db2777',
};

/** The colour of a port's handle and type pill; unknown types are grey. */
export function portColor(type: string): string {
  return PORT_COLORS[type] ?? '#64748b';
}
