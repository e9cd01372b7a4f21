//! `northstar ingest`: every bad-input case is rejected with a message naming
//! the file, line and column (or quarantined, as documented), and an existing
//! warehouse is left untouched; a generated warehouse exported to CSV and to
//! Parquet and ingested back gives identical analytics tables.

use std::path::Path;

use crate::common::{file_digest, open, run_in, run_ok, stderr, temp_dir, TestResult};

const USERS_OK: &str = "user_id,signup_at,segment,acquisition_channel\n1,2024-01-01 09:00:00,individual,referral\n2,2024-01-02 10:00:00,small_team,paid_ads\n";
const EVENTS_OK: &str = "user_id,event_type,occurred_at\n1,page_create,2024-01-01 09:30:00\n2,page_view,2024-01-03 11:00:00\n";

/// A dir with an existing small warehouse `w.duckdb` and its digest.
fn existing() -> (tempfile::TempDir, String) {
    crate::common::existing_warehouse(200)
}

fn ingest(dir: &Path, users: &str, events: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "ingest",
        "--users",
        users,
        "--events",
        events,
        "--warehouse",
        "w.duckdb",
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn assert_rejected(users: &str, events: &str, needle: &str) -> TestResult {
    let (dir, digest) = existing();
    std::fs::write(dir.path().join("users.csv"), users)?;
    std::fs::write(dir.path().join("events.csv"), events)?;
    let output = ingest(dir.path(), "users.csv", "events.csv", &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains(needle),
        "expected '{needle}' in: {message}"
    );
    assert_eq!(
        message.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{message}"
    );
    assert_eq!(
        file_digest(&dir.path().join("w.duckdb")),
        digest,
        "warehouse changed"
    );
    Ok(())
}

#[test]
fn missing_required_column_is_rejected() -> TestResult {
    assert_rejected(
        USERS_OK,
        "user_id,event_type\n1,page_view\n",
        "--events file 'events.csv' lacks required column 'occurred_at' (found: user_id, event_type)",
    )
}

#[test]
fn unparseable_value_names_line_column_and_value() -> TestResult {
    assert_rejected(
        "user_id,signup_at\n1,2024-01-01\n2,yesterday\n",
        EVENTS_OK,
        "--users file 'users.csv' line 3 column 'signup_at': 'yesterday' is not a valid timestamp",
    )?;
    assert_rejected(
        "user_id,signup_at\n1,2024-01-01\nabc,2024-01-02\n",
        EVENTS_OK,
        "line 3 column 'user_id': 'abc' is not a valid integer",
    )
}

#[test]
fn a_value_spanning_lines_is_shown_escaped_on_one_line() -> TestResult {
    let (dir, _) = existing();
    std::fs::write(
        dir.path().join("users.csv"),
        "user_id,signup_at\n1,2024-01-01\n2,\"next\nweek\"\n",
    )?;
    std::fs::write(dir.path().join("events.csv"), EVENTS_OK)?;
    let output = ingest(dir.path(), "users.csv", "events.csv", &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("column 'signup_at': 'next\\nweek' is not a valid timestamp"),
        "{message}"
    );
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    Ok(())
}

#[test]
fn duplicate_ids_are_rejected() -> TestResult {
    assert_rejected(
        "user_id,signup_at\n1,2024-01-01\n2,2024-01-02\n1,2024-01-03\n",
        EVENTS_OK,
        "duplicate user_id 1 (lines 2 and 4)",
    )
}

#[test]
fn empty_and_foreign_files_are_rejected() -> TestResult {
    assert_rejected(
        "user_id,signup_at\n",
        EVENTS_OK,
        "--users file 'users.csv' has no rows",
    )?;
    let (dir, digest) = existing();
    std::fs::write(dir.path().join("users.json"), "[]")?;
    std::fs::write(dir.path().join("events.csv"), EVENTS_OK)?;
    let output = ingest(dir.path(), "users.json", "events.csv", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("'users.json' is not CSV or Parquet"),
        "{}",
        stderr(&output)
    );
    let output = ingest(dir.path(), "nope.csv", "events.csv", &[]);
    assert!(
        stderr(&output).contains("--users file 'nope.csv' does not exist"),
        "{}",
        stderr(&output)
    );
    assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    Ok(())
}

#[test]
fn unknown_users_and_early_events_are_quarantined_not_dropped() -> TestResult {
    let dir = temp_dir();
    std::fs::write(dir.path().join("users.csv"), USERS_OK)?;
    std::fs::write(
        dir.path().join("events.csv"),
        format!("{EVENTS_OK}99,page_view,2024-01-05 10:00:00\n1,page_view,2023-12-31 10:00:00\n"),
    )?;
    let output = ingest(dir.path(), "users.csv", "events.csv", &[]);
    let message = stderr(&output);
    assert!(output.status.success(), "{message}");
    assert!(
        message.contains("raw.events: 2 row(s) quarantined in meta.rejected_rows"),
        "{message}"
    );
    let conn = open(&dir.path().join("w.duckdb"));
    let mut statement =
        conn.prepare("select source_line, reason from meta.rejected_rows order by source_line")?;
    let rows: Vec<(i64, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    assert_eq!(
        rows,
        vec![
            (4, "unknown user_id".to_string()),
            (5, "occurred before the user's signup".to_string())
        ]
    );
    let events: i64 = conn.query_row("select count(*) from raw.events", [], |row| row.get(0))?;
    assert_eq!(events, 2);
    Ok(())
}

#[test]
fn hostile_text_flows_through() -> TestResult {
    let dir = temp_dir();
    let long_name = "x".repeat(10_000);
    std::fs::write(
        dir.path().join("users.csv"),
        format!(
            "user_id,signup_at,segment,full_name\n1,2024-01-01 09:00:00,<script>alert(1)</script>,\"O'Brien \"\"the\"\" 1st\"\n2,2024-01-02 10:00:00,small_team,{long_name}\n"
        ),
    )?;
    // Not valid UTF-8: bytes 0xFF 0xFE in a name (read as Latin-1).
    let mut users = std::fs::read(dir.path().join("users.csv"))?;
    users.extend_from_slice(b"3,2024-01-03 10:00:00,individual,Bad \xff\xfe bytes\n");
    std::fs::write(dir.path().join("users.csv"), users)?;
    std::fs::write(dir.path().join("events.csv"), EVENTS_OK)?;
    let output = ingest(
        dir.path(),
        "users.csv",
        "events.csv",
        &["--end", "2024-03-31"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run_in(
        dir.path(),
        &["--quiet", "run", "--from-ingest", "--warehouse", "w.duckdb"],
    );
    // Checks may flag such a tiny dataset; the run must not crash.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    let conn = open(&dir.path().join("w.duckdb"));
    let name: String = conn.query_row(
        "select full_name from raw.users where user_id = 1",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(name, "O'Brien \"the\" 1st");
    let segment: String = conn.query_row(
        "select segment from raw.users where user_id = 1",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(segment, "<script>alert(1)</script>");
    let bytes: String = conn.query_row(
        "select full_name from raw.users where user_id = 3",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(bytes, "Bad \u{ff}\u{fe} bytes");
    let dashboard = std::fs::read_to_string(dir.path().join("reports/dashboard.html"))?;
    assert!(
        !dashboard.contains("<script>alert(1)"),
        "hostile segment reached the page unescaped"
    );
    Ok(())
}

fn export_raw(warehouse: &Path, out: &Path, format: &str) -> TestResult {
    let conn = open(warehouse);
    std::fs::create_dir_all(out)?;
    for table in ["users", "events", "workspaces", "visits", "subscriptions"] {
        let target = out.join(format!("{table}.{format}"));
        let options = if format == "csv" {
            "(format csv, header true)"
        } else {
            "(format parquet)"
        };
        conn.execute_batch(&format!(
            "copy (select * from raw.{table}) to '{}' {options}",
            target.display()
        ))?;
    }
    Ok(())
}

fn analytics_checksums(path: &Path) -> Vec<(String, i64, String)> {
    // doubles rounded: a sum taken in the ingested tables' row order may
    // differ from the generated one's in its last bit
    crate::common::table_checksums_rounded(&open(path), &["analytics"])
}

#[test]
fn csv_and_parquet_round_trips_give_identical_analytics() -> TestResult {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "3000",
            "--seed",
            "5",
            "--warehouse",
            "orig.duckdb",
        ],
    );
    // queries/synthetic/ (the calibration) is about generated data and does
    // not run on ingested data: every other analysis must round-trip
    let mut original = analytics_checksums(&dir.path().join("orig.duckdb"));
    assert!(original
        .iter()
        .any(|(table, _, _)| table == "analytics.calibration"));
    original.retain(|(table, _, _)| table != "analytics.calibration");
    assert!(original.len() >= 20);
    for format in ["csv", "parquet"] {
        let files = dir.path().join(format);
        export_raw(&dir.path().join("orig.duckdb"), &files, format)?;
        let file = |table: &str| {
            files
                .join(format!("{table}.{format}"))
                .to_string_lossy()
                .into_owned()
        };
        let target = format!("{format}.duckdb");
        let output = run_in(
            dir.path(),
            &[
                "--quiet",
                "ingest",
                "--users",
                &file("users"),
                "--events",
                &file("events"),
                "--workspaces",
                &file("workspaces"),
                "--visits",
                &file("visits"),
                "--subscriptions",
                &file("subscriptions"),
                "--start",
                "2023-01-01",
                "--end",
                "2025-12-31",
                "--warehouse",
                &target,
            ],
        );
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        // the generated sample stands for 30 million users; ingested data is
        // its own population unless the config says so
        std::fs::write(
            dir.path().join("population.toml"),
            "[analysis]\npopulation_users = 30000000\n",
        )?;
        let output = run_in(
            dir.path(),
            &[
                "--quiet",
                "run",
                "--from-ingest",
                "--config",
                "population.toml",
                "--warehouse",
                &target,
            ],
        );
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        let round_trip = analytics_checksums(&dir.path().join(&target));
        assert_eq!(round_trip, original, "{format} round trip differs");
    }
    Ok(())
}

#[test]
fn without_optional_files_the_run_degrades_without_inventing_numbers() -> TestResult {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "generate",
            "--users",
            "1500",
            "--seed",
            "3",
            "--warehouse",
            "orig.duckdb",
        ],
    );
    export_raw(
        &dir.path().join("orig.duckdb"),
        &dir.path().join("csv"),
        "csv",
    )?;
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "ingest",
            "--users",
            "csv/users.csv",
            "--events",
            "csv/events.csv",
            "--warehouse",
            "min.duckdb",
        ],
    );
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--from-ingest",
            "--warehouse",
            "min.duckdb",
        ],
    );
    let conn = open(&dir.path().join("min.duckdb"));
    let awareness: Option<i64> = conn.query_row(
        "select users from analytics.funnel_stages where stage_name = 'awareness'",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(
        awareness, None,
        "awareness is unknown without visits, not 0"
    );
    let signups: i64 = conn.query_row(
        "select users from analytics.funnel_stages where stage_name = 'signup'",
        [],
        |row| row.get(0),
    )?;
    assert!(signups > 0);
    let paying: i64 = conn.query_row("select count(*) from raw.subscriptions", [], |row| {
        row.get(0)
    })?;
    assert_eq!(paying, 0);
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(
        report.contains("Awareness is\nunknown") || report.contains("Awareness is unknown"),
        "{report}"
    );
    assert!(report.contains("Revenue is unknown"), "{report}");
    assert!(report.contains("has no team"), "{report}");
    // Calibration is about synthetic data: no section for ingested data.
    assert!(!report.contains("CALIBRATION"), "{report}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        dir.path().join("reports/summary.json"),
    )?)?;
    assert!(summary["calibration"].is_null(), "{summary}");
    let calibration_tables: i64 = conn.query_row(
        "select count(*) from duckdb_tables() where schema_name = 'analytics' and table_name = 'calibration'",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(
        calibration_tables, 0,
        "queries/synthetic/ ran on ingested data"
    );
    // Personal-workspace fallback: one workspace per user.
    let workspaces: i64 =
        conn.query_row("select count(*) from raw.workspaces", [], |row| row.get(0))?;
    assert_eq!(workspaces, 1500);
    Ok(())
}

