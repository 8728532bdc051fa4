/**
 * Port types of components and data assets, which outputs may feed which inputs (the rules come
 * from the server, see rules.ts), and their colours.
 */
import { ASSET_TYPES, dataFits, portTypesCompatible } from './rules';

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

/** Whether a data node's asset of `dataType` may feed an input of `inputType` (see `dataFits`). */
export function canFeedData(dataType: string, inputType: string): boolean {
  return dataFits(dataType, inputType);
}

/** Types a table travels as: a CSV file, a folder holding data.csv, an MLTable folder. */
export const TABLE_TYPES: readonly string[] = ['uri_file', 'uri_folder', 'mltable'];

/**
 * What to do instead of a wire the types refuse, in words; `fromData` when the source is a data
 * asset node. Null when there is nothing better to say than "the types do not match".
 */
export function feedHint(outputType: string, inputType: string, fromData: boolean): string | null {
  if (outputType === 'uri_file' && (inputType === 'uri_folder' || inputType === 'mltable')) {
    return 'Put Import CSV between them: it reads the file into a table folder.';
  }
  if (inputType === 'uri_file' && TABLE_TYPES.includes(outputType)) {
    return fromData
      ? 'This input reads a single file: use a uri_file data asset (a CSV file).'
      : 'This input reads a single file, and that output is a folder: connect it to a table input instead.';
  }
  if (inputType === 'mlflow_model' || inputType === 'custom_model') {
    return 'This input takes a model: connect the model output of Train Model, or a registered model.';
  }
  if (outputType === 'mlflow_model' || outputType === 'custom_model') {
    return 'That output is a model: connect it to a model input, such as Score Model · model.';
  }
  return null;
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
