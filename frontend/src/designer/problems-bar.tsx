import { useReactFlow } from '@xyflow/react';
import { useDesignerStore } from './store';
import { useProblems } from './use-designer';

/** The problems of the last validation, each leading to its node. */
export function ProblemsBar() {
  const problems = useProblems();
  const setProblems = useDesignerStore((s) => s.setProblems);
  const selectNodes = useDesignerStore((s) => s.selectNodes);
  const { fitView } = useReactFlow();
  if (problems.length === 0) return null;
  return (
    <section className="problems-bar" aria-label="Validation problems">
      <div className="problems-bar__head">
        <strong>
          {problems.length} problem{problems.length === 1 ? '' : 's'}
        </strong>
        <button type="button" className="link-button" onClick={() => setProblems([])}>
          Dismiss
        </button>
      </div>
      <ul>
        {problems.map((p, i) => (
          <li key={i}>
            {p.node ? (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  selectNodes([p.node!]);
                  void fitView({ nodes: [{ id: p.node! }], duration: 300, maxZoom: 1 });
                }}
              >
                {p.node}
                {p.port ? ` · ${p.port}` : ''}
              </button>
            ) : (
              <span className="problems-bar__where">Pipeline{p.field ? ` · ${p.field}` : ''}</span>
            )}{' '}
            {p.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
