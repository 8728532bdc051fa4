import type { ValidationProblem } from '../api';

/** The problems of one node as a tooltip text. */
export function problemTitle(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => (p.port ? `${p.port}: ${p.message}` : p.message)).join('\n');
}

/** The validation problems of one node, listed under its card. */
export function NodeProblems({ problems }: { problems: readonly ValidationProblem[] }) {
  return (
    <ul className="studio-node__problems" aria-label="Problems">
      {problems.map((p, i) => (
        <li key={i}>
          {p.port ? <code>{p.port}</code> : null} {p.message}
        </li>
      ))}
    </ul>
  );
}
