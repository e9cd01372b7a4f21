//! Engines: where the query files run. Each engine is one file here with a
//! [`Session`]: it materializes an analysis, counts a check's offending rows
//! and writes the `meta` rows, in its own dialect. Everything else (reading,
//! ordering, scheduling, what is recorded) is shared: the scheduler is
//! [`crate::queries::scheduler`], the recording is [`record`] below. A new
//! engine is a new file implementing [`Session`] and a `run` that opens it.

pub mod duckdb;
pub mod pg_dialect;
pub mod postgres;
pub mod spark_dialect;

use crate::queries::{QueryFile, QueryKind};

/// What one file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An analysis materialized as `analytics.<name>` with this many rows.
    Analysis { rows: i64 },
    /// A check: its offending row count and up to five sample rows as text.
    Check { offending: i64, sample: Vec<String> },
}

/// A value bound to a recording statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// A SQL `integer`.
    Int(i32),
    /// A SQL `bigint`.
    BigInt(i64),
    Bool(bool),
}

/// A recording statement: SQL with `?` placeholders and the values, in order.
pub type Statement = (&'static str, Vec<Value>);

/// One place where SQL runs: a DuckDB connection, a PostgreSQL transaction.
pub trait Session {
    /// The engine's error (it names the file, line and engine).
    type Error: std::error::Error + Send + 'static;

    /// Materializes an analysis file as `analytics.<name>` with its table
    /// comment ([`QueryFile::table_comment`]) and returns its row count.
    ///
    /// # Errors
    /// The engine rejects the file (file and line named).
    fn materialize(&mut self, file: &QueryFile) -> Result<i64, Self::Error>;

    /// Runs a check file: the number of offending rows and up to five of
    /// them, each as one line of text (values joined by `, `, NULL as `NULL`).
    ///
    /// # Errors
    /// The engine rejects the file (file and line named).
    fn check(&mut self, file: &QueryFile) -> Result<(i64, Vec<String>), Self::Error>;

    /// Runs `statements` (`?` placeholders) as one unit: all or none.
    ///
    /// # Errors
    /// The engine refuses a statement; `what` names the record for the message.
    fn write(&mut self, what: &str, statements: &[Statement]) -> Result<(), Self::Error>;

    /// The engine's error for Ctrl-C.
    fn interrupted() -> Self::Error;

    /// The engine's error for a runner thread that panicked on `file`.
    fn panicked(file: &QueryFile) -> Self::Error;

    /// Runs `file` whatever its kind.
    ///
    /// # Errors
    /// As [`Session::materialize`] and [`Session::check`].
    fn execute(&mut self, file: &QueryFile) -> Result<Outcome, Self::Error> {
        match file.kind {
            QueryKind::Analysis => Ok(Outcome::Analysis {
                rows: self.materialize(file)?,
            }),
            QueryKind::Check => {
                let (offending, sample) = self.check(file)?;
                Ok(Outcome::Check { offending, sample })
            }
        }
    }
}

/// Adds `meta.check_results.severity` to a warehouse written before checks
/// had one (its rows were all error-level). Both engines accept it.
pub const MIGRATE_CHECK_RESULTS: &str =
    "alter table meta.check_results add column if not exists severity varchar default 'error'";

/// The `meta` rows of a finished file, the same on every engine: the file's
/// row in `meta.query_runs` (analyses) or `meta.check_results` (checks)
/// replaced; `ran_at` is UTC, taken here, not from the engine's clock
/// settings; `elapsed_ms` is the file's own wall time.
pub fn record_statements(file: &QueryFile, outcome: &Outcome, elapsed_ms: i64) -> Vec<Statement> {
    let ran_at = Value::Text(crate::utc_timestamp_text(chrono::Utc::now()));
    let version = Value::Int(i32::try_from(file.version).unwrap_or(i32::MAX));
    match outcome {
        Outcome::Analysis { rows } => vec![
            (
                "delete from meta.query_runs where query_name = ?",
                vec![Value::Text(file.name.clone())],
            ),
            (
                "insert into meta.query_runs (query_name, query_version, checksum, source_path, row_count, elapsed_ms, ran_at) \
                 values (?, ?, ?, ?, ?, ?, cast(cast(? as varchar) as timestamp))",
                vec![
                    Value::Text(file.name.clone()),
                    version,
                    Value::Text(file.checksum.clone()),
                    Value::Text(file.path.clone()),
                    Value::BigInt(*rows),
                    Value::BigInt(elapsed_ms),
                    ran_at,
                ],
            ),
        ],
        Outcome::Check { offending, sample } => vec![
            (
                "delete from meta.check_results where check_name = ?",
                vec![Value::Text(file.name.clone())],
            ),
            (
                "insert into meta.check_results (check_name, check_version, description, passed, offending_rows, sample, ran_at, severity) \
                 values (?, ?, ?, ?, ?, ?, cast(cast(? as varchar) as timestamp), ?)",
                vec![
                    Value::Text(file.name.clone()),
                    version,
                    Value::Text(file.description.clone()),
                    Value::Bool(*offending == 0),
                    Value::BigInt(*offending),
                    Value::Text(sample.join("\n")),
                    ran_at,
                    Value::Text(file.severity.as_str().into()),
                ],
            ),
        ],
    }
}

/// Records a finished file (see [`record_statements`]) on `session`.
///
/// # Errors
/// The engine refuses the write.
pub fn record<S: Session>(
    session: &mut S,
    file: &QueryFile,
    outcome: &Outcome,
    elapsed_ms: i64,
) -> Result<(), S::Error> {
    session.write(
        &format!("the run of '{}'", file.name),
        &record_statements(file, outcome, elapsed_ms),
    )
}

/// `statement` with each `?` placeholder numbered `$1`, `$2`, ... (the
/// PostgreSQL form). Recording statements are ours and hold no `?` in a
/// literal.
pub fn numbered_placeholders(statement: &str) -> String {
    let mut out = String::with_capacity(statement.len() + 8);
    let mut next = 0;
    for c in statement.chars() {
        if c == '?' {
            next += 1;
            out.push_str(&format!("${next}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered_placeholders("insert into t values (?, ?, cast(? as int))"),
            "insert into t values ($1, $2, cast($3 as int))"
        );
    }
}
