//! Bad input: one clear line, a non-zero exit code (2 for usage and config
//! errors), and the existing warehouse byte-for-byte untouched.

use std::path::Path;

use crate::common::{file_digest, run_in, run_ok, stderr, temp_dir, TestResult};

/// A directory with a small existing warehouse `w.duckdb`.
fn existing() -> (tempfile::TempDir, String) {
    crate::common::existing_warehouse(300)
}

fn assert_rejected(dir: &Path, digest: &str, args: &[&str], code: i32, needle: &str) {
    let output = run_in(dir, args);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {message}");
    assert!(
        message.contains(needle),
        "{args:?}: expected '{needle}' in: {message}"
    );
    let error_lines = message
        .lines()
        .filter(|line| line.starts_with("error"))
        .count();
    assert_eq!(error_lines, 1, "one error line: {message}");
    assert_eq!(
        file_digest(&dir.join("w.duckdb")),
        digest,
        "{args:?} changed the warehouse"
    );
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-") || name.ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "{args:?} left {leftovers:?}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let (dir, digest) = existing();
    let dir = dir.path();
    let w = ["--warehouse", "w.duckdb"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["generate"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&w);
        args
    };
    assert_rejected(dir, &digest, &with(&["--users", "0"]), 2, "--users");
    assert_rejected(
        dir,
        &digest,
        &with(&["--users", "-5"]),
        2,
        "need at least 1",
    );
    assert_rejected(
        dir,
        &digest,
        &with(&["--users", "999999999999"]),
        2,
        "maximum",
    );
    assert_rejected(
        dir,
        &digest,
        &with(&["--users", "many"]),
        2,
        "not a whole number",
    );
    assert_rejected(
        dir,
        &digest,
        &with(&["--start", "2024-13-01"]),
        2,
        "YYYY-MM-DD",
    );
    assert_rejected(
        dir,
        &digest,
        &with(&["--start", "2024-06-01", "--end", "2024-01-01"]),
        2,
        "before start date",
    );
}

#[test]
fn bad_config_files_are_usage_errors() -> TestResult {
    let (dir, digest) = existing();
    let dir = dir.path();
    std::fs::write(dir.join("typo.toml"), "users = 100\nsed = 4\n")?;
    assert_rejected(
        dir,
        &digest,
        &[
            "generate",
            "--config",
            "typo.toml",
            "--warehouse",
            "w.duckdb",
        ],
        2,
        "unknown field `sed`",
    );
    std::fs::write(dir.join("wrongtype.toml"), "users = \"lots\"\n")?;
    assert_rejected(
        dir,
        &digest,
        &[
            "generate",
            "--config",
            "wrongtype.toml",
            "--warehouse",
            "w.duckdb",
        ],
        2,
        "line 1",
    );
    std::fs::write(
        dir.join("badrate.toml"),
        "[behaviour]\nactivation_rate = 1.5\n",
    )?;
    assert_rejected(
        dir,
        &digest,
        &[
            "generate",
            "--config",
            "badrate.toml",
            "--warehouse",
            "w.duckdb",
        ],
        2,
        "behaviour.activation_rate",
    );
    assert_rejected(
        dir,
        &digest,
        &[
            "generate",
            "--config",
            "missing.toml",
            "--warehouse",
            "w.duckdb",
        ],
        2,
        "unable to read config file 'missing.toml'",
    );
    Ok(())
}

#[test]
fn unwritable_directory_is_a_clear_failure() -> TestResult {
    let (dir, digest) = existing();
    // A regular file where a directory is expected: not writable even by root.
    std::fs::write(dir.path().join("blocker"), "not a directory")?;
    let output = run_in(
        dir.path(),
        &[
            "generate",
            "--users",
            "10",
            "--warehouse",
            "blocker/w.duckdb",
        ],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("unable to create warehouse directory 'blocker'"),
        "{message}"
    );
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    Ok(())
}

#[test]
fn warehouse_in_use_by_another_run_is_refused() -> TestResult {
    use fs4::fs_std::FileExt;
    let (dir, digest) = existing();
    let lock_path = dir.path().join("w.duckdb.lock");
    let lock = std::fs::File::create(&lock_path)?;
    std::fs::write(&lock_path, "424242")?;
    assert!(FileExt::try_lock_exclusive(&lock)?, "test takes the lock");
    let output = run_in(
        dir.path(),
        &["generate", "--users", "10", "--warehouse", "w.duckdb"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("in use by PID 424242"), "{message}");
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    FileExt::unlock(&lock)?;
    Ok(())
}

#[test]
fn warehouse_held_open_by_a_sql_client_is_refused() -> TestResult {
    let (dir, digest) = existing();
    let path = dir.path().join("w.duckdb");
    // Another process would hold DuckDB's write lock; a read-write handle in
    // this process holds the same kind of lock.
    let client = duckdb::Connection::open(&path)?;
    let output = run_in(
        dir.path(),
        &["generate", "--users", "10", "--warehouse", "w.duckdb"],
    );
    let message = stderr(&output);
    drop(client);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("held open by another process"),
        "{message}"
    );
    assert_eq!(file_digest(&path), digest);
    Ok(())
}

