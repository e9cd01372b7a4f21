//! What the user reads when something is wrong: one line, naming the real
//! problem (the flag, the file, the variable, the value) and only a way
//! forward the command actually offers.

use std::process::Output;

use crate::common::{
    existing_warehouse, file_digest, northstar, run_in, stderr, temp_dir, TestResult,
};

/// The single `error:` line of a failed command, asserting its exit code
/// and that stderr holds nothing else.
fn one_error_line(output: &Output, code: i32, context: &str) -> String {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{context}: {message}");
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 1, "{context}: one line expected: {message}");
    assert!(lines[0].starts_with("error: "), "{context}: {message}");
    lines[0].to_string()
}

fn assert_contains(line: &str, needles: &[&str]) {
    for needle in needles {
        assert!(line.contains(needle), "expected '{needle}' in: {line}");
    }
}

#[test]
fn report_and_charts_on_a_warehouse_held_open_say_it_is_in_use() -> TestResult {
    let (dir, digest) = existing_warehouse(300);
    let path = dir.path().join("w.duckdb");
    // A SQL client (this test process) holds DuckDB's write lock.
    let client = duckdb::Connection::open(&path)?;
    let pid = format!("PID {}", std::process::id());
    let mut lines = Vec::new();
    for args in [
        vec!["report", "--warehouse", "w.duckdb", "--out", "r"],
        vec!["charts", "--warehouse", "w.duckdb", "--out", "r"],
        vec!["query", "--warehouse", "w.duckdb"],
        vec!["export", "parquet", "--warehouse", "w.duckdb", "--out", "p"],
    ] {
        let output = run_in(dir.path(), &args);
        lines.push((args[0], one_error_line(&output, 1, args[0])));
    }
    drop(client);
    for (command, line) in lines {
        assert_contains(
            &line,
            &["'w.duckdb' is in use", "held open by another process", &pid],
        );
        assert!(!line.contains("--force"), "{command}: {line}");
        assert!(
            !line.contains("not a northstar warehouse"),
            "{command}: {line}"
        );
    }
    assert_eq!(file_digest(&path), digest);
    Ok(())
}

#[test]
fn a_foreign_file_is_refused_offering_only_flags_the_command_has() -> TestResult {
    let dir = temp_dir();
    std::fs::write(dir.path().join("f.duckdb"), vec![7u8; 8192])?;
    for (args, offers_force) in [
        (
            vec!["report", "--warehouse", "f.duckdb", "--out", "r"],
            false,
        ),
        (
            vec!["charts", "--warehouse", "f.duckdb", "--out", "r"],
            false,
        ),
        (vec!["query", "--warehouse", "f.duckdb"], false),
        (
            vec!["generate", "--users", "10", "--warehouse", "f.duckdb"],
            true,
        ),
    ] {
        let line = one_error_line(&run_in(dir.path(), &args), 1, args[0]);
        assert_contains(
            &line,
            &[
                "'f.duckdb' is not a northstar warehouse",
                "choose another --warehouse",
            ],
        );
        assert_eq!(line.contains("--force"), offers_force, "{line}");
    }
    Ok(())
}

#[test]
fn report_and_charts_before_any_query_ask_for_a_query_run() {
    let (dir, digest) = existing_warehouse(300);
    for command in ["report", "charts"] {
        let output = run_in(
            dir.path(),
            &[command, "--warehouse", "w.duckdb", "--out", "r"],
        );
        let line = one_error_line(&output, 1, command);
        assert_eq!(
            line,
            "error: warehouse 'w.duckdb' has no analytics tables: run `northstar query --warehouse w.duckdb` first"
        );
    }
    assert!(!dir.path().join("r").exists());
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
}

