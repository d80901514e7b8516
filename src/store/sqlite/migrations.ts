// Schema of the embedded store, one step per version (PRAGMA user_version); it mirrors
// the component's src/component/schema.ts table for table.

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE watch_records (
    user_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    watched_at TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (user_id, record_id)
  ) WITHOUT ROWID;
  CREATE INDEX watch_records_by_user_watched_at ON watch_records (user_id, watched_at);

  CREATE TABLE user_stats (
    user_id TEXT PRIMARY KEY,
    record_count INTEGER NOT NULL,
    first_watched_at TEXT,
    last_watched_at TEXT,
    last_change_at TEXT
  ) WITHOUT ROWID;

  CREATE TABLE precomputed_aggregations (
    user_id TEXT NOT NULL,
    aggregation_type TEXT NOT NULL,
    filter_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    filters TEXT NOT NULL,
    data TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    as_of TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    compute_ms REAL NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (user_id, aggregation_type, filter_hash)
  ) WITHOUT ROWID;
  CREATE INDEX precomputed_aggregations_by_expires_at ON precomputed_aggregations (expires_at);

  CREATE TABLE filter_combinations (
    user_id TEXT NOT NULL,
    filter_hash TEXT NOT NULL,
    filters TEXT NOT NULL,
    last_used TEXT NOT NULL,
    usage_count INTEGER NOT NULL,
    PRIMARY KEY (user_id, filter_hash)
  ) WITHOUT ROWID;
  CREATE INDEX filter_combinations_by_last_used ON filter_combinations (last_used);

  CREATE TABLE data_change_log (
    change_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    change_type TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    processed INTEGER NOT NULL,
    processed_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX data_change_log_by_processed_user ON data_change_log (processed, user_id, changed_at);
  CREATE INDEX data_change_log_by_user_changed_at ON data_change_log (user_id, changed_at);
  CREATE INDEX data_change_log_by_processed_changed_at ON data_change_log (processed, changed_at);

  CREATE TABLE rollout_flags (
    flag TEXT PRIMARY KEY,
    basis_points INTEGER NOT NULL,
    salt TEXT NOT NULL,
    rolled_back INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE rollout_overrides (
    flag TEXT NOT NULL,
    user_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (flag, user_id)
  ) WITHOUT ROWID;

  CREATE TABLE rollout_events (
    event_id TEXT PRIMARY KEY,
    flag TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_basis_points INTEGER,
    to_basis_points INTEGER,
    reason TEXT,
    details TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX rollout_events_by_flag_at ON rollout_events (flag, at);

  CREATE TABLE agg_runs (
    run_id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    args TEXT NOT NULL,
    target TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    counts TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX agg_runs_by_started_at ON agg_runs (started_at);
  CREATE INDEX agg_runs_by_command_started_at ON agg_runs (command, started_at);
  CREATE INDEX agg_runs_by_finished_at ON agg_runs (finished_at);

  CREATE TABLE agg_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    run_id TEXT,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE archive_manifests (
    manifest_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    destination TEXT NOT NULL,
    tables TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    status TEXT NOT NULL,
    verified_at TEXT,
    manifest TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE user_validations (
    user_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    validated_at TEXT NOT NULL,
    clean INTEGER NOT NULL,
    counts TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  ALTER TABLE user_stats ADD COLUMN grid_fresh_until TEXT;
  ALTER TABLE rollout_flags ADD COLUMN min_records INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollout_flags ADD COLUMN require_fresh_grid INTEGER NOT NULL DEFAULT 0;
  `,
  // Who holds a lease and its last heartbeat, so that a dead holder's lease can be taken at once.
  `
  ALTER TABLE agg_leases ADD COLUMN renewed_at TEXT;
  ALTER TABLE agg_leases ADD COLUMN host TEXT;
  ALTER TABLE agg_leases ADD COLUMN pid INTEGER;
  `,
  // Records revisions: which state of a user's records a result was computed from, and each
  // change-log entry's latest.
  `
  ALTER TABLE user_stats ADD COLUMN records_revision TEXT;
  ALTER TABLE precomputed_aggregations ADD COLUMN records_revision TEXT;
  ALTER TABLE data_change_log ADD COLUMN revision TEXT;
  `,
  // Content-addressed results: a result's data lives once per (user, dataHash) in aggregation_contents
  // (identical data under several filter sets of one user is stored once), and headers refer to it by
  // data_hash. Existing rows move their data there, one copy per distinct (user, dataHash).
  `
  CREATE TABLE aggregation_contents (
    user_id TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, data_hash)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO aggregation_contents (user_id, data_hash, data)
    SELECT user_id, data_hash, data FROM precomputed_aggregations ORDER BY user_id, data_hash, aggregation_type, filter_hash;
  ALTER TABLE precomputed_aggregations DROP COLUMN data;
  CREATE INDEX precomputed_aggregations_by_user_data_hash ON precomputed_aggregations (user_id, data_hash);
  `,
  // Long contents in parts (contents.ts): the first part stays in aggregation_contents, parts 1… here.
  `
  CREATE TABLE aggregation_content_parts (
    user_id TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    part INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, data_hash, part)
  ) WITHOUT ROWID;
  `,
];
