//! Query files: what runs, in which order, checked how. Read top-down like
//! a migration tool:
//!
//! - [`file`]: one versioned SQL file and its header (`-- name:`,
//!   `-- version:`, `-- depends:`, ...);
//! - [`source`]: where the files come from (embedded in the binary, or
//!   `--queries DIR`), and [`guard`]: each must be one read-only SELECT;
//! - [`graph`]: the dependency order and `--only` selection;
//! - [`lock`]: `queries.lock`, pinning name, version and body checksum;
//! - [`scheduler`]: runs the ordered files on an engine
//!   ([`crate::engine`]: DuckDB or PostgreSQL) and records them.
//!
//! Analyses are materialized as `analytics.<name>`; checks
//! (`queries/checks/`) return offending rows, recorded in
//! `meta.check_results`.

pub mod file;
pub mod graph;
pub mod guard;
pub mod lock;
pub mod scheduler;
pub mod source;

use std::path::PathBuf;

pub use crate::engine::duckdb::{restrict, run};
pub use crate::engine::MIGRATE_CHECK_RESULTS;
pub use file::{parse, QueryFile, QueryKind, Severity};
pub use graph::{order, select};
pub use lock::{lock_problems, lock_text, write_lock, LOCK_FILE};
pub use source::load;

/// Errors of the query layer; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("unable to read queries from '{path}'")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Header {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: depends on unknown query '{dependency}'")]
    UnknownDependency {
        path: String,
        line: usize,
        dependency: String,
    },
    #[error("--queries '{path}' {problem}")]
    Directory {
        path: PathBuf,
        problem: &'static str,
    },
    #[error("dependency cycle among queries: {0}")]
    Cycle(String),
    #[error("two query files are named '{name}': '{first}' and '{second}'")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
    #[error("{path}:{line}: query '{name}' failed: {message}")]
    Execute {
        path: String,
        name: String,
        line: usize,
        message: String,
    },
    #[error("no query matches --only '{0}'")]
    NoMatch(String),
    #[error("{count} data-quality check(s) failed: {names}")]
    ChecksFailed { count: usize, names: String },
    #[error("unable to record the run of '{name}'")]
    Record { name: String, source: duckdb::Error },
    #[error("unable to open a connection for the query runner: {0}")]
    Connect(duckdb::Error),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Lock(String),
    #[error("{path}:{line}: a query file must be exactly one read-only SELECT (WITH ... SELECT included): {found}; nothing was run")]
    NotASelect {
        path: String,
        line: usize,
        found: String,
    },
    #[error("unable to restrict the query stage (external access off, configuration locked): {0}")]
    Restrict(String),
}

/// Outcome of a runner pass.
#[derive(Debug, Default, Clone)]
pub struct RunSummary {
    pub analyses: usize,
    pub checks: usize,
    /// Error-level checks that found offending rows: (name, rows, sample).
    pub failed_checks: Vec<(String, i64, Vec<String>)>,
    /// Warning-level checks that found offending rows (recorded, not failing).
    pub warnings: Vec<(String, i64, Vec<String>)>,
    /// Wall-clock milliseconds of the whole stage (query files and checks,
    /// which run side by side).
    pub query_ms: i64,
    /// Milliseconds the checks took, summed (they overlap the query files).
    pub check_ms: i64,
}

/// How many query files run at once: DuckDB already runs each query on all
/// cores, but most of ours are small and spend their time in single-threaded
/// phases (planning, the final merge, writing the table), so two at a time
/// fill the cores better (goal P1, bench/GOALS.md). Results do not depend on it.
pub const PARALLEL_QUERIES: usize = 2;

#[cfg(test)]
mod tests {
    use super::graph::transitive_dependents;
    use super::guard::ensure_single_selects;
    use super::*;
    use crate::engine::duckdb::error_line;
    use duckdb::Connection;
    use indicatif::ProgressBar;

    fn file(name: &str, depends: &str) -> String {
        format!("-- name: {name}\n-- version: 1\n-- depends: {depends}\n-- grain: one row\n-- description: test\nselect 1 as one\n")
    }

    #[test]
    fn transitive_dependents_counts_every_file_downstream() {
        // 0 <- 1 <- 2, 0 <- 3, 4 alone
        let dependents = vec![vec![1, 3], vec![2], vec![], vec![], vec![]];
        assert_eq!(transitive_dependents(&dependents, 0), 3);
        assert_eq!(transitive_dependents(&dependents, 1), 1);
        assert_eq!(transitive_dependents(&dependents, 4), 0);
    }

