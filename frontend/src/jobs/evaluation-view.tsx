/**
 * Evaluate Model's interactive results, drawn from its scores.csv: for a classifier, ROC and
 * precision-recall curves of one class against the rest with a threshold slider that moves the
 * operating point and updates the confusion matrix, its counts and rates; for a regression, the
 * residuals against the predictions and their histogram.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { outputFileUrl } from './api';
import { BarChart, CurveChart, ScatterChart, shortNumber } from './charts';
import {
  confusionAt,
  histogram,
  oneVsRest,
  parseScores,
  residualsOf,
  rocAuc,
  sweep,
  type Scores,
} from './evaluation-math';
import { fetchText } from './explore-api';

export const SCORES_FILE = 'scores.csv';

function percent(value: number): string {
  return `${(100 * value).toFixed(1)} %`;
}

function Classification({ scores }: { scores: Scores }) {
  const classes = Object.keys(scores.probabilities);
  const [positiveClass, setPositiveClass] = useState(
    classes.length === 2 ? classes[1]! : classes[0]!,
  );
  const [threshold, setThreshold] = useState(0.5);
  const { scores: probabilities, positive } = useMemo(
    () => oneVsRest(scores, positiveClass),
    [scores, positiveClass],
  );
  const points = useMemo(() => sweep(probabilities, positive), [probabilities, positive]);
  const auc = useMemo(() => rocAuc(points), [points]);
  const at = confusionAt(probabilities, positive, threshold);
  const other =
    classes.length === 2 ? classes.find((c) => c !== positiveClass)! : `not ${positiveClass}`;
  const cells: [string, number, string][][] = [
    [
      ['tp', at.tp, `true positives: ${percent(at.tpr)} of actual ${positiveClass}`],
      ['fn', at.fn, 'false negatives'],
    ],
    [
      ['fp', at.fp, `false positives: ${percent(at.fpr)} of actual ${other}`],
      ['tn', at.tn, 'true negatives'],
    ],
  ];
  const actualTotals = [at.tp + at.fn, at.fp + at.tn];
  return (
    <div className="evaluation">
      <div className="evaluation__controls">
        {classes.length > 2 ? (
          <label className="small">
            Positive class{' '}
            <select value={positiveClass} onChange={(e) => setPositiveClass(e.target.value)}>
              {classes.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>{' '}
            <span className="muted">(against the rest)</span>
          </label>
        ) : (
          <span className="small">
            Positive class <strong>{positiveClass}</strong>
          </span>
        )}
        <div className="evaluation__threshold small">
          Threshold <output data-testid="threshold-value">{threshold.toFixed(2)}</output>
          <input
            type="range"
            min={0}
            max={1}
            step={0.01}
            value={threshold}
            aria-label="Threshold"
            onChange={(e) => setThreshold(Number(e.target.value))}
          />
        </div>
      </div>
      <div className="evaluation__charts">
        <figure>
          <CurveChart
            label={`ROC curve of ${positiveClass}`}
            points={points.map((p) => [p.fpr, p.tpr])}
            point={[at.fpr, at.tpr]}
            xLabel="false positive rate"
            yLabel="true positive rate"
            diagonal
          />
          <figcaption className="small">ROC · AUC {auc.toFixed(3)}</figcaption>
        </figure>
        <figure>
          <CurveChart
            label={`Precision-recall curve of ${positiveClass}`}
            points={points.map((p) => [p.tpr, p.precision])}
            point={[at.tpr, at.precision]}
            xLabel="recall"
            yLabel="precision"
          />
          <figcaption className="small">Precision-recall</figcaption>
        </figure>
      </div>
      <div className="evaluation__matrix-row">
        <table className="confusion" aria-label="Confusion matrix at the threshold">
          <thead>
            <tr>
              <td />
              <th scope="col">Predicted {positiveClass}</th>
              <th scope="col">Predicted {other}</th>
            </tr>
          </thead>
          <tbody>
            {cells.map((row, r) => (
              <tr key={r}>
                <th scope="row">Actual {r === 0 ? positiveClass : other}</th>
                {row.map(([key, count, title]) => (
                  <td
                    key={key}
                    className={`confusion__cell confusion__cell--${key === 'tp' || key === 'tn' ? 'right' : 'wrong'}`}
                    data-testid={`confusion-${key}`}
                    title={title}
                  >
                    <strong>{count}</strong>
                    <span className="small muted">
                      {actualTotals[r] ? percent(count / actualTotals[r]!) : '—'}
                    </span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <dl className="evaluation__rates">
          {(
            [
              ['Accuracy', at.accuracy],
              ['Precision', at.precision],
              ['Recall (TPR)', at.tpr],
              ['False positive rate', at.fpr],
              ['F1', at.f1],
            ] as const
          ).map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>{value.toFixed(3)}</dd>
            </div>
          ))}
        </dl>
      </div>
      <p className="muted small">
        A row is called {positiveClass} when its probability of {positiveClass} is at least the
        threshold; {scores.labels.length} rows.
      </p>
    </div>
  );
}

function Regression({ scores }: { scores: Scores }) {
  const { predicted, residuals } = useMemo(() => residualsOf(scores), [scores]);
  const bins = useMemo(() => histogram(residuals), [residuals]);
  if (!predicted.length) return <p className="muted small">No numeric rows to draw.</p>;
  return (
    <div className="evaluation__charts">
      <figure>
        <ScatterChart
          label="Residuals against predictions"
          xs={predicted}
          ys={residuals}
          xLabel="predicted value"
          yLabel="residual"
        />
        <figcaption className="small">Residual (true − predicted) vs predicted</figcaption>
      </figure>
      <figure>
        <BarChart
          label="Histogram of residuals"
          counts={bins.counts}
          labels={bins.edges.slice(0, -1).map(shortNumber)}
          xLabel="residual"
        />
        <figcaption className="small">Residuals, {residuals.length} rows</figcaption>
      </figure>
    </div>
  );
}

export function EvaluationView({
  job,
  step,
  output,
}: {
  job: string;
  step: string;
  output: string;
}) {
  const [scores, setScores] = useState<Scores | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const controller = new AbortController();
    fetchText(outputFileUrl(job, step, output, SCORES_FILE), controller.signal)
      .then((text) => setScores(parseScores(text)))
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      });
    return () => controller.abort();
  }, [job, step, output]);
  if (error) return <p className="message message--error small">{error}</p>;
  if (!scores) return <p className="muted small">Reading the scores…</p>;
  const isClassifier = Object.keys(scores.probabilities).length > 0;
  return (
    <section className="evaluation-view" aria-label="Evaluation">
      <h3 className="evaluation-view__title">
        {isClassifier ? 'Classifier evaluation' : 'Regression residuals'}
      </h3>
      {isClassifier ? <Classification scores={scores} /> : <Regression scores={scores} />}
    </section>
  );
}

/**
 * The evaluation opened large, in a modal dialog (the step panel is too short for its charts at
 * laptop sizes): the button sits on the output that holds scores.csv.
 */
export function EvaluationButton({
  job,
  step,
  output,
}: {
  job: string;
  step: string;
  output: string;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (open && dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, [open]);
  return (
    <>
      <button type="button" className="button button--small" onClick={() => setOpen(true)}>
        Open the evaluation (curves, threshold, confusion matrix)
      </button>
      {open ? (
        <dialog
          ref={ref}
          className="explorer-dialog"
          aria-label={`Evaluation of ${step}`}
          onClose={() => setOpen(false)}
        >
          <div className="explorer-dialog__head">
            <h2>
              Evaluation of <code>{step}</code>
            </h2>
            <button
              type="button"
              className="button button--small"
              onClick={() => setOpen(false)}
              autoFocus
            >
              Close
            </button>
          </div>
          <EvaluationView job={job} step={step} output={output} />
        </dialog>
      ) : null}
    </>
  );
}
