// The shapes the page reads from the API, and small readers that tolerate the
// variants it may meet (a metric as a number, a non-finite string, or an object).

export type Role = "viewer" | "contributor" | "maintainer" | "admin";

export interface Session {
  user: string | null;
  projects: string[];
  project: string | null;
  roles: Record<string, Role>;
  admin: boolean;
  login: boolean;
  /** The server signs in through an OpenID provider too (GET /ui/sso/start). */
  sso?: boolean;
}

export type MetricValue = number | "nan" | "inf" | "-inf";
export type MetricEntry = MetricValue | { value: MetricValue; step?: number; timestamp_ms?: number };

export interface Run {
  id: string;
  project: string;
  experiment: string;
  name: string;
  status: string;
  start_time: string | null;
  end_time: string | null;
  created_by: string;
  parent_id: string | null;
  params: Record<string, string>;
  metrics: Record<string, MetricEntry>;
  metric_steps?: Record<string, number>;
  metric_timestamps?: Record<string, number>;
  tags: Record<string, string>;
  resources?: Record<string, number | null> | null;
  cost?: number | null;
  host?: string | null;
  command?: string | null;
  exit_code?: number | null;
  git?: { commit: string | null; branch: string | null; dirty: boolean | null } | null;
}

export interface RunPage {
  runs: Run[];
  next_page_token: string | null;
}

export interface FileEntry {
  path: string;
  size?: number | null;
  digest?: string | null;
  blake3?: string | null;
}

export interface RunDetail extends Run {
  inputs?: FileEntry[];
  artifacts?: FileEntry[];
  children?: (string | Run | { id: string; name?: string })[];
  environment?: { python?: string; platform?: string; packages?: Record<string, string> } | null;
}

export interface Point {
  step: number;
  timestamp_ms?: number;
  value: MetricValue;
}

export interface Bucket {
  start_step: number;
  end_step: number;
  count: number;
  first: Point;
  last: Point;
  min: Point;
  max: Point;
}

export interface Summary {
  key: string;
  count: number;
  buckets: Bucket[];
}

export interface Experiment {
  name: string;
  run_count: number;
}

export interface ModelVersion {
  name: string;
  version: number;
  uri?: string;
  aliases: string[];
  flavor?: string | null;
  size?: number | null;
  signed?: boolean;
  signer?: string | null;
  run_id?: string | null;
  source?: string | null;
  description?: string | null;
  created_at: string;
  created_by: string;
  manifest_digest?: string | null;
  files?: FileEntry[];
  schema?: unknown;
  lineage?: {
    run?: { id: string; name?: string; experiment?: string } | null;
    git?: Record<string, unknown> | null;
    params?: Record<string, string>;
    metrics?: Record<string, MetricEntry>;
    tags?: Record<string, string>;
    inputs?: FileEntry[];
    environment?: Record<string, unknown> | null;
  } | null;
  metrics?: Record<string, MetricEntry>;
  evaluations?: Record<string, unknown>[];
}

export interface Model {
  name: string;
  latest_version: number | null;
  version_count: number;
  aliases: Record<string, number>;
  card: Record<string, string>;
  created_at: string;
  created_by: string;
  updated_at: string;
  versions?: ModelVersion[];
}

export interface GateResult {
  gate?: string;
  check?: string;
  passed?: boolean;
  evidence?: string;
}

export interface AliasEvent {
  seq: number;
  alias: string;
  action: string;
  from_version: number | null;
  to_version: number | null;
  principal: string;
  time: string;
  reason: string;
  evaluation: { passed?: boolean; gates?: GateResult[] } | null;
}

export interface MonitorStatus {
  id: string;
  project: string;
  monitor: string;
  model: string;
  window_start: string;
  window_end: string;
  /** ok, breach, no_data or not_enough_data. */
  status: string;
  /** Kinds of breach: drift, prediction_drift, validation, performance, no_traffic. */
  breaches: string[];
  rows: number;
  labelled_rows: number;
  report_digest: string | null;
  interval_s: number | null;
  notified: boolean;
  created_at: string;
  /** The result's gauges, when the server sends them (per-feature drift and more). */
  gauges?: MonitorGauges | null;
}

