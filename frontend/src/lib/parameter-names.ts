/**
 * Names of pipeline parameters. They become the pipeline's input names in its YAML
 * (`${{parent.inputs.NAME}}`) and the fields of the submit form, so the server's rule applies
 * (rules.ts): letters, digits and underscores, not starting with a digit, of any length.
 */
import { nameOk } from './rules';

/**
 * Why `name` cannot be the new name of the pipeline parameter `current`, or null when it can.
 * `names` are the pipeline's parameters now (with `current` among them).
 */
export function parameterNameProblem(
  name: string,
  current: string,
  names: Iterable<string>,
): string | null {
  if (name === '') return 'A pipeline parameter needs a name.';
  if (!nameOk('pipeline_input', name)) {
    return 'Use letters, digits and _ only, and do not start with a digit.';
  }
  if (name !== current) {
    for (const other of names) {
      if (other === name) return `Another pipeline parameter is already called ${name}.`;
    }
  }
  return null;
}
