/**
 * Names of pipeline parameters. They become the pipeline's input names in its YAML
 * (`${{parent.inputs.NAME}}`) and the fields of the submit form, so the server's rule applies:
 * letters, digits and underscores, not starting with a digit.
 */

export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_PARAMETER_NAME_LENGTH = 255;

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
  if (name.length > MAX_PARAMETER_NAME_LENGTH) {
    return `A name has at most ${MAX_PARAMETER_NAME_LENGTH} characters.`;
  }
  if (!PARAMETER_NAME.test(name)) {
    return 'Use letters, digits and _ only, and do not start with a digit.';
  }
  if (name !== current) {
    for (const other of names) {
      if (other === name) return `Another pipeline parameter is already called ${name}.`;
    }
  }
  return null;
}
