//! The DuckDB engine: the warehouse's own database. Each [`DuckSession`] is
//! one connection; the query stage opens [`crate::queries::PARALLEL_QUERIES`]
//! of them so independent files run side by side, and records on the
//! caller's connection.

use duckdb::Connection;
use indicatif::ProgressBar;

use super::{Session, Statement, Value};
use crate::queries::{scheduler, QueryError, QueryFile, RunSummary, PARALLEL_QUERIES};

/// One DuckDB connection running query files.
pub struct DuckSession {
    conn: Connection,
}

impl DuckSession {
    /// A session on a connection of its own to `conn`'s database.
    fn on(conn: &Connection) -> Result<Self, QueryError> {
        Ok(Self {
            conn: worker_connection(conn).map_err(QueryError::Connect)?,
        })
    }
}

fn execute_error(file: &QueryFile) -> impl Fn(duckdb::Error) -> QueryError + Copy + '_ {
    move |err: duckdb::Error| {
        let message = err.to_string();
        QueryError::Execute {
            path: file.path.clone(),
            name: file.name.clone(),
            line: error_line(&message),
            message: crate::one_line(&message),
        }
    }
}

impl Session for DuckSession {
    type Error = QueryError;

    fn materialize(&mut self, file: &QueryFile) -> Result<i64, QueryError> {
        let conn = &self.conn;
        let execute_error = execute_error(file);
        // Table, row count and comment in one transaction: one commit.
        crate::warehouse::in_transaction(conn, execute_error, || {
            // One prepared statement: DuckDB refuses to prepare two.
            conn.execute(
                &format!(
                    "create or replace table analytics.{} as {}",
                    file.name, file.text
                ),
                [],
            )
            .map_err(execute_error)?;
            let rows: i64 = conn
                .query_row(
                    &format!("select count(*) from analytics.{}", file.name),
                    [],
                    |row| row.get(0),
                )
                .map_err(execute_error)?;
            conn.execute(
                &format!(
                    "comment on table analytics.{} is '{}'",
                    file.name,
                    file.table_comment().replace('\'', "''")
                ),
                [],
            )
            .map_err(execute_error)?;
            Ok(rows)
        })
    }

    fn check(&mut self, file: &QueryFile) -> Result<(i64, Vec<String>), QueryError> {
        let conn = &self.conn;
        let execute_error = execute_error(file);
        let offending: i64 = conn
            .query_row(
                &format!("select count(*) from ({}\n) as offending", file.text),
                [],
                |row| row.get(0),
            )
            .map_err(execute_error)?;
        let mut sample = Vec::new();
        if offending > 0 {
            // Every value as DuckDB's own text (what a SQL client shows:
            // 60, 2024-01-01, 2024-01-01 10:00:00), NULL as NULL.
            let mut statement = conn
                .prepare(&format!(
                    "select cast(columns(*) as varchar) from ({}\n) as offending limit 5",
                    file.text
                ))
                .map_err(execute_error)?;
            let mut rows = statement.query([]).map_err(execute_error)?;
            let columns = rows
                .as_ref()
                .map_or(0, |statement| statement.column_count());
            while let Some(row) = rows.next().map_err(execute_error)? {
                let values: Vec<String> = (0..columns)
                    .map(|index| match row.get_ref(index) {
                        Ok(value) => format_value(value),
                        Err(_) => "?".into(),
                    })
                    .collect();
                sample.push(values.join(", "));
            }
        }
        Ok((offending, sample))
    }

    fn write(&mut self, what: &str, statements: &[Statement]) -> Result<(), QueryError> {
        let conn = &self.conn;
        let record_error = |source| QueryError::Record {
            name: what.to_string(),
            source,
        };
        crate::warehouse::in_transaction(conn, record_error, || {
            for (sql, values) in statements {
                let values: Vec<duckdb::types::Value> = values.iter().map(duck_value).collect();
                conn.execute(sql, duckdb::params_from_iter(values))
                    .map_err(record_error)?;
            }
            Ok(())
        })
    }

    fn interrupted() -> QueryError {
        QueryError::Interrupted
    }

    fn panicked(file: &QueryFile) -> QueryError {
        QueryError::Execute {
            path: file.path.clone(),
            name: file.name.clone(),
            line: 1,
            message: "the query runner panicked".into(),
        }
    }
}

fn duck_value(value: &Value) -> duckdb::types::Value {
    match value {
        Value::Text(text) => duckdb::types::Value::Text(text.clone()),
        Value::Int(number) => duckdb::types::Value::Int(*number),
        Value::BigInt(number) => duckdb::types::Value::BigInt(*number),
        Value::Bool(flag) => duckdb::types::Value::Boolean(*flag),
    }
}

