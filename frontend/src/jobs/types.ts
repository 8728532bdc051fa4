/**
 * What the job page is given by the server (island props) and what the job websocket sends
 * (`runner/events/`): a snapshot, then `job`, `step`, `log` and `metric` events numbered by `seq`.
 */
import type { MetricFrame } from './metric-series';

export type { MetricFrame } from './metric-series';

export interface JobInfo {
  job: string;
  display_name: string;
  status: string;
  status_reason: string;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface OutputInfo {
  type?: string | null;
  hash?: string | null;
  size?: number | null;
}

export interface StepInfo {
  step: string;
  display_name: string;
  status: string;
  status_reason: string;
  attempt: number;
  max_retries: number;
  exit_code: number | null;
  compute: string | null;
  reused_from: string | null;
  reuse_note: string;
  outputs: Record<string, OutputInfo>;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
}

export interface LogLine {
  /** The step's line number, counting from 1 across attempts. */
  seq: number;
  /** Unix time in seconds. */
  t: number;
  line: string;
  /**
   * On the note Studio writes where a capped log (`STUDIO_STEP_LOG_MAX_BYTES`) lost its middle:
   * the lines `from` to this note's seq - 1 are not stored (nor sent); `lines` and `bytes` count
   * what was dropped.
   */
  dropped?: { from: number; lines: number; bytes: number };
}

export interface SnapshotFrame {
  type: 'snapshot';
  seq: number;
  job: JobInfo;
  steps: (StepInfo & { log_seq?: number })[];
}

export interface JobFrame extends JobInfo {
  type: 'job';
  seq: number;
  at?: string;
}

export interface StepFrame extends StepInfo {
  type: 'step';
  seq: number;
  at?: string;
}

export interface LogFrame {
  type: 'log';
  seq: number;
  at?: string;
  step: string;
  lines: LogLine[];
}

/** The server gave up on a slow client: reconnect with `?after=<seq>`. */
export interface ResyncFrame {
  type: 'resync';
  seq: number;
}

export type Frame = SnapshotFrame | JobFrame | StepFrame | LogFrame | MetricFrame | ResyncFrame;

/** A node of the job's pipeline graph, as `runner/job_graph.py` builds it. */
export interface GraphPort {
  name: string;
  type: string;
  /** How a step input is fed: `literal`, `data`, `step_output`, or null when left out. */
  bound?: string | null;
}

export interface StepGraphNode {
  id: string;
  kind: 'step';
  label: string;
  component: string;
  compute: string;
  /** The qualified name of the innermost pipeline component holding the step; '' at the top. */
  group?: string;
  inputs: GraphPort[];
  outputs: GraphPort[];
}

export interface DataGraphNode {
  id: string;
  kind: 'data';
  label: string;
  type: string;
}

export type RunGraphNode = StepGraphNode | DataGraphNode;

export interface RunGraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/** An input of a pipeline-component step: where its value comes from, when from the graph. */
export interface GroupInputPort extends GraphPort {
  value?: unknown;
  /** The node (step or data) and handle the inner steps read this input from. */
  source?: string;
  sourceHandle?: string;
}

/** An output of a pipeline-component step: the leaf step output it is. */
export interface GroupOutputPort extends GraphPort {
  step: string;
  output: string;
}

/** A pipeline-component step (`runner/job_groups.py`): drawn closed as one node, or open. */
export interface RunGraphGroup {
  id: string;
  name: string;
  label: string;
  component: string;
  /** The enclosing group's id; '' at the top. */
  parent: string;
  /** Leaf steps directly inside, in run order. */
  steps: string[];
  /** Groups directly inside. */
  groups: string[];
  inputs: GroupInputPort[];
  outputs: GroupOutputPort[];
}

export interface RunGraphData {
  nodes: RunGraphNode[];
  edges: RunGraphEdge[];
  groups?: RunGraphGroup[];
}

export interface JobParameter {
  name: string;
  value: unknown;
  kind: string;
}

/** Props of the `job-run` island (`runner.views.job_detail`). */
export interface JobWarning {
  file?: string | null;
  field?: string;
  line?: number | null;
  message: string;
}

export interface RerunParameter {
  name: string;
  type: 'integer' | 'number' | 'boolean' | 'string';
  value: unknown;
  enum?: unknown[];
  min?: number;
  max?: number;
}

export interface JobRunProps {
  job: string;
  displayName?: string;
  experiment?: string;
  description?: string;
  createdBy?: string | null;
  source?: string;
  rerunOf?: string | null;
  graph?: RunGraphData;
  parameters?: JobParameter[];
  /** The literal pipeline parameters a resubmit may change, with their types and bounds. */
  rerunParameters?: RerunParameter[];
  /** Fields of the job's YAML that Azure ML accepts but that have no effect here. */
  warnings?: JobWarning[];
  csrfToken?: string;
  urls?: {
    jobs?: string;
    cancel?: string;
    rerun?: string;
    rerunApi?: string;
    clone?: string;
    publish?: string;
    socket?: string;
    api?: string;
  };
}

export const JOB_TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);
export const STEP_TERMINAL = new Set(['Completed', 'Failed', 'Canceled', 'Skipped']);
export const STEP_ACTIVE = new Set(['Preparing', 'Running']);
