import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EvaluationView } from './evaluation-view';

// Positive class b: probabilities 0.9 0.8 0.7 0.6 0.55 0.4 for rows b b a b a a.
const SCORES =
  'label,scored_label,scored_probability_a,scored_probability_b\n' +
  'b,b,0.1,0.9\nb,b,0.2,0.8\na,b,0.3,0.7\nb,b,0.4,0.6\na,b,0.45,0.55\na,a,0.6,0.4\n';

function cells() {
  return ['tp', 'fn', 'fp', 'tn'].map(
    (key) => screen.getByTestId(`confusion-${key}`).querySelector('strong')!.textContent,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("Evaluate Model's view", () => {
  it('updates the confusion matrix as the threshold moves', async () => {
    const fetched = vi.fn(() => Promise.resolve(new Response(SCORES)));
    vi.stubGlobal('fetch', fetched);
    render(<EvaluationView job="j1" step="evaluate" output="evaluation" />);
    await screen.findByText('Classifier evaluation');
    expect(fetched.mock.calls[0]).toContain(
      '/api/v1/jobs/j1/steps/evaluate/outputs/evaluation/scores.csv',
    );
    expect(screen.getByText('b')).toBeTruthy(); // binary: the second class is positive
    expect(cells()).toEqual(['3', '0', '2', '1']); // threshold 0.5
    fireEvent.change(screen.getByRole('slider', { name: 'Threshold' }), {
      target: { value: '0.65' },
    });
    expect(screen.getByTestId('threshold-value').textContent).toBe('0.65');
    expect(cells()).toEqual(['2', '1', '1', '2']);
    expect(screen.getByText('ROC · AUC 0.889')).toBeTruthy();
  });

  it('draws residuals for a regression', async () => {
    vi.stubGlobal('fetch', () =>
      Promise.resolve(new Response('label,scored_label\n3,2.5\n1,2\n4,4\n')),
    );
    render(<EvaluationView job="j1" step="evaluate" output="evaluation" />);
    await screen.findByText('Regression residuals');
    expect(screen.getByRole('img', { name: 'Residuals against predictions' })).toBeTruthy();
    expect(screen.getByText('Residuals, 3 rows')).toBeTruthy();
  });
});
