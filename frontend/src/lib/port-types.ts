/**
 * Port types of components and data assets, which outputs may feed which inputs (the rules come
 * from the server, see rules.ts), and their colours.
 */
import { ASSET_TYPES, portTypesCompatible } from './rules';

/** Whether a port of this type is a data port (drawn as a handle) rather than a parameter. */
export function isAssetType(type: string): boolean {
  return ASSET_TYPES.includes(type);
}

/**
 * Whether an output of `outputType` may feed an input of `inputType`: the same type, or any
 * folder-like type (uri_folder, mltable, mlflow_model, custom_model) into another — the server's
 * rule (pipelines/rules.py).
 */
export function canFeed(outputType: string, inputType: string): boolean {
  return portTypesCompatible(outputType, inputType);
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
