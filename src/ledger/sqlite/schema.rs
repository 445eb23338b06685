//! The ledger's SQLite schema, its version and the connection settings.
//! Owns the DDL and the `PRAGMA user_version` migration; must not read or
//! write records (that is `write.rs` / `read.rs`).
//!
//! Every table is `STRICT` (a TEXT money column can never silently become a
//! REAL) and `WITHOUT ROWID` (rows are clustered on their natural key, which
//! is what every upsert looks up).

use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::codec::Context;
use crate::ledger::StoreError;

/// The schema this build writes. A file with a newer version is refused.
pub const SCHEMA_VERSION: i64 = 6;

/// How long a writer waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) const SCHEMA_V1: &str = "
-- One CloudWatch datapoint per minute, per source; `count` only for averages.
CREATE TABLE metric_points (
    source   TEXT    NOT NULL,
    region   TEXT    NOT NULL,
    model_id TEXT    NOT NULL,
    metric   TEXT    NOT NULL,
    minute   INTEGER NOT NULL,  -- epoch seconds, start of the minute
    sum      REAL    NOT NULL,
    count    REAL,
    PRIMARY KEY (source, region, model_id, metric, minute)
) STRICT, WITHOUT ROWID;
CREATE INDEX metric_points_by_minute ON metric_points (minute, region, model_id, metric);

-- Priced tokens per minute. Priced: model, price_entry, usd set, reason NULL.
-- Unpriced: the three NULL and reason set. usd is exact decimal text.
CREATE TABLE cost_lines (
    region      TEXT    NOT NULL,
    model_id    TEXT    NOT NULL,
    minute      INTEGER NOT NULL,  -- epoch seconds, start of the minute
    token_type  TEXT    NOT NULL,
    tokens      INTEGER NOT NULL CHECK (tokens >= 0),
    model       TEXT,
    price_entry TEXT,
    usd         TEXT,
    reason      TEXT,
    CHECK ((model IS NULL) = (price_entry IS NULL)
       AND (model IS NULL) = (usd IS NULL)
       AND (model IS NULL) = (reason IS NOT NULL)),
    PRIMARY KEY (region, model_id, minute, token_type)
) STRICT, WITHOUT ROWID;
CREATE INDEX cost_lines_by_minute ON cost_lines (minute, region, model_id, token_type);

-- All-time totals per cost series, kept by delta in the write transaction.
-- model = '' for unpriced tokens (a NULL would make the key non-unique).
-- lines counts the series' lines: a series whose last line was revised into
-- another series (unpriced -> priced) is deleted, not left at zero.
CREATE TABLE cost_totals (
    region     TEXT    NOT NULL,
    model_id   TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    token_type TEXT    NOT NULL,
    lines      INTEGER NOT NULL CHECK (lines > 0),
    tokens     INTEGER NOT NULL CHECK (tokens >= 0),
    usd        TEXT    NOT NULL,
    PRIMARY KEY (region, model_id, model, token_type)
) STRICT, WITHOUT ROWID;

-- All-time totals per metric series (across sources), kept by delta.
CREATE TABLE metric_totals (
    region   TEXT NOT NULL,
    model_id TEXT NOT NULL,
    metric   TEXT NOT NULL,
    sum      REAL NOT NULL,
    count    REAL NOT NULL,
    PRIMARY KEY (region, model_id, metric)
) STRICT, WITHOUT ROWID;

-- Data of (source, region) is complete before until_ns (epoch nanoseconds).
CREATE TABLE watermarks (
    source   TEXT    NOT NULL,
    region   TEXT    NOT NULL,
    until_ns INTEGER NOT NULL,
    PRIMARY KEY (source, region)
) STRICT, WITHOUT ROWID;
";

/// Version 2: hourly cost rollups (what budgets read), CloudTrail calls and
/// attributed shares per principal, the alert outbox, the leader lease,
/// budget statuses and named flags.
pub(super) const SCHEMA_V2: &str = "
-- Cost lines summed per UTC hour (epoch seconds of its start), kept by delta
-- with cost_totals, so a month of spend is ~744 rows per series, not 44640.
CREATE TABLE cost_hours (
    hour       INTEGER NOT NULL,
    region     TEXT    NOT NULL,
    model_id   TEXT    NOT NULL,
    model      TEXT    NOT NULL,  -- '' = unpriced, as in cost_totals
    token_type TEXT    NOT NULL,
    lines      INTEGER NOT NULL CHECK (lines > 0),
    tokens     INTEGER NOT NULL CHECK (tokens >= 0),
    usd        TEXT    NOT NULL,
    PRIMARY KEY (hour, region, model_id, model, token_type)
) STRICT, WITHOUT ROWID;