    #[test]
    fn parallel_run_follows_dependencies_and_reports_the_failure() {
        // c reads b, which reads a: run two at a time, c must still see b's rows.
        let texts = [
            ("a", "", "select 1 as x union all select 2"),
            ("b", "a", "select x * 10 as x from analytics.a"),
            ("c", "b", "select sum(x) as total from analytics.b"),
            ("d", "", "select 4 as x"),
        ];
        let files: Vec<QueryFile> = texts
            .iter()
            .map(|(name, depends, body)| {
                let text = format!(
                    "-- name: {name}\n-- version: 1\n-- depends: {depends}\n-- grain: one row\n-- description: test\n{body}\n"
                );
                parse(&format!("x/{name}.sql"), &text).expect("valid header")
            })
            .collect();
        let files = order(&files).expect("acyclic");
        let conn = Connection::open_in_memory().expect("duckdb");
        crate::warehouse::create_schema(&conn).expect("schema");
        let summary = run(&conn, &files, &ProgressBar::hidden()).expect("runs");
        assert_eq!(summary.analyses, 4);
        let total: i64 = conn
            .query_row("select total from analytics.c", [], |row| row.get(0))
            .expect("c");
        assert_eq!(total, 30);
        let recorded: i64 = conn
            .query_row("select count(*) from meta.query_runs", [], |row| row.get(0))
            .expect("meta");
        assert_eq!(recorded, 4);

        // a failing file is named, and nothing that depends on it runs
        let mut broken = files.clone();
        broken[0].text = broken[0]
            .text
            .replace("select 1 as x", "select no_such_column as x");
        conn.execute_batch("drop table analytics.c").expect("drop");
        let err = run(&conn, &broken, &ProgressBar::hidden()).expect_err("a fails");
        assert!(err.to_string().contains("x/a.sql"), "{err}");
        assert!(conn
            .query_row("select count(*) from analytics.c", [], |row| row
                .get::<_, i64>(0))
            .is_err());
    }

    #[test]
    fn header_is_parsed() -> Result<(), QueryError> {
        let parsed = parse("a/x.sql", &file("x", "y, z"))?;
        assert_eq!(parsed.name, "x");
        assert_eq!(parsed.version, 1);
        assert_eq!(parsed.depends, vec!["y", "z"]);
        Ok(())
    }