export interface FeatureGauge {
  score: number | null;
  threshold: number | null;
  /** null: too few values for a verdict. */
  drifted: boolean | null;
  test: string;
}

export interface MonitorGauges {
  features?: Record<string, FeatureGauge>;
  prediction?: { score: number | null; drifted: boolean | null; test: string } | null;
  share_drifted?: number | null;
  drift_verdict?: string | null;
  validation_failures?: number | null;
  performance?: Record<string, number | null>;
  baseline?: Record<string, number | null>;
  /** The worst value each baseline metric may take before it has decayed. */
  limits?: Record<string, number | null>;
  /** Metrics past their limit in this result. */
  decayed?: string[];
  /** Baseline metrics where lower is better (errors: mae, rmse). */
  lower_is_better?: string[];
}

/** A run a monitor's on_breach command started. */
export interface TriggeredRun {
  id: string;
  name: string;
  /** The pipeline's name when it is a pipeline run. */
  pipeline: string | null;
}

/** A webhook post or a triggered command (`GET …/monitors/NAME/alerts`). */
export interface MonitorAlert {
  time: string;
  kind: "webhook" | "trigger";
  /** breach or resolved. */
  event: string;
  /** A webhook's host, or the command that ran. */
  channel: string;
  ok: boolean;
  principal: string;
  /** The stored result that acted (null for entries from before results were named). */
  result: string | null;
  breaches: string[];
  status: number | null;
  attempts: number | null;
  error: string | null;
  exit_code: number | null;
  seconds: number | null;
  timed_out: boolean;
  runs: TriggeredRun[];
}

export interface User {
  name: string;
  admin: boolean;
  disabled: boolean;
  roles: Record<string, string>;
  created_at: string;
}

export interface Token {
  id: string;
  user: string;
  name: string;
  role_cap: string | null;
  project: string | null;
  created_at: string;
  expires_at: string | null;
  revoked: boolean;
  last_used_at: string | null;
}

export interface CreatedToken {
  token: string;
  info: Token;
}

export interface AuditEntry {
  seq: number;
  time: string;
  principal: string;
  action: string;
  target: string;
  project: string | null;
  source: string;
  detail: Record<string, unknown>;
}

export interface AuditVerification {
  intact: boolean;
  entries: number;
  breaks: { seq: number | null; problem: string }[];
  checkpoint: { seq: number; count: number; time: string; key: string; where: string } | null;
  checkpoints: number;
  after_checkpoint: number;
  warnings: string[];
}

/** A metric as a number (NaN and ±Infinity for the non-finite spellings), or null. */
export function metricNumber(entry: MetricEntry | undefined | null): number | null {
  if (entry === undefined || entry === null) return null;
  const value = typeof entry === "object" ? entry.value : entry;
  if (typeof value === "number") return value;
  if (value === "nan") return Number.NaN;
  if (value === "inf") return Number.POSITIVE_INFINITY;
  if (value === "-inf") return Number.NEGATIVE_INFINITY;
  return null;
}

export function metricStep(run: Run, key: string): number | null {
  const entry = run.metrics[key];
  if (typeof entry === "object" && entry !== null && typeof entry.step === "number") {
    return entry.step;
  }
  const step = run.metric_steps?.[key];
  return typeof step === "number" ? step : null;
}

export function canMaintain(session: Session, project: string): boolean {
  if (session.admin) return true;
  const role = session.roles[project];
  return role === "maintainer" || role === "admin";
}

/** One gate's result in a promotion (or a dry run): what it checked and the evidence. */
export interface PromotionGate {
  gate: string;
  check: string;
  passed: boolean;
  evidence: string;
  details?: Record<string, unknown>;
}

/** `POST …/versions/{v}/promote`: a refusal by a gate is an answer, not an error. */
export interface Promotion {
  model: string;
  candidate: number;
  alias: string;
  previous: number | null;
  passed: boolean;
  gates: PromotionGate[];
  dry_run: boolean;
  moved: boolean;
  already: boolean;
  gates_configured: boolean;
  event: AliasEvent | null;
}

export interface Approval {
  name: string;
  version: number;
  alias: string;
  principal: string;
  role: string;
  time: string;
  note: string;
}