#[test]
fn parquet_export_holds_every_table_with_events_by_month() -> TestResult {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "1000",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let export_to = |out: &str| {
        run_in(
            dir.path(),
            &[
                "--quiet",
                "export",
                "parquet",
                "--warehouse",
                "w.duckdb",
                "--out",
                out,
            ],
        )
    };
    let output = export_to("pq");
    assert!(output.status.success(), "{}", stderr(&output));
    let conn = open(&dir.path().join("w.duckdb"));
    let (events, months): (i64, i64) = conn.query_row(
        &format!(
            "select count(*), count(distinct event_month) from read_parquet('{}/pq/raw/events/*/*.parquet', hive_partitioning = true)",
            dir.path().display()
        ),
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let expected: i64 = conn.query_row("select count(*) from raw.events", [], |row| row.get(0))?;
    assert_eq!(events, expected);
    assert_eq!(months, 36);
    assert!(std::fs::read_dir(dir.path().join("pq/raw/events"))?
        .flatten()
        .any(|entry| entry.file_name().to_string_lossy() == "event_month=2024-01"));
    for (schema, table) in [
        ("analytics", "funnel_stages"),
        ("config", "params"),
        ("meta", "query_runs"),
        ("raw", "users"),
    ] {
        let rows: i64 = conn.query_row(
            &format!(
                "select count(*) from read_parquet('{}/pq/{schema}/{table}.parquet')",
                dir.path().display()
            ),
            [],
            |row| row.get(0),
        )?;
        let original: i64 = conn.query_row(
            &format!("select count(*) from {schema}.{table}"),
            [],
            |row| row.get(0),
        )?;
        assert_eq!(rows, original, "{schema}.{table}");
    }
    // an earlier export is replaced; a directory of the user's is not
    assert!(export_to("pq").status.success());
    std::fs::create_dir(dir.path().join("mine"))?;
    std::fs::write(dir.path().join("mine/notes.txt"), "keep me")?;
    let output = export_to("mine");
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("is not a northstar export"), "{message}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine/notes.txt"))?,
        "keep me"
    );
    Ok(())
}