-- CloudTrail invocations; error_code '' = success.
CREATE TABLE calls (
    region        TEXT    NOT NULL,
    minute        INTEGER NOT NULL,
    model_id      TEXT    NOT NULL,
    principal     TEXT    NOT NULL,
    error_code    TEXT    NOT NULL,
    calls         INTEGER NOT NULL CHECK (calls > 0),
    input_tokens  INTEGER,
    output_tokens INTEGER,
    PRIMARY KEY (region, minute, model_id, principal, error_code)
) STRICT, WITHOUT ROWID;

CREATE TABLE call_totals (
    region     TEXT    NOT NULL,
    model_id   TEXT    NOT NULL,
    principal  TEXT    NOT NULL,
    error_code TEXT    NOT NULL,
    rows       INTEGER NOT NULL CHECK (rows > 0),
    calls      INTEGER NOT NULL CHECK (calls >= 0),
    PRIMARY KEY (region, model_id, principal, error_code)
) STRICT, WITHOUT ROWID;

-- Shares of the priced cost per principal; usd exact decimal text.
CREATE TABLE principal_costs (
    region      TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    model_id    TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    principal   TEXT    NOT NULL,
    attribution TEXT    NOT NULL,
    usd         TEXT    NOT NULL,
    PRIMARY KEY (region, minute, model_id, model, principal, attribution)
) STRICT, WITHOUT ROWID;

-- Totals (hour = -1) and hourly rollups of principal_costs, kept by delta.
CREATE TABLE principal_rollups (
    hour        INTEGER NOT NULL,
    region      TEXT    NOT NULL,
    model_id    TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    principal   TEXT    NOT NULL,
    attribution TEXT    NOT NULL,
    rows        INTEGER NOT NULL CHECK (rows > 0),
    usd         TEXT    NOT NULL,
    PRIMARY KEY (hour, region, model_id, model, principal, attribution)
) STRICT, WITHOUT ROWID;

