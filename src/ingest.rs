//! Real data in: loads users, events and the optional tables from CSV (with
//! a header) or Parquet files through DuckDB's own readers, validates them,
//! and builds a warehouse with the same `raw.*` schema the generator writes.
//!
//! Policy (README "Ingesting your own data"):
//! - rejected (nothing is written): a file that is missing, empty, not CSV or
//!   Parquet, unreadable by DuckDB, lacking a required column, holding a value
//!   that does not parse (file, line, column and value are named), or a
//!   duplicate id;
//! - quarantined into `meta.rejected_rows` (reason and count printed): rows
//!   that reference an unknown user or workspace, and events or subscriptions
//!   dated before their user's signup.

use std::path::{Path, PathBuf};

use duckdb::Connection;
use duckdb::OptionalExt;

use crate::warehouse::sql_path;

/// One column of a raw table as ingest reads it.
struct ColumnSpec {
    name: &'static str,
    sql_type: &'static str,
    /// SQL for the value when the column is absent (None = required).
    default: Option<&'static str>,
}

const fn required(name: &'static str, sql_type: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        sql_type,
        default: None,
    }
}

const fn optional(name: &'static str, sql_type: &'static str, default: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        sql_type,
        default: Some(default),
    }
}

/// A raw table ingest can load.
struct TableSpec {
    table: &'static str,
    flag: &'static str,
    id: Option<&'static str>,
    columns: &'static [ColumnSpec],
}

const USERS: TableSpec = TableSpec {
    table: "users",
    flag: "--users",
    id: Some("user_id"),
    columns: &[
        required("user_id", "bigint"),
        required("signup_at", "timestamp"),
        optional("full_name", "varchar", "''"),
        optional("email", "varchar", "''"),
        optional("company_name", "varchar", "null"),
        optional("segment", "varchar", "'unknown'"),
        optional("acquisition_channel", "varchar", "'unknown'"),
        optional("device", "varchar", "'unknown'"),
        optional("region", "varchar", "'unknown'"),
        optional("use_case", "varchar", "'unknown'"),
    ],
};

const EVENTS: TableSpec = TableSpec {
    table: "events",
    flag: "--events",
    id: Some("event_id"),
    columns: &[
        optional("event_id", "bigint", "source_line - 1"),
        required("user_id", "bigint"),
        // Without workspaces, each user's activity is in a personal workspace.
        optional("workspace_id", "bigint", "user_id"),
        required("event_type", "varchar"),
        required("occurred_at", "timestamp"),
    ],
};

const WORKSPACES: TableSpec = TableSpec {
    table: "workspaces",
    flag: "--workspaces",
    id: Some("workspace_id"),
    columns: &[
        required("workspace_id", "bigint"),
        required("owner_user_id", "bigint"),
        optional("workspace_name", "varchar", "''"),
        optional("workspace_type", "varchar", "'team'"),
        required("created_at", "timestamp"),
    ],
};

const VISITS: TableSpec = TableSpec {
    table: "visits",
    flag: "--visits",
    id: Some("visit_id"),
    columns: &[
        optional("visit_id", "bigint", "source_line - 1"),
        required("visited_at", "timestamp"),
        required("channel", "varchar"),
        optional("landing_page", "varchar", "'unknown'"),
        optional("user_id", "bigint", "null"),
    ],
};

const SUBSCRIPTIONS: TableSpec = TableSpec {
    table: "subscriptions",
    flag: "--subscriptions",
    id: Some("subscription_id"),
    columns: &[
        optional("subscription_id", "bigint", "source_line - 1"),
        required("user_id", "bigint"),
        optional("workspace_id", "bigint", "user_id"),
        optional("plan", "varchar", "'paid'"),
        optional("seats", "integer", "1"),
        required("started_at", "timestamp"),
        optional("ended_at", "timestamp", "null"),
        required("monthly_revenue", "double precision"),
    ],
};