#[test]
fn missing_warehouse_for_query_is_a_usage_error() {
    let dir = temp_dir();
    let output = run_in(dir.path(), &["query", "--warehouse", "nope.duckdb"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("'nope.duckdb' does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn failing_query_names_file_and_line_and_keeps_the_warehouse() -> TestResult {
    let (dir, digest) = existing();
    let queries = dir.path().join("q");
    std::fs::create_dir_all(queries.join("staging"))?;
    std::fs::write(
        queries.join("staging/broken.sql"),
        "-- name: broken\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: broken on purpose\nselect\n    user_id\nfrom raw.users\nwhere nonexistent_column = 1\n",
    )?;
    let output = run_in(
        dir.path(),
        &["query", "--queries", "q", "--warehouse", "w.duckdb"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("staging/broken.sql:9:"), "{message}");
    assert!(message.contains("nonexistent_column"), "{message}");
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    Ok(())
}

#[test]
fn generate_prints_a_one_line_summary() {
    let dir = temp_dir();
    let output = run_ok(
        dir.path(),
        &["generate", "--users", "200", "--warehouse", "s.duckdb"],
    );
    let message = stderr(&output);
    let last = message.lines().last().unwrap_or_default();
    assert!(last.starts_with("generated 200 users, "), "{message}");
    assert!(
        last.contains("s.duckdb") && last.contains("MiB"),
        "{message}"
    );
}

#[test]
fn help_explains_flags_with_an_example() {
    let output = crate::common::northstar()
        .args(["generate", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--users",
        "--seed",
        "--start",
        "--end",
        "--warehouse",
        "--config",
        "--threads",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }
    let output = crate::common::northstar()
        .args(["--help"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Examples:"));
}

#[test]
fn a_failed_check_is_printed_recorded_and_fails_the_command() -> TestResult {
    let (dir, _) = existing();
    let queries = dir.path().join("q");
    std::fs::create_dir_all(queries.join("checks"))?;
    std::fs::write(
        queries.join("checks/check_no_users.sql"),
        "-- name: check_no_users\n-- version: 1\n-- depends:\n-- grain: one row per user\n-- description: fails on purpose: every user is offending\nselect user_id from raw.users\n",
    )?;
    std::fs::write(
        queries.join("checks/check_users_warn.sql"),
        "-- name: check_users_warn\n-- version: 1\n-- depends:\n-- severity: warning\n-- grain: one row per user\n-- description: a warning on purpose\nselect user_id from raw.users\n",
    )?;
    std::fs::create_dir_all(queries.join("staging"))?;
    std::fs::write(
        queries.join("staging/user_count.sql"),
        "-- name: user_count\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: users\nselect count(*) as users from raw.users\n",
    )?;
    let output = run_in(
        dir.path(),
        &["query", "--queries", "q", "--warehouse", "w.duckdb"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("check 'check_no_users' failed: 300 offending row(s)"),
        "{message}"
    );
    assert!(
        message.contains("1 data-quality check(s) failed: check_no_users"),
        "{message}"
    );
    // the warning-level check is printed, recorded, and not a failure
    assert!(
        message.contains("warning: check 'check_users_warn' found 300 row(s)"),
        "{message}"
    );
    let conn = crate::common::open(&dir.path().join("w.duckdb"));
    let (passed, rows): (bool, i64) = conn.query_row(
        "select passed, offending_rows from meta.check_results where check_name = 'check_no_users'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    assert!(!passed);
    assert_eq!(rows, 300);
    let severity: String = conn.query_row(
        "select severity from meta.check_results where check_name = 'check_users_warn'",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(severity, "warning");
    Ok(())
}

#[test]
fn only_runs_the_match_and_its_dependencies_and_duplicates_are_refused() -> TestResult {
    let (dir, digest) = existing();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "query",
            "--only",
            "funnel_stag*",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let conn = crate::common::open(&dir.path().join("w.duckdb"));
    let mut statement =
        conn.prepare("select query_name from meta.query_runs order by query_name")?;
    let names: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    assert_eq!(
        names,
        vec![
            "funnel_stages",
            "stg_events",
            "stg_subscriptions",
            "stg_users",
            "stg_visits",
            "stg_workspace_members",
            "user_days",
            "user_funnel",
            "user_milestones"
        ]
    );
    drop(statement);
    drop(conn);
    let digest = {
        let _ = digest;
        file_digest(&dir.path().join("w.duckdb"))
    };
    let queries = dir.path().join("dup");
    std::fs::create_dir_all(queries.join("a"))?;
    std::fs::create_dir_all(queries.join("b"))?;
    let body = "-- name: same\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: twice\nselect 1 as one\n";
    std::fs::write(queries.join("a/same.sql"), body)?;
    std::fs::write(queries.join("b/same.sql"), body)?;
    let output = run_in(
        dir.path(),
        &["query", "--queries", "dup", "--warehouse", "w.duckdb"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("two query files are named 'same': 'a/same.sql' and 'b/same.sql'"),
        "{}",
        stderr(&output)
    );
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    Ok(())
}

/// `--seed 0` is generated data like any other seed: the source is stored
/// explicitly (`config.params.data_source`), not inferred from the seed.
#[test]
fn seed_zero_is_generated_data_not_ingested() -> TestResult {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "500",
            "--seed",
            "0",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let conn = crate::common::open(&dir.path().join("w.duckdb"));
    let (seed, source): (i64, String) =
        conn.query_row("select seed, data_source from config.params", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    assert_eq!((seed, source.as_str()), (0, "generated"));
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(report.contains("(seed 0)"), "{report}");
    assert!(!report.contains("(ingested data)"), "{report}");
    assert!(!report.contains("ingested (no seed)"), "{report}");
    Ok(())
}
