/**
 * The arithmetic behind Evaluate Model's interactive view, from its scores.csv (per row: `label`,
 * `scored_label` and, for classifiers, `scored_probability_<class>`): ROC and precision-recall
 * curves of one class against the rest, the confusion matrix at a threshold, and a regression's
 * residuals. Pure.
 */
import { parseCsvRecords } from './csv';

const PROBABILITY = 'scored_probability_';

export interface Scores {
  labels: string[];
  predicted: string[];
  /** Class name → its probability per row (classifiers only). */
  probabilities: Record<string, number[]>;
}

/** scores.csv as columns; rows with an unreadable probability are left out. */
export function parseScores(text: string): Scores {
  const { records } = parseCsvRecords(text);
  const [header = [], ...rows] = records.filter((r) => !(r.length === 1 && r[0] === ''));
  const label = header.indexOf('label');
  const predicted = header.indexOf('scored_label');
  if (label < 0 || predicted < 0)
    throw new Error('scores.csv needs label and scored_label columns');
  const classes = header
    .map((name, index) => ({ name: name.slice(PROBABILITY.length), index }))
    .filter((_, index) => header[index]!.startsWith(PROBABILITY));
  const scores: Scores = { labels: [], predicted: [], probabilities: {} };
  for (const { name } of classes) scores.probabilities[name] = [];
  for (const row of rows) {
    const values = classes.map(({ index }) => Number(row[index]));
    if (values.some((v) => !Number.isFinite(v))) continue;
    scores.labels.push(row[label] ?? '');
    scores.predicted.push(row[predicted] ?? '');
    classes.forEach(({ name }, i) => scores.probabilities[name]!.push(values[i]!));
  }
  return scores;
}

export interface Confusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Recall, true-positive rate. */
  tpr: number;
  fpr: number;
  /** 1 when nothing is predicted positive (no false alarms). */
  precision: number;
  accuracy: number;
  f1: number;
}

/** Counts and rates when a row is called positive at `score >= threshold`. */
export function confusionAt(scores: number[], positive: boolean[], threshold: number): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  scores.forEach((score, i) => {
    const called = score >= threshold;
    if (called && positive[i]) tp += 1;
    else if (called) fp += 1;
    else if (positive[i]) fn += 1;
    else tn += 1;
  });
  const tpr = tp + fn ? tp / (tp + fn) : 0;
  const precision = tp + fp ? tp / (tp + fp) : 1;
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    tpr,
    fpr: fp + tn ? fp / (fp + tn) : 0,
    precision,
    accuracy: scores.length ? (tp + tn) / scores.length : 0,
    f1: precision + tpr ? (2 * precision * tpr) / (precision + tpr) : 0,
  };
}

/** The confusion at each distinct score (descending), from "nothing positive" to "all positive". */
export function sweep(scores: number[], positive: boolean[]): Confusion[] {
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const total = positive.filter(Boolean).length;
  const negatives = scores.length - total;
  const points: Confusion[] = [confusionFrom(Infinity, 0, 0, total, negatives)];
  let tp = 0;
  let fp = 0;
  let k = 0;
  for (const threshold of thresholds) {
    while (k < order.length && scores[order[k]!]! >= threshold) {
      if (positive[order[k]!]) tp += 1;
      else fp += 1;
      k += 1;
    }
    points.push(confusionFrom(threshold, tp, fp, total, negatives));
  }
  return points;
}

function confusionFrom(
  threshold: number,
  tp: number,
  fp: number,
  total: number,
  negatives: number,
) {
  const fn = total - tp;
  const tn = negatives - fp;
  const tpr = total ? tp / total : 0;
  const precision = tp + fp ? tp / (tp + fp) : 1;
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    tpr,
    fpr: negatives ? fp / negatives : 0,
    precision,
    accuracy: total + negatives ? (tp + tn) / (total + negatives) : 0,
    f1: precision + tpr ? (2 * precision * tpr) / (precision + tpr) : 0,
  };
}

/** Area under the ROC curve (trapezoids over the sweep). */
export function rocAuc(points: Confusion[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1]!;
    const b = points[i]!;
    area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
  }
  return area;
}

/** One class against the rest: its probabilities and which rows truly are it. */
export function oneVsRest(scores: Scores, positiveClass: string) {
  return {
    scores: scores.probabilities[positiveClass] ?? [],
    positive: scores.labels.map((label) => label === positiveClass),
  };
}

export interface Residuals {
  predicted: number[];
  residuals: number[];
}

/** true − predicted per row, for rows where both are numbers. */
export function residualsOf(scores: Scores): Residuals {
  const result: Residuals = { predicted: [], residuals: [] };
  scores.labels.forEach((label, i) => {
    const truth = Number(label);
    const guess = Number(scores.predicted[i]);
    if (label.trim() === '' || !Number.isFinite(truth) || !Number.isFinite(guess)) return;
    result.predicted.push(guess);
    result.residuals.push(truth - guess);
  });
  return result;
}

/** Equal-width bins from min to max (the last holds max), as the table statistics draw them. */
export function histogram(values: number[], bins = 20): { edges: number[]; counts: number[] } {
  if (!values.length) return { edges: [], counts: [] };
  const low = Math.min(...values);
  const high = Math.max(...values);
  if (low === high) return { edges: [low, high], counts: [values.length] };
  const n = Math.min(bins, new Set(values).size);
  const width = (high - low) / n;
  const counts = new Array<number>(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - low) / width))]! += 1;
  return { edges: [...counts.map((_, i) => low + i * width), high], counts };
}