/// The files of one ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestFiles {
    pub users: PathBuf,
    pub events: PathBuf,
    pub workspaces: Option<PathBuf>,
    pub visits: Option<PathBuf>,
    pub subscriptions: Option<PathBuf>,
}

/// Errors that reject the whole ingest; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{flag} file '{path}' does not exist")]
    Missing { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' is not CSV or Parquet (extension must be .csv or .parquet)")]
    NotTabular { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' cannot be read: {message}")]
    Unreadable {
        flag: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("{flag} file '{path}' has no rows")]
    Empty { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' lacks required column '{column}' (found: {found})")]
    MissingColumn {
        flag: &'static str,
        path: PathBuf,
        column: &'static str,
        found: String,
    },
    #[error(
        "{flag} file '{path}' line {line} column '{column}': '{value}' is not a valid {expected}"
    )]
    BadValue {
        flag: &'static str,
        path: PathBuf,
        line: i64,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{flag} file '{path}' line {line} column '{column}': a value is required")]
    MissingValue {
        flag: &'static str,
        path: PathBuf,
        line: i64,
        column: &'static str,
    },
    #[error("{flag} file '{path}': duplicate {column} {value} (lines {first} and {second})")]
    Duplicate {
        flag: &'static str,
        path: PathBuf,
        column: &'static str,
        value: String,
        first: i64,
        second: i64,
    },
    #[error("{flag} file '{path}': every row was rejected ({rejected} rows; see meta.rejected_rows reasons: {reasons})")]
    AllRejected {
        flag: &'static str,
        path: PathBuf,
        rejected: i64,
        reasons: String,
    },
    #[error("ingest SQL failed ({context}): {message}")]
    Sql { context: String, message: String },
}

/// What an ingest loaded.
#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    /// (table, rows loaded, rows quarantined)
    pub tables: Vec<(&'static str, i64, i64)>,
    pub period_start: Option<chrono::NaiveDate>,
    pub period_end: Option<chrono::NaiveDate>,
}

fn sql_error(context: impl Into<String>) -> impl FnOnce(duckdb::Error) -> IngestError {
    let context = context.into();
    move |source| IngestError::Sql {
        context,
        message: crate::one_line(&source.to_string()),
    }
}

fn expected_name(sql_type: &str) -> &'static str {
    match sql_type {
        "bigint" | "integer" => "integer",
        "timestamp" => {
            "timestamp (YYYY-MM-DD[ HH:MM:SS[.ffffff]], UTC; an offset like +02:00 is converted)"
        }
        "double precision" => "number",
        _ => "text",
    }
}