/// Materializes the analyses and runs the checks among `files` (already
/// ordered) on `conn`, recording `meta.query_runs` and `meta.check_results`.
/// Up to [`PARALLEL_QUERIES`] files run at once, each on its own connection,
/// a file as soon as the files it depends on are done; dependencies outside
/// `files` must already be in the warehouse. Failed checks are recorded and
/// reported in the summary (in file order); the caller decides what a
/// failure means.
///
/// # Errors
/// A query that DuckDB rejects (file and line named; after it, no new file
/// starts and the running ones finish), or an interrupt.
pub fn run(
    conn: &Connection,
    files: &[QueryFile],
    progress: &ProgressBar,
) -> Result<RunSummary, QueryError> {
    restrict(conn)?;
    // A warehouse written before checks had a severity gains the column.
    conn.execute_batch(super::MIGRATE_CHECK_RESULTS)
        .map_err(|source| QueryError::Record {
            name: "meta.check_results".into(),
            source,
        })?;
    let mut recorder = DuckSession::on(conn)?;
    let workers = (0..PARALLEL_QUERIES.min(files.len()).max(1))
        .map(|_| DuckSession::on(conn))
        .collect::<Result<Vec<_>, _>>()?;
    // Ctrl-C cancels the running statements rather than waiting for them
    // (at 10M users one file can take over a minute).
    let handles: Vec<_> = workers
        .iter()
        .map(|worker| worker.conn.interrupt_handle())
        .collect();
    let cancel = move || handles.iter().for_each(|handle| handle.interrupt());
    scheduler::run(&mut recorder, workers, files, progress, &cancel)
}

/// DuckDB reports `LINE n:`; map it to the file's line (the statement is the
/// file text with `create table ... as ` prepended on the same first line).
pub(crate) fn error_line(message: &str) -> usize {
    message
        .split("LINE ")
        .nth(1)
        .and_then(|tail| tail.split(':').next())
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or(1)
}

/// Turns off DuckDB's access to anything outside the attached databases
/// (files, `ATTACH`, `COPY`, extensions) and locks the configuration so no
/// statement can turn it back on, for the rest of this database instance's
/// life: the query files run with only the warehouse in reach, each
/// statement on one DuckDB thread (set here because the lock freezes every
/// setting; the scheduler supplies the parallelism). The runner's
/// own work afterwards (recording runs, checkpoint, detach) needs neither.
/// Idempotent: a second pass on the same instance finds it locked.
///
/// # Errors
/// DuckDB refuses a setting, or the instance is locked with external access on.
pub fn restrict(conn: &Connection) -> Result<(), QueryError> {
    let setting = |name: &str| -> Result<String, QueryError> {
        conn.query_row(
            &format!("select cast(current_setting('{name}') as varchar)"),
            [],
            |row| row.get(0),
        )
        .map_err(|err| QueryError::Restrict(crate::one_line(&err.to_string())))
    };
    if !setting("lock_configuration")?.eq_ignore_ascii_case("true") {
        // One DuckDB thread per statement: the scheduler already runs
        // PARALLEL_QUERIES files at once, one per connection, and DuckDB's
        // own worker threads on top of them contended for its task queue
        // (perf: ~11% of CPU in mutex lock/unlock). Measured on 2 cores:
        // `run` 50k median 3.55 -> 3.36 s, 1M 43.8 -> 40.9 s (BENCHMARKS.md).
        conn.execute_batch(
            "set threads = 1; set enable_external_access = false; set lock_configuration = true;",
        )
        .map_err(|err| QueryError::Restrict(crate::one_line(&err.to_string())))?;
    }
    if setting("enable_external_access")?.eq_ignore_ascii_case("true") {
        return Err(QueryError::Restrict(
            "enable_external_access is locked on for this database instance".into(),
        ));
    }
    Ok(())
}

/// A second connection to `conn`'s database, using the same catalog and schema.
fn worker_connection(conn: &Connection) -> duckdb::Result<Connection> {
    let (catalog, schema): (String, String) =
        conn.query_row("select current_database(), current_schema()", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let worker = conn.try_clone()?;
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    worker.execute_batch(&format!("use {}.{}", quote(&catalog), quote(&schema)))?;
    Ok(worker)
}

/// One value of a check's sample row (cast to text by the query): text
/// unquoted, NULL as `NULL`; control characters escaped so a row stays on
/// one line.
fn format_value(value: duckdb::types::ValueRef<'_>) -> String {
    use duckdb::types::ValueRef;
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes)
            .chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect(),
        // unreachable while the sample query casts every column to varchar
        other => format!("{other:?}"),
    }
}
