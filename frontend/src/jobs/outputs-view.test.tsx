import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { RegisteredAs } from './outputs-view';

describe('an output registered as an asset', () => {
  it('links the data asset version it became', () => {
    render(<RegisteredAs asset="scaled_numbers:3" type="uri_folder" />);
    const link = screen.getByRole('link', { name: 'scaled_numbers:3' });
    expect(link.getAttribute('href')).toBe('/data/scaled_numbers/3/');
  });

  it('links a model version on the models pages', () => {
    render(<RegisteredAs asset="churn:1" type="mlflow_model" />);
    expect(screen.getByRole('link', { name: 'churn:1' }).getAttribute('href')).toBe(
      '/models/churn/1/',
    );
  });
});