/// Reads one file into the temp table `src_<table>` with a `source_line`
/// column, every other column as text.
fn stage_file(
    conn: &Connection,
    spec: &TableSpec,
    path: &Path,
) -> Result<Vec<String>, IngestError> {
    if !path.exists() {
        return Err(IngestError::Missing {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    let extension = path
        .extension()
        .map(|ext| ext.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let reader = match extension.as_str() {
        "csv" => format!(
            "read_csv('{}', header = true, all_varchar = true, auto_detect = true)",
            sql_path(path)
        ),
        "parquet" | "pq" => format!("read_parquet('{}')", sql_path(path)),
        _ => {
            return Err(IngestError::NotTabular {
                flag: spec.flag,
                path: path.to_path_buf(),
            })
        }
    };
    let unreadable = |err: duckdb::Error| IngestError::Unreadable {
        flag: spec.flag,
        path: path.to_path_buf(),
        message: crate::one_line(&err.to_string()),
    };
    let staged = format!("src_{}", spec.table);
    let load = |reader: &str| {
        conn.execute_batch(&format!(
            "create or replace temp table raw_{staged} as select * from {reader}"
        ))
    };
    if let Err(err) = load(&reader) {
        // A CSV that is not valid UTF-8 (a spreadsheet export in Windows-1252,
        // say) is read as Latin-1, where every byte is a character, instead of
        // being refused; the text keeps every byte's character.
        let not_utf8 = extension == "csv" && err.to_string().to_lowercase().contains("unicode");
        if !not_utf8 {
            return Err(unreadable(err));
        }
        load(&reader.replace(
            "auto_detect = true)",
            "auto_detect = true, encoding = 'latin-1')",
        ))
        .map_err(unreadable)?;
    }
    // Column names are matched case-insensitively, trimmed.
    let mut statement = conn
        .prepare(&format!(
            "select column_name from duckdb_columns() where table_name = 'raw_{staged}' and database_name = 'temp' order by column_index"
        ))
        .map_err(sql_error("listing columns"))?;
    let found: Vec<String> = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(sql_error("listing columns"))?
        .collect::<Result<_, _>>()
        .map_err(sql_error("listing columns"))?;
    let normalized: Vec<String> = found
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    for column in spec.columns.iter().filter(|c| c.default.is_none()) {
        if !normalized.iter().any(|c| c == column.name) {
            return Err(IngestError::MissingColumn {
                flag: spec.flag,
                path: path.to_path_buf(),
                column: column.name,
                // a mis-sniffed header can hold line breaks: keep the error one line
                found: crate::one_line(&found.join(", ")),
            });
        }
    }
    let select_list: Vec<String> = found
        .iter()
        .zip(&normalized)
        .filter(|(_, name)| spec.columns.iter().any(|c| c.name == name.as_str()))
        .map(|(original, name)| {
            format!(
                "nullif(trim(cast(\"{}\" as varchar)), '') as {name}",
                original.replace('"', "\"\"")
            )
        })
        .collect();
    conn.execute_batch(&format!(
        "create or replace temp table {staged} as \
         select cast(row_number() over () + 1 as bigint) as source_line, {} from raw_{staged}; \
         drop table raw_{staged};",
        select_list.join(", ")
    ))
    .map_err(unreadable)?;
    let rows: i64 = conn
        .query_row(&format!("select count(*) from {staged}"), [], |row| {
            row.get(0)
        })
        .map_err(sql_error("counting rows"))?;
    if rows == 0 {
        return Err(IngestError::Empty {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    Ok(normalized)
}

/// Validates types, required values and unique ids of a staged file.
fn validate(
    conn: &Connection,
    spec: &TableSpec,
    path: &Path,
    present: &[String],
) -> Result<(), IngestError> {
    let staged = format!("src_{}", spec.table);
    for column in spec.columns {
        if !present.iter().any(|c| c == column.name) {
            continue;
        }
        if column.default.is_none() {
            let missing: Option<i64> = conn
                .query_row(
                    &format!(
                        "select min(source_line) from {staged} where {} is null",
                        column.name
                    ),
                    [],
                    |row| row.get(0),
                )
                .map_err(sql_error("checking required values"))?;
            if let Some(line) = missing {
                return Err(IngestError::MissingValue {
                    flag: spec.flag,
                    path: path.to_path_buf(),
                    line,
                    column: column.name,
                });
            }
        }
        if column.sql_type == "varchar" {
            continue;
        }
        let bad: Option<(i64, String)> = conn
            .query_row(
                &format!(
                    "select source_line, {name} from {staged} \
                     where {name} is not null and try_cast({name} as {ty}) is null \
                     order by source_line limit 1",
                    name = column.name,
                    ty = column.sql_type
                ),
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(sql_error("checking value types"))?;
        if let Some((line, value)) = bad {
            // a quoted value may span lines: escape it so the error stays one line
            let value: String = value
                .chars()
                .take(80)
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            return Err(IngestError::BadValue {
                flag: spec.flag,
                path: path.to_path_buf(),
                line,
                column: column.name,
                value,
                expected: expected_name(column.sql_type),
            });
        }
    }
    if let Some(id) = spec.id.filter(|id| present.iter().any(|c| c == id)) {
        let duplicate: Option<(String, i64, i64)> = conn
            .query_row(
                &format!(
                    "select cast(cast({id} as bigint) as varchar), min(source_line), max(source_line) \
                     from {staged} group by cast({id} as bigint) having count(*) > 1 \
                     order by min(source_line) limit 1"
                ),
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(sql_error("checking duplicate ids"))?;
        if let Some((value, first, second)) = duplicate {
            return Err(IngestError::Duplicate {
                flag: spec.flag,
                path: path.to_path_buf(),
                column: id,
                value,
                first,
                second,
            });
        }
    }
    Ok(())
}

/// The typed projection of a staged file onto its raw table's columns.
fn typed_select(spec: &TableSpec, present: &[String]) -> String {
    spec.columns
        .iter()
        .map(|column| {
            let value = if present.iter().any(|c| c == column.name) {
                if column.sql_type == "varchar" {
                    column.name.to_string()
                } else {
                    format!("cast({} as {})", column.name, column.sql_type)
                }
            } else {
                let default = column.default.unwrap_or("null");
                format!("cast({default} as {})", column.sql_type)
            };
            format!("{value} as {}", column.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quarantine rules per table: (reason, condition on the typed row `typed`).
fn quarantine_rules(table: &str) -> Vec<(&'static str, &'static str)> {
    match table {
        "events" => vec![
            ("unknown user_id", "not exists (select 1 from raw.users where raw.users.user_id = typed.user_id)"),
            (
                "occurred before the user's signup",
                "exists (select 1 from raw.users where raw.users.user_id = typed.user_id and typed.occurred_at < raw.users.signup_at)",
            ),
            ("unknown workspace_id", "not exists (select 1 from raw.workspaces where raw.workspaces.workspace_id = typed.workspace_id)"),
        ],
        "subscriptions" => vec![
            ("unknown user_id", "not exists (select 1 from raw.users where raw.users.user_id = typed.user_id)"),
            (
                "started before the user's signup",
                "exists (select 1 from raw.users where raw.users.user_id = typed.user_id and typed.started_at < raw.users.signup_at)",
            ),
            ("ended before it started", "typed.ended_at < typed.started_at"),
            ("unknown workspace_id", "not exists (select 1 from raw.workspaces where raw.workspaces.workspace_id = typed.workspace_id)"),
        ],
        "workspaces" => vec![(
            "unknown owner_user_id",
            "not exists (select 1 from raw.users where raw.users.user_id = typed.owner_user_id)",
        )],
        "visits" => vec![(
            "unknown user_id",
            "typed.user_id is not null and not exists (select 1 from raw.users where raw.users.user_id = typed.user_id)",
        )],
        _ => Vec::new(),
    }
}

/// Loads a staged, validated file into `raw.<table>`, quarantining rows
/// that break a rule. Returns (loaded, quarantined).
fn load_table(
    conn: &Connection,
    spec: &TableSpec,
    path: &Path,
    present: &[String],
) -> Result<(i64, i64), IngestError> {
    let staged = format!("src_{}", spec.table);
    let context = |what: &str| format!("{what} raw.{}", spec.table);
    conn.execute_batch(&format!(
        "create or replace temp table typed_{t} as select source_line, {select} from {staged}",
        t = spec.table,
        select = typed_select(spec, present)
    ))
    .map_err(sql_error(context("typing")))?;
    let mut quarantined = 0i64;
    for (reason, condition) in quarantine_rules(spec.table) {
        let moved = conn
            .execute(
                &format!(
                    "insert into meta.rejected_rows \
                     select '{t}', ?, typed.source_line, ?, cast(typed as varchar), cast(current_timestamp as timestamp) \
                     from typed_{t} as typed where {condition}",
                    t = spec.table
                ),
                [path.to_string_lossy().as_ref(), reason],
            )
            .map_err(sql_error(context("quarantining rows of")))?;
        conn.execute_batch(&format!(
            "delete from typed_{t} as typed where {condition}",
            t = spec.table
        ))
        .map_err(sql_error(context("quarantining rows of")))?;
        quarantined += moved as i64;
    }
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let loaded = conn
        .execute(
            &format!(
                "insert into raw.{t} ({cols}) select {cols} from typed_{t} order by source_line",
                t = spec.table,
                cols = columns.join(", ")
            ),
            [],
        )
        .map_err(sql_error(context("loading")))? as i64;
    if loaded == 0 && quarantined > 0 {
        let reasons: String = conn
            .query_row(
                "select string_agg(distinct reason, '; ') from meta.rejected_rows where source_table = ?",
                [spec.table],
                |row| row.get(0),
            )
            .map_err(sql_error("summarizing rejected rows"))?;
        return Err(IngestError::AllRejected {
            flag: spec.flag,
            path: path.to_path_buf(),
            rejected: quarantined,
            reasons,
        });
    }
    conn.execute_batch(&format!(
        "drop table typed_{t}; drop table {staged};",
        t = spec.table
    ))
    .map_err(sql_error(context("cleaning up")))?;
    Ok((loaded, quarantined))
}

/// Validates and loads `files` into the (empty) raw tables on `conn`.
///
/// # Errors
/// Any rejection listed in the module docs; the caller discards the staged
/// warehouse, so nothing is written.
pub fn ingest(conn: &Connection, files: &IngestFiles) -> Result<IngestSummary, IngestError> {
    let mut summary = IngestSummary::default();
    // Stage and validate everything before loading anything.
    let mut plan: Vec<(&TableSpec, &Path, Vec<String>)> = Vec::new();
    let mut entries: Vec<(&TableSpec, &Path)> = vec![(&USERS, files.users.as_path())];
    if let Some(path) = &files.workspaces {
        entries.push((&WORKSPACES, path.as_path()));
    }
    entries.push((&EVENTS, files.events.as_path()));
    if let Some(path) = &files.visits {
        entries.push((&VISITS, path.as_path()));
    }
    if let Some(path) = &files.subscriptions {
        entries.push((&SUBSCRIPTIONS, path.as_path()));
    }
    for (spec, path) in entries {
        let mut present = stage_file(conn, spec, path)?;
        if files.workspaces.is_none() {
            // Without a workspaces file, activity is attributed to personal
            // workspaces (id = user id); a workspace_id column is ignored.
            present.retain(|column| column != "workspace_id");
        }
        validate(conn, spec, path, &present)?;
        plan.push((spec, path, present));
    }
    for (spec, path, present) in &plan {
        if spec.table == "events" && files.workspaces.is_none() {
            // Documented fallback: without a workspaces file every user has a
            // personal workspace whose id is the user id.
            conn.execute_batch(
                "insert into raw.workspaces \
                 select user_id, user_id, coalesce(nullif(full_name, ''), 'user ' || user_id) || '''s workspace', 'personal', signup_at from raw.users",
            )
            .map_err(sql_error("deriving personal workspaces"))?;
        }
        let (loaded, quarantined) = load_table(conn, spec, path, present)?;
        summary.tables.push((spec.table, loaded, quarantined));
    }
    // Memberships: workspace owners, and every user active in a workspace.
    conn.execute_batch(
        "insert into raw.workspace_members \
         select workspace_id, owner_user_id, 'owner', created_at from raw.workspaces; \
         insert into raw.workspace_members \
         select events.workspace_id, events.user_id, 'member', min(events.occurred_at) \
         from raw.events as events \
         inner join raw.workspaces as workspaces on workspaces.workspace_id = events.workspace_id \
         where events.user_id <> workspaces.owner_user_id \
         group by events.workspace_id, events.user_id;",
    )
    .map_err(sql_error("deriving workspace members"))?;
    let (start, end): (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) = conn
        .query_row(
            "select least(min(cast(signup_at as date)), (select min(cast(occurred_at as date)) from raw.events)), \
                    greatest(max(cast(signup_at as date)), (select max(cast(occurred_at as date)) from raw.events)) \
             from raw.users",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(sql_error("deriving the period"))?;
    summary.period_start = start;
    summary.period_end = end;
    Ok(summary)
}
