import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobsIsland } from './index';
import { JobRun, WarningsNotice } from './job-run';
import type { JobRunProps, StepInfo } from './types';

class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    act(() => this.onopen?.(new Event('open')));
  }
  send(frame: unknown) {
    act(() => this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent));
  }
  drop(code = 1006) {
    act(() => this.onclose?.({ code } as CloseEvent));
  }
}

const step = (name: string, status: string, extra: Partial<StepInfo> = {}): StepInfo => ({
  step: name,
  display_name: '',
  status,
  status_reason: '',
  attempt: status === 'NotStarted' ? 0 : 1,
  max_retries: 0,
  exit_code: null,
  compute: 'docker',
  reused_from: null,
  reuse_note: '',
  outputs: {},
  queued_at: null,
  started_at: status === 'NotStarted' ? null : '2024-05-01T10:00:01Z',
  finished_at: null,
  next_attempt_at: null,
  ...extra,
});

const job = (status: string) => ({
  job: 'quiet_falcon_1',
  display_name: 'three steps',
  status,
  status_reason: '',
  created_at: '2024-05-01T10:00:00Z',
  started_at: '2024-05-01T10:00:01Z',
  finished_at: status === 'Completed' ? '2024-05-01T10:00:31Z' : null,
});

const port = (name: string, type = 'uri_folder') => ({ name, type });
const props: JobRunProps & { view: 'run' } = {
  view: 'run',
  job: 'quiet_falcon_1',
  createdBy: 'admin',
  experiment: 'runner-tests',
  csrfToken: 'token',
  parameters: [{ name: 'greeting', value: 'bonjour', kind: 'literal' }],
  graph: {
    nodes: [
      { id: 'data:1', kind: 'data' as const, label: 'iris:1', type: 'uri_folder' },
      ...['a', 'b'].map((id) => ({
        id,
        kind: 'step' as const,
        label: id,
        component: 'trail_step:1',
        compute: 'docker',
        inputs: [port('source')],
        outputs: [port('out')],
      })),
    ],
    edges: [
      {
        id: 'data:1->a.source',
        source: 'data:1',
        sourceHandle: 'data',
        target: 'a',
        targetHandle: 'source',
      },
      {
        id: 'a.out->b.source',
        source: 'a',
        sourceHandle: 'out',
        target: 'b',
        targetHandle: 'source',
      },
    ],
  },
  urls: {
    socket: '/ws/jobs/quiet_falcon_1/',
    rerun: '/jobs/quiet_falcon_1/rerun/',
    clone: '/designer/clone/quiet_falcon_1/',
    publish: '/endpoints/publish/?job=quiet_falcon_1',
  },
};

function nodeStatus(id: string): string | null {
  return (
    document.querySelector(`[data-testid="run-node-${id}"]`)?.getAttribute('data-status') ?? null
  );
}

