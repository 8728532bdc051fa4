import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ArtifactList, type ArtifactListing } from './artifacts-view';

const listing: ArtifactListing = {
  step: 'main',
  reused_from: null,
  files: [
    {
      path: 'logs/run.log',
      size: 23,
      download: '/api/v1/jobs/j1/steps/main/artifacts/logs/run.log',
    },
    {
      path: 'outputs/metrics.json',
      size: 2048,
      download: '/api/v1/jobs/j1/steps/main/artifacts/outputs/metrics.json',
    },
  ],
  skipped: [],
};

describe("a step's outputs + logs", () => {
  it('lists every file with its size and download link', () => {
    render(<ArtifactList listing={listing} status="Failed" />);
    const link = screen.getByRole('link', { name: 'Download outputs/metrics.json' });
    expect(link.getAttribute('href')).toBe(
      '/api/v1/jobs/j1/steps/main/artifacts/outputs/metrics.json',
    );
    expect(screen.getByText('logs/run.log')).toBeTruthy();
    expect(screen.getByText('2.0 kB')).toBeTruthy();
  });

  it('says what was left out, and which run a reused step shows', () => {
    render(
      <ArtifactList
        listing={{
          ...listing,
          reused_from: 'j0/main',
          skipped: [
            {
              path: 'outputs/passwd',
              reason: 'a symbolic link (to /etc/passwd); links are not followed',
            },
          ],
        }}
        status="Completed"
      />,
    );
    expect(screen.getByText(/From the run this step reused, j0\/main/)).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Left out' }).textContent).toContain(
      'outputs/passwd left out: a symbolic link (to /etc/passwd); links are not followed',
    );
  });

  it('tells an ended step that wrote nothing from one still running', () => {
    const empty = { ...listing, files: [] };
    const { rerender } = render(<ArtifactList listing={empty} status="Running" />);
    expect(screen.getByText(/appear when it ends/)).toBeTruthy();
    rerender(<ArtifactList listing={empty} status="Completed" />);
    expect(screen.getByText('The step wrote nothing under ./outputs or ./logs.')).toBeTruthy();
  });
});
