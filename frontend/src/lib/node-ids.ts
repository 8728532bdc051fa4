/**
 * Node ids double as the step names of the submitted pipeline, so they are readable
 * identifiers: `train_model`, `train_model_2`, `iris`.
 */

/** A lower-case identifier from any name: letters, digits and underscores, not starting with a digit. */
export function identifierFrom(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/_{2,}/g, '_');
  if (!cleaned) return 'node';
  return /^[0-9]/.test(cleaned) ? `n_${cleaned}` : cleaned;
}

/** `base` made into an identifier, with `_2`, `_3`… appended until no id in `taken` has it. */
export function uniqueNodeId(base: string, taken: ReadonlySet<string>): string {
  const stem = identifierFrom(base);
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const candidate = `${stem}_${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}