#[test]
fn a_bad_memory_limit_variable_is_one_usage_line_at_startup() {
    let (dir, digest) = existing_warehouse(300);
    for value in ["bogus", "1KB", "-5GB", "12", "5 parsecs"] {
        for args in [
            vec!["generate", "--users", "50", "--warehouse", "w.duckdb"],
            vec!["list"],
        ] {
            let output = northstar()
                .args(&args)
                .env("NORTHSTAR_MEMORY_LIMIT", value)
                .current_dir(dir.path())
                .output()
                .expect("runs");
            let line = one_error_line(&output, 2, value);
            assert_contains(
                &line,
                &[
                    "invalid environment variable NORTHSTAR_MEMORY_LIMIT",
                    "expected a size such as 6GB",
                ],
            );
            assert!(!line.contains(".tmp-"), "{line}");
        }
    }
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    let output = northstar()
        .args([
            "--quiet",
            "generate",
            "--users",
            "50",
            "--warehouse",
            "w.duckdb",
        ])
        .env("NORTHSTAR_MEMORY_LIMIT", "0.5GiB")
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn failed_check_sample_rows_print_values_as_a_sql_client_would() -> TestResult {
    let (dir, _) = existing_warehouse(300);
    let queries = dir.path().join("q");
    std::fs::create_dir_all(queries.join("checks"))?;
    std::fs::write(
        queries.join("checks/check_typed.sql"),
        "-- name: check_typed\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: fails on purpose with typed values\n\
         select 60::bigint as n, date '2024-01-01' as d, timestamp '2024-01-01 10:30:00' as t, 'plain text' as s, null as x, 2.5::double as f, true as b\n",
    )?;
    let output = run_in(
        dir.path(),
        &["query", "--queries", "q", "--warehouse", "w.duckdb"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message
            .contains("\n    60, 2024-01-01, 2024-01-01 10:30:00, plain text, NULL, 2.5, true\n"),
        "{message}"
    );
    assert!(
        !message.contains("BigInt") && !message.contains("Date32"),
        "{message}"
    );
    Ok(())
}

#[test]
fn a_directory_where_a_file_is_expected_and_the_reverse_are_named() -> TestResult {
    let (dir, digest) = existing_warehouse(300);
    let root = dir.path();
    std::fs::create_dir(root.join("a_dir"))?;
    std::fs::create_dir(root.join("empty"))?;
    std::fs::write(root.join("a_file"), "not a directory")?;
    let cases: [(&[&str], i32, &str); 10] = [
        (
            &["generate", "--config", "a_dir", "--warehouse", "w.duckdb"],
            2,
            "--config 'a_dir' is a directory; pass a TOML file",
        ),
        (
            &["run", "--queries", "a_file", "--warehouse", "w.duckdb"],
            2,
            "--queries 'a_file' is not a directory",
        ),
        (
            &["list", "--queries", "empty"],
            2,
            "--queries 'empty' is empty: it holds no .sql query files",
        ),
        (
            &["list", "--queries", "missing"],
            2,
            "--queries 'missing' does not exist",
        ),
        (
            &["lock", "--queries", "a_file"],
            2,
            "--queries 'a_file' is not a directory",
        ),
        (
            &["report", "--warehouse", "w.duckdb", "--templates", "a_file"],
            2,
            "--templates 'a_file' is not a directory",
        ),
        (
            &["report", "--warehouse", "w.duckdb", "--templates", "empty"],
            2,
            "--templates 'empty' is empty",
        ),
        (
            &["report", "--warehouse", "a_dir"],
            2,
            "'a_dir' is a directory, not a",
        ),
        (
            &["generate", "--users", "10", "--warehouse", "a_dir"],
            2,
            "'a_dir' is a directory, not a",
        ),
        (
            &["query", "--warehouse", "a_dir"],
            2,
            "'a_dir' is a directory, not a",
        ),
    ];
    for (args, code, needle) in cases {
        let line = one_error_line(&run_in(root, args), code, &format!("{args:?}"));
        assert_contains(&line, &[needle]);
        assert!(!line.contains("os error"), "{line}");
    }
    assert!(root.join("a_dir").is_dir());
    assert_eq!(
        std::fs::read_to_string(root.join("a_file"))?,
        "not a directory"
    );
    assert_eq!(file_digest(&root.join("w.duckdb")), digest);
    Ok(())
}

#[test]
fn an_output_path_that_is_a_file_is_named_as_not_a_directory() -> TestResult {
    // A warehouse with analytics, so report and charts get as far as writing.
    let dir = temp_dir();
    let output = run_in(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "300",
            "--warehouse",
            "w.duckdb",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(dir.path().join("a_file"), "not a directory")?;
    for command in ["report", "charts"] {
        let output = run_in(
            dir.path(),
            &[command, "--warehouse", "w.duckdb", "--out", "a_file"],
        );
        let line = one_error_line(&output, 1, command);
        assert_contains(&line, &["'a_file'", "not a directory"]);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a_file"))?,
        "not a directory"
    );
    Ok(())
}

#[test]
fn config_errors_name_the_key_the_value_and_what_is_expected() -> TestResult {
    let dir = temp_dir();
    let write = |name: &str, text: &str| -> std::io::Result<String> {
        std::fs::write(dir.path().join(name), text)?;
        Ok(name.to_string())
    };
    // An unquoted TOML date is a date.
    let dates = write(
        "dates.toml",
        "start = 2024-01-01\nend = 2024-03-31\nusers = 40\n",
    )?;
    let output = run_in(
        dir.path(),
        &[
            "--quiet",
            "generate",
            "--config",
            &dates,
            "--warehouse",
            "d.duckdb",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let conn = crate::common::open(&dir.path().join("d.duckdb"));
    let end: String = conn.query_row(
        "select cast(period_end as varchar) from config.params",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(end, "2024-03-31");
    for (text, needles) in [
        (
            "end = 2024-01-01T08:00:00\n",
            &[
                "line 1 `end = 2024-01-01T08:00:00`",
                "has a time of day",
                "expected a date in YYYY-MM-DD form",
            ][..],
        ),
        (
            "[behaviour]\nsegment_shares = [0.55, 0.35, 0.15, -0.05]\n",
            &[
                "line 2 `segment_shares = [0.55, 0.35, 0.15, -0.05]`",
                "unknown field `segment_shares`",
                "columns of the seed files segments.csv and channels.csv",
            ][..],
        ),
        (
            "[seeds]\ndir = \"no_such_folder\"\n",
            &["seed folder 'no_such_folder' is not a directory"][..],
        ),
        (
            "users = \"many\"\n",
            &["line 1 `users = \\\"many\\\"`", "invalid type: string"][..],
        ),
    ] {
        let file = write("bad.toml", text)?;
        let output = run_in(
            dir.path(),
            &["generate", "--config", &file, "--warehouse", "b.duckdb"],
        );
        let line = one_error_line(&output, 2, text);
        assert_contains(&line, needles);
        assert!(
            !line.contains("map") && !line.contains("sum is 1)"),
            "{line}"
        );
    }
    assert!(!dir.path().join("b.duckdb").exists());
    Ok(())
}

#[test]
fn an_os_error_is_printed_once() -> TestResult {
    let (dir, _) = existing_warehouse(300);
    let root = dir.path();
    std::fs::write(root.join("blocker"), "a file where a directory is expected")?;
    // A lock file that cannot be written: a directory stands in its place.
    std::fs::create_dir_all(root.join("q/staging"))?;
    std::fs::write(
        root.join("q/staging/one.sql"),
        "-- name: one\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: one\nselect 1 as one\n",
    )?;
    std::fs::create_dir_all(root.join("q/queries.lock"))?;
    for args in [
        &[
            "generate",
            "--users",
            "10",
            "--warehouse",
            "blocker/w.duckdb",
        ][..],
        &["lock", "--queries", "q"][..],
    ] {
        let line = one_error_line(&run_in(root, args), 1, &format!("{args:?}"));
        assert_eq!(line.matches("os error").count(), 1, "{line}");
    }
    Ok(())
}