describe('the job page island', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    FakeWebSocket.instances = [];
    vi.stubGlobal('WebSocket', FakeWebSocket);
    fetchMock = vi.fn(async (url: string) => {
      const body = url.includes('/logs/')
        ? {
            step: 'a',
            status: 'Running',
            lines: [{ seq: 1, t: 1, line: 'first line' }],
            next_offset: 1,
            complete: false,
          }
        : {};
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      });
    });
    vi.stubGlobal('fetch', fetchMock);
    window.history.replaceState(null, '', '/jobs/quiet_falcon_1/');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('shows the snapshot, applies events live, and resumes after a dropped socket', async () => {
    render(<JobRun {...props} />);
    expect(screen.getByRole('link', { name: 'Publish' }).getAttribute('href')).toBe(
      '/endpoints/publish/?job=quiet_falcon_1',
    );
    expect(screen.getByText('bonjour')).toBeTruthy();
    expect(screen.getByText('iris:1')).toBeTruthy();
    const first = FakeWebSocket.instances[0]!;
    expect(first.url).toBe(`ws://${window.location.host}/ws/jobs/quiet_falcon_1/`);
    first.open();
    first.send({
      type: 'snapshot',
      seq: 4,
      job: job('Running'),
      steps: [{ ...step('a', 'Running'), log_seq: 1 }, step('b', 'NotStarted')],
    });
    await waitFor(() => expect(nodeStatus('a')).toBe('Running'));
    expect(nodeStatus('b')).toBe('NotStarted');
    expect(screen.getByTestId('job-status').textContent).toBe('Running');
    await waitFor(() => expect(screen.getByTestId('connection').textContent).toBe('Live'));

    // Opening a step reads the lines from before the page opened, then follows the socket.
    fireEvent.click(screen.getByRole('button', { name: 'Open step a' }));
    const panel = await screen.findByRole('complementary', { name: 'Step a' });
    await within(panel).findByText('first line');
    expect(fetchMock.mock.calls.map((call) => call[0])).toContain(
      '/api/v1/jobs/quiet_falcon_1/steps/a/logs/?offset=0',
    );
    first.send({
      type: 'log',
      seq: 5,
      step: 'a',
      lines: [{ seq: 2, t: 2, line: '\u001b[32msecond\u001b[0m line' }],
    });
    const second = await within(panel).findByText('second');
    expect((second as HTMLElement).style.color).toBe('rgb(0, 188, 0)');

    // The socket drops; the reconnect resumes after the last seq applied.
    first.drop();
    await waitFor(() =>
      expect(screen.getByTestId('connection').textContent).toMatch(/Reconnecting/),
    );
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2), { timeout: 3000 });
    const again = FakeWebSocket.instances[1]!;
    expect(again.url).toMatch(/\/ws\/jobs\/quiet_falcon_1\/\?after=5$/);
    again.open();
    again.send({
      type: 'step',
      seq: 6,
      ...step('a', 'Completed', { finished_at: '2024-05-01T10:00:11Z' }),
    });
    // A gap (seq 7 missing): not applied, and the socket reconnects from 6 at once.
    again.send({ type: 'job', seq: 8, ...job('Completed') });
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(3));
    expect(FakeWebSocket.instances[2]!.url).toMatch(/\?after=6$/);
    expect(screen.getByTestId('job-status').textContent).toBe('Running');
    const third = FakeWebSocket.instances[2]!;
    third.open();
    third.send({ type: 'step', seq: 7, ...step('b', 'Completed') });
    third.send({ type: 'job', seq: 8, ...job('Completed') });
    await waitFor(() => expect(screen.getByTestId('job-status').textContent).toBe('Completed'));
    expect(nodeStatus('a')).toBe('Completed');
    expect(nodeStatus('b')).toBe('Completed');
    expect(within(panel).getByTestId('step-status').textContent).toBe('Completed');
    expect(window.location.hash).toBe('#step=a');
  });

  it('loads as the jobs island with view "run"', async () => {
    render(<JobsIsland {...props} />);
    expect(await screen.findByTestId('job-status')).toBeTruthy();
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('says so when the socket is refused, and does not retry', async () => {
    render(<JobRun {...props} />);
    FakeWebSocket.instances[0]!.drop(4401);
    await waitFor(() =>
      expect(screen.getByTestId('connection').textContent).toMatch(/sign in again/),
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe('the warnings notice', () => {
  it('lists each field that has no effect here, with its file and line', () => {
    render(
      <WarningsNotice
        warnings={[
          {
            file: 'job.yml',
            line: 17,
            field: 'services',
            message: 'services are not started here',
          },
          { file: null, line: null, field: 'settings.default_datastore', message: 'not used yet' },
        ]}
      />,
    );
    const notice = screen.getByTestId('job-warnings');
    expect(notice.textContent).toContain("2 fields of this job's YAML have no effect here");
    expect(notice.textContent).toContain('job.yml:17: services services are not started here');
    expect(notice.textContent).toContain('settings.default_datastore not used yet');
  });

  it('says nothing when every field had an effect', () => {
    const { container } = render(<WarningsNotice warnings={[]} />);
    expect(container.textContent).toBe('');
  });
});
