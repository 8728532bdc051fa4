import { describe, expect, it } from 'vitest';
import {
  confusionAt,
  histogram,
  oneVsRest,
  parseScores,
  residualsOf,
  rocAuc,
  sweep,
} from './evaluation-math';

// Scores 0.9 0.8 0.7 0.6 0.55 0.4 for rows P P N P N N.
const SCORES = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4];
const POSITIVE = [true, true, false, true, false, false];

describe('confusionAt', () => {
  it('counts each cell and the rates at a threshold', () => {
    const at = confusionAt(SCORES, POSITIVE, 0.65);
    expect([at.tp, at.fp, at.tn, at.fn]).toEqual([2, 1, 2, 1]);
    expect(at.tpr).toBeCloseTo(2 / 3);
    expect(at.fpr).toBeCloseTo(1 / 3);
    expect(at.precision).toBeCloseTo(2 / 3);
    expect(at.accuracy).toBeCloseTo(4 / 6);
  });

  it('moves with the threshold: lower calls more rows positive', () => {
    const high = confusionAt(SCORES, POSITIVE, 0.95);
    const low = confusionAt(SCORES, POSITIVE, 0.5);
    expect([high.tp, high.fp, high.precision]).toEqual([0, 0, 1]);
    expect([low.tp, low.fp, low.tn, low.fn]).toEqual([3, 2, 1, 0]);
    expect(confusionAt(SCORES, POSITIVE, 0.6).tp).toBe(3); // >= the threshold is positive
  });
});

describe('sweep and rocAuc', () => {
  it('goes from nothing positive to everything positive and agrees with confusionAt', () => {
    const points = sweep(SCORES, POSITIVE);
    expect(points).toHaveLength(SCORES.length + 1);
    expect([points[0]!.tpr, points[0]!.fpr]).toEqual([0, 0]);
    expect([points.at(-1)!.tpr, points.at(-1)!.fpr]).toEqual([1, 1]);
    for (const point of points.slice(1)) {
      const direct = confusionAt(SCORES, POSITIVE, point.threshold);
      expect([point.tp, point.fp, point.tn, point.fn]).toEqual([
        direct.tp,
        direct.fp,
        direct.tn,
        direct.fn,
      ]);
    }
  });

  it('measures the area: 8 of the 9 positive-negative pairs are ordered right', () => {
    expect(rocAuc(sweep(SCORES, POSITIVE))).toBeCloseTo(8 / 9);
    expect(rocAuc(sweep([0.9, 0.1], [true, false]))).toBeCloseTo(1);
    expect(rocAuc(sweep([0.5, 0.5], [true, false]))).toBeCloseTo(0.5); // a tie is half
  });
});

describe('parseScores', () => {
  const text =
    'label,scored_label,scored_probability_a,scored_probability_b\n' +
    'a,a,0.8,0.2\nb,a,0.6,0.4\nb,b,x,0.9\nb,b,0.1,0.9\n';

  it('reads labels and class probabilities, leaving out unreadable rows', () => {
    const scores = parseScores(text);
    expect(scores.labels).toEqual(['a', 'b', 'b']);
    expect(scores.probabilities).toEqual({ a: [0.8, 0.6, 0.1], b: [0.2, 0.4, 0.9] });
    expect(oneVsRest(scores, 'b')).toEqual({
      scores: [0.2, 0.4, 0.9],
      positive: [false, true, true],
    });
  });

  it('refuses a file without label columns', () => {
    expect(() => parseScores('x,y\n1,2\n')).toThrow(/label and scored_label/);
  });
});

describe('residuals', () => {
  it('are true minus predicted, skipping non-numbers', () => {
    const scores = parseScores('label,scored_label\n3,2.5\n1,2\n,4\nx,1\n');
    expect(residualsOf(scores)).toEqual({ predicted: [2.5, 2], residuals: [0.5, -1] });
  });

  it('bin like the server: the last bin holds the maximum', () => {
    expect(histogram([1, 2, 3, 4, 10], 20).counts).toEqual([2, 2, 0, 0, 1]);
    expect(histogram([5, 5])).toEqual({ edges: [5, 5], counts: [2] });
  });
});