    #[test]
    fn severity_is_an_optional_header_of_checks() -> Result<(), QueryError> {
        let check = |severity: &str| {
            format!("-- name: c\n-- version: 1\n-- depends:\n{severity}-- grain: one row\n-- description: d\nselect 1 as one\n")
        };
        assert_eq!(parse("checks/c.sql", &check(""))?.severity, Severity::Error);
        let warning = parse("checks/c.sql", &check("-- severity: warning\n"))?;
        assert_eq!(warning.severity, Severity::Warning);
        assert_eq!(
            warning.grain, "one row",
            "fields after severity are still read"
        );
        let err =
            parse("checks/c.sql", &check("-- severity: fatal\n")).expect_err("unknown severity");
        assert!(
            err.to_string().contains("checks/c.sql:4: severity 'fatal'"),
            "{err}"
        );
        let err = parse("x/c.sql", &check("-- severity: warning\n")).expect_err("analysis");
        assert!(
            err.to_string().contains("checks (queries/checks/) only"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn missing_field_names_file_and_field() {
        let err = parse("a/x.sql", "-- name: x\n-- version: 1\nselect 1").expect_err("must fail");
        let message = err.to_string();
        assert!(message.starts_with("a/x.sql:"), "{message}");
        assert!(message.contains("'-- depends:'"), "{message}");
    }

    #[test]
    fn cycle_and_unknown_dependency_are_errors() -> Result<(), QueryError> {
        let a = parse("a.sql", &file("a", "b"))?;
        let b = parse("b.sql", &file("b", "a"))?;
        assert!(matches!(order(&[a.clone(), b]), Err(QueryError::Cycle(_))));
        let err = order(&[a]).expect_err("unknown dependency");
        assert!(err.to_string().contains("unknown query 'b'"), "{err}");
        Ok(())
    }

    #[test]
    fn order_puts_dependencies_first_and_select_pulls_them() -> Result<(), QueryError> {
        let files = vec![
            parse("z.sql", &file("top", "mid"))?,
            parse("y.sql", &file("mid", "base"))?,
            parse("x.sql", &file("base", ""))?,
            parse("w.sql", &file("other", ""))?,
        ];
        let ordered = order(&files)?;
        let names: Vec<&str> = ordered.iter().map(|f| f.name.as_str()).collect();
        let position = |name: &str| names.iter().position(|n| *n == name);
        assert!(position("base") < position("mid") && position("mid") < position("top"));
        let selected = select(&ordered, "to*")?;
        let selected: Vec<&str> = selected.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(selected, vec!["base", "mid", "top"]);
        Ok(())
    }

    #[test]
    fn changed_body_without_bump_is_an_error() -> Result<(), QueryError> {
        let original = parse("x.sql", &file("x", ""))?;
        let lock = lock_text(&[original]);
        let changed = parse("x.sql", &file("x", "").replace("select 1", "select 2"))?;
        let (errors, _) = lock_problems(&[changed], &lock);
        assert_eq!(errors.len(), 1, "{errors:?}");
        Ok(())
    }

    #[test]
    fn error_line_is_read_from_duckdb_message() {
        assert_eq!(
            error_line("Parser Error: syntax error at or near \"form\"\n\nLINE 7: select * form x"),
            7
        );
    }

    #[test]
    fn embedded_queries_are_single_selects() -> Result<(), QueryError> {
        let files = load(None)?;
        assert!(files.len() > 30);
        ensure_single_selects(&files)
    }

    #[test]
    fn only_a_single_select_is_accepted() -> Result<(), QueryError> {
        let header = "-- name: x\n-- version: 1\n-- depends:\n-- grain: g\n-- description: d\n";
        let check = |path: &str, body: &str| {
            let file = parse(path, &format!("{header}{body}\n"))?;
            ensure_single_selects(&[file])
        };
        for body in [
            "select 1 as x",
            "select 1 as x;",
            "with t as (select 1 as x) select x from t",
            "select 1 as x union all select 2",
            "from raw.users select user_id",
            "select ';' as x -- ; drop table raw.users",
            "with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select n from r",
            "select 'with d as (delete from raw.users returning *)' as text_only",
        ] {
            check("a/x.sql", body)?;
        }
        for body in [
            "select 1 as x; drop table raw.users; create table raw.users as select 1 as user_id",
            "select 1; select 2",
            "drop table raw.users",
            "create table analytics.x as select 1",
            "insert into raw.users select * from raw.users",
            "attach 'other.duckdb' as other",
            "copy raw.users to 'users.csv'",
            "set enable_external_access = true",
            "pragma enable_profiling",
            "select 1 as x where false) as o; drop table raw.users; select * from (select 1 as x",
            "with gone as (delete from raw.users returning *) select * from gone",
            "with u as (update raw.users set email = '' returning *) select count(*) from u",
            "with i as (insert into raw.users select * from raw.users returning *) select 1",
            "select (with d as (delete from raw.users returning user_id) select count(*) from d) as n",
            "select 1 as x union all (with d as (delete from raw.users returning 1) select * from d)",
        ] {
            let err = check("checks/x.sql", body).expect_err(body);
            assert!(matches!(err, QueryError::NotASelect { .. }), "{body}: {err}");
            let message = err.to_string();
            assert!(message.starts_with("checks/x.sql:"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
        Ok(())
    }

    #[test]
    fn the_query_stage_reaches_nothing_outside_the_database() -> Result<(), QueryError> {
        let conn = Connection::open_in_memory().map_err(QueryError::Connect)?;
        conn.execute_batch("create table t as select 1 as x")
            .map_err(QueryError::Connect)?;
        restrict(&conn)?;
        // idempotent on the same instance
        restrict(&conn)?;
        let dir = std::env::temp_dir().join(format!("northstar-restrict-{}", std::process::id()));
        let target = dir.join("out.csv");
        for sql in [
            format!("copy t to '{}'", target.display()),
            format!("attach '{}' as other", dir.join("other.duckdb").display()),
            "select * from read_csv('/etc/hostname')".to_string(),
            "select * from glob('/*')".to_string(),
            "set enable_external_access = true".to_string(),
            "set lock_configuration = false".to_string(),
        ] {
            assert!(conn.execute_batch(&sql).is_err(), "{sql} ran");
        }
        assert!(!target.exists());
        // the warehouse itself is still in reach
        let x: i64 = conn
            .query_row("select x from t", [], |row| row.get(0))
            .map_err(QueryError::Connect)?;
        assert_eq!(x, 1);
        Ok(())
    }

    #[test]
    fn embedded_queries_parse_and_order() -> Result<(), QueryError> {
        let files = load(None)?;
        order(&files)?;
        Ok(())
    }
}