/** A signature side: named columns, or tensors with a shape (-1 for a free dimension). */
export interface SignatureSchema {
  type: string;
  columns?: { name: string; dtype: string }[];
  tensors?: { name: string | null; dtype: string; shape: number[] }[];
}

/** `GET …/versions/{v}/card` (format json): Model Card Toolkit field names. */
export interface ModelCard {
  schema_version?: string;
  model_details?: {
    name?: string;
    overview?: string;
    documentation?: string | null;
    owners?: { name: string; contact?: string }[];
    version?: { name?: string; date?: string; diff?: string | null };
    licenses?: { identifier?: string }[];
    lineage?: {
      uri?: string;
      project?: string;
      registered_by?: string;
      registered_at?: string;
      source?: string | null;
      run?: { id: string; name?: string; experiment?: string } | null;
      git?: Record<string, unknown> | null;
      params?: Record<string, string>;
      flavor?: string | null;
      files?: number;
      size?: number | null;
      manifest_digest?: string | null;
      signed?: boolean;
      signer?: string | null;
    };
    aliases?: string[];
  };
  model_parameters?: {
    model_architecture?: string;
    data?: {
      name?: string;
      description?: string;
      role?: string;
      path?: string;
      digest?: string;
      size?: number | null;
      rows?: number | null;
      version?: string | null;
    }[];
    input_format?: string;
    output_format?: string;
    signature?: { inputs?: SignatureSchema | null; outputs?: SignatureSchema | null } | null;
  };
  quantitative_analysis?: {
    performance_metrics?: {
      type: string;
      value: number;
      slice?: string;
      source?: string;
      dataset?: string;
    }[];
  };
  considerations?: {
    users?: { description: string }[];
    use_cases?: { description: string }[];
    limitations?: { description: string }[];
    tradeoffs?: { description: string }[];
    ethical_considerations?: { name: string; mitigation_strategy?: string }[];
  };
}

/** A recorded dataset version (`GET /projects/{p}/datasets…`). */
export interface DatasetVersion {
  id: string;
  project: string;
  name: string;
  version: number;
  kind: string;
  digest: string;
  size: number;
  files: number;
  rows: number | null;
  profile_digest: string | null;
  git_commit: string | null;
  message: string;
  created_at: string;
  created_by: string;
}

export interface Dataset {
  name: string;
  versions: number;
  latest: DatasetVersion;
}

/** A column's figures in a version's profile (`GET /projects/{p}/datasets/profile`). */
export interface DatasetColumn {
  name: string;
  dtype: string;
  kind: string;
  rows: number;
  nulls: number;
  null_fraction: number | null;
  distinct: number | null;
  distinct_exact: boolean;
  mean: number | null;
  std: number | null;
  min: number | string | null;
  max: number | string | null;
  histogram: { edges: (number | null)[]; counts: (number | null)[] } | null;
  top: { value: string; count: number }[] | null;
  top_exact: boolean | null;
}

export interface DatasetFileProfile {
  path: string;
  rows: number;
  columns_total: number;
  columns: DatasetColumn[];
  note: string | null;
}

export interface DatasetProfile {
  version: DatasetVersion;
  files: DatasetFileProfile[];
  files_total: number;
  note: string | null;
}

/** Two versions compared (`GET /projects/{p}/datasets/diff`). */
export interface DatasetColumnChange {
  name: string;
  dtype_before: string;
  dtype_after: string;
  kind_before: string;
  kind_after: string;
  changed: boolean;
  stats: { stat: string; before: number | string | null; after: number | string | null; changed: boolean }[];
}

export interface DatasetFileDiff {
  path: string;
  change: "added" | "removed" | "modified";
  size_before: number | null;
  size_after: number | null;
  rows_before: number | null;
  rows_after: number | null;
  columns_added: string[];
  columns_removed: string[];
  types_changed: { name: string; before: string; after: string }[];
  columns: DatasetColumnChange[];
  columns_total: number;
  note: string | null;
}

export interface DatasetDiff {
  from: DatasetVersion;
  to: DatasetVersion;
  files: DatasetFileDiff[];
  files_total: number;
  note: string | null;
}