-- Alerts: claimed (inserted) before publishing; published_ns NULL = pending.
CREATE TABLE outbox (
    dedupe_key   TEXT    NOT NULL PRIMARY KEY,
    kind         TEXT    NOT NULL,
    created_ns   INTEGER NOT NULL,
    subject      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    attributes   TEXT    NOT NULL,  -- JSON object of strings
    group_id     TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    last_error   TEXT,
    published_ns INTEGER,
    lock_holder  TEXT,     -- who is publishing it right now, until lock_ns
    lock_ns      INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX outbox_pending ON outbox (created_ns) WHERE published_ns IS NULL;

CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- principal '' = the budget as a whole; body is the status as JSON.
CREATE TABLE budget_statuses (
    budget    TEXT NOT NULL,
    principal TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (budget, principal)
) STRICT, WITHOUT ROWID;

CREATE TABLE flags (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
";

/// Version 3: priced requests from the model invocation logs.
pub(super) const SCHEMA_V3: &str = "
-- Request IDs already counted, so a re-read or re-delivered record is
-- counted once; forgotten once no read can reach back to their minute.
CREATE TABLE log_requests (
    request_id TEXT    NOT NULL PRIMARY KEY,
    minute     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX log_requests_by_minute ON log_requests (minute);

-- Requests summed per minute and key; model '' = unpriced (usd 0); the
-- dimensions are the configured requestMetadata keys as a JSON object.
-- minute = -1 holds the all-time totals, kept by delta with the minutes.
CREATE TABLE request_sums (
    minute         INTEGER NOT NULL,
    region         TEXT    NOT NULL,
    model_id       TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    principal      TEXT    NOT NULL,
    dimensions     TEXT    NOT NULL,
    requests       INTEGER NOT NULL CHECK (requests > 0),
    input          INTEGER NOT NULL CHECK (input >= 0),
    output         INTEGER NOT NULL CHECK (output >= 0),
    cache_read     INTEGER NOT NULL CHECK (cache_read >= 0),
    cache_write_5m INTEGER NOT NULL CHECK (cache_write_5m >= 0),
    cache_write_1h INTEGER NOT NULL CHECK (cache_write_1h >= 0),
    long_context   INTEGER NOT NULL CHECK (long_context >= 0),
    ttl_assumed    INTEGER NOT NULL CHECK (ttl_assumed >= 0),
    usd            TEXT    NOT NULL,
    PRIMARY KEY (minute, region, model_id, model, principal, dimensions)
) STRICT, WITHOUT ROWID;
CREATE INDEX request_sums_by_region ON request_sums (region, minute);

-- S3 objects of the invocation logs read to their end, by key; forgotten
-- with the request IDs once no listing reaches back to their hour.
CREATE TABLE log_objects (
    key    TEXT    NOT NULL PRIMARY KEY,
    region TEXT    NOT NULL,
    hour   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX log_objects_by_hour ON log_objects (hour);
";

/// Version 4: alert delivery states, and the lease's epoch (fencing). A failed attempt backs off until
/// `retry_ns` (so it never holds back the entries behind it), a timed-out one
/// is marked `uncertain` (SNS may have it), and an entry given up on is parked
/// (`parked_ns`, the dead letter) and leaves the pending index.
pub(super) const SCHEMA_V4: &str = "
ALTER TABLE outbox ADD COLUMN retry_ns INTEGER;
ALTER TABLE outbox ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0 CHECK (uncertain IN (0, 1));
ALTER TABLE outbox ADD COLUMN parked_ns INTEGER;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (created_ns) WHERE published_ns IS NULL AND parked_ns IS NULL;
CREATE INDEX outbox_by_created ON outbox (created_ns);
-- The lease's epoch: +1 each time it passes to a new holding (fenced writes).
ALTER TABLE leases ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
";

/// Version 5: the audit trail of `reprice`, one row per applied UTC day of a
/// run, written in that day's transaction.
pub(super) const SCHEMA_V5: &str = "
-- at_ns: when the run started (epoch ns); day: the UTC day (yyyy-mm-dd);
-- body: the record as JSON, money as exact decimal strings.
CREATE TABLE reprices (
    at_ns INTEGER NOT NULL,
    day   TEXT    NOT NULL,
    body  TEXT    NOT NULL,
    PRIMARY KEY (at_ns, day)
) STRICT, WITHOUT ROWID;
";

/// Version 6: the minute rows keyed by small integers. Every text the minute
/// tables repeated in each row (source, region, model ID, metric, token type,
/// model, price entry, unpriced reason) is stored once in `names` and
/// referred to by its id; the rows are keyed minute first, which is how every
/// reader and compaction ranges over them, so the by-minute indexes (a second
/// copy of every key) are gone. `metric_points` and `cost_lines` stay as
/// read-only views with the columns of version 5. Money stays exact decimal text.
pub(super) const SCHEMA_V6: &str = "
CREATE TABLE names (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
) STRICT;

-- One CloudWatch datapoint per minute, per source; `count` only for averages.
-- Every INTEGER but minute is a names.id.
CREATE TABLE metric_minutes (
    minute   INTEGER NOT NULL,  -- epoch seconds, start of the minute
    source   INTEGER NOT NULL,
    region   INTEGER NOT NULL,
    model_id INTEGER NOT NULL,
    metric   INTEGER NOT NULL,
    sum      REAL    NOT NULL,
    count    REAL,
    PRIMARY KEY (minute, source, region, model_id, metric)
) STRICT, WITHOUT ROWID;

-- Priced tokens per minute. Priced: model, price_entry, usd set, reason NULL.
-- Unpriced: the three NULL and reason set. usd is exact decimal text; the
-- other columns but minute and tokens are names.id.
CREATE TABLE cost_minutes (
    minute      INTEGER NOT NULL,  -- epoch seconds, start of the minute
    region      INTEGER NOT NULL,
    model_id    INTEGER NOT NULL,
    token_type  INTEGER NOT NULL,
    tokens      INTEGER NOT NULL CHECK (tokens >= 0),
    model       INTEGER,
    price_entry INTEGER,
    usd         TEXT,
    reason      INTEGER,
    CHECK ((model IS NULL) = (price_entry IS NULL)
       AND (model IS NULL) = (usd IS NULL)
       AND (model IS NULL) = (reason IS NOT NULL)),
    PRIMARY KEY (minute, region, model_id, token_type)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO names (name)
    SELECT source FROM metric_points UNION SELECT region FROM metric_points
    UNION SELECT model_id FROM metric_points UNION SELECT metric FROM metric_points
    UNION SELECT region FROM cost_lines UNION SELECT model_id FROM cost_lines
    UNION SELECT token_type FROM cost_lines UNION SELECT model FROM cost_lines WHERE model IS NOT NULL
    UNION SELECT price_entry FROM cost_lines WHERE price_entry IS NOT NULL
    UNION SELECT reason FROM cost_lines WHERE reason IS NOT NULL;

INSERT INTO metric_minutes (minute, source, region, model_id, metric, sum, count)
    SELECT p.minute, s.id, r.id, i.id, m.id, p.sum, p.count FROM metric_points p
    JOIN names s ON s.name = p.source JOIN names r ON r.name = p.region
    JOIN names i ON i.name = p.model_id JOIN names m ON m.name = p.metric
    ORDER BY 1, 2, 3, 4, 5;

INSERT INTO cost_minutes (minute, region, model_id, token_type, tokens, model, price_entry, usd, reason)
    SELECT c.minute, r.id, i.id, t.id, c.tokens, m.id, e.id, c.usd, w.id FROM cost_lines c
    JOIN names r ON r.name = c.region JOIN names i ON i.name = c.model_id
    JOIN names t ON t.name = c.token_type LEFT JOIN names m ON m.name = c.model
    LEFT JOIN names e ON e.name = c.price_entry LEFT JOIN names w ON w.name = c.reason
    ORDER BY 1, 2, 3, 4;

DROP TABLE metric_points;
DROP TABLE cost_lines;

CREATE VIEW metric_points AS
    SELECT s.name AS source, r.name AS region, i.name AS model_id, m.name AS metric,
           p.minute AS minute, p.sum AS sum, p.count AS count
    FROM metric_minutes p
    JOIN names s ON s.id = p.source JOIN names r ON r.id = p.region
    JOIN names i ON i.id = p.model_id JOIN names m ON m.id = p.metric;

CREATE VIEW cost_lines AS
    SELECT r.name AS region, i.name AS model_id, c.minute AS minute, t.name AS token_type,
           c.tokens AS tokens, m.name AS model, e.name AS price_entry, c.usd AS usd, w.name AS reason
    FROM cost_minutes c
    JOIN names r ON r.id = c.region JOIN names i ON i.id = c.model_id
    JOIN names t ON t.id = c.token_type LEFT JOIN names m ON m.id = c.model
    LEFT JOIN names e ON e.id = c.price_entry LEFT JOIN names w ON w.id = c.reason;
";

/// Connection settings. WAL lets readers (the HTTP API, /metrics) proceed
/// while the collector writes; `synchronous=NORMAL` is durable across a
/// process crash in WAL mode and only risks the last commits on power loss,
/// which the next collection run re-reads anyway (writes are idempotent).
pub(super) fn configure(conn: &Connection, wal: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).ctx("setting busy_timeout")?;
    if wal {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .ctx("setting journal_mode")?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("journal_mode is `{mode}`, WAL was refused")));
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL").ctx("setting synchronous")
}

/// Creates or upgrades the schema. The version is read inside an IMMEDIATE
/// transaction so two processes opening a new file cannot both create it.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting migration")?;
    let version: i64 =
        tx.pragma_query_value(None, "user_version", |row| row.get(0)).ctx("reading user_version")?;
    // Each version's DDL in order from the one after the file's; version 1
    // also rebuilds the hourly rollup it lacked, before version 6 re-keys the lines.
    let steps = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6];
    match version {
        0..SCHEMA_VERSION => {
            for (to, ddl) in (1..=SCHEMA_VERSION).zip(steps).skip(usize::try_from(version).unwrap_or(0)) {
                tx.execute_batch(ddl).ctx(&format!("upgrading schema to v{to}"))?;
                if to == 2 && version == 1 {
                    super::write::rebuild_cost_hours(&tx)?;
                }
            }
        }
        SCHEMA_VERSION => return tx.commit().ctx("committing migration"),
        newer if newer > SCHEMA_VERSION => {
            return Err(StoreError::Backend(format!(
                "ledger schema version {newer} is newer than this build supports ({SCHEMA_VERSION}); \
                 upgrade bedrock-cost-monitor or point it at another data directory"
            )));
        }
        bad => return Err(StoreError::Corrupt { what: "schema version", detail: format!("{bad}") }),
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).ctx("setting user_version")?;
    tx.commit().ctx("committing migration")
}
