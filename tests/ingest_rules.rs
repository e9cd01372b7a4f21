//! Ingest rules for real exports and careless or hostile input: time zones,
//! defaults of empty cells, scale, the partial last day, duplicates, money,
//! ids, paths, non-finite values, NUL bytes, outlier dates, ragged rows,
//! out-of-period rows, and files that are not files. Each test ingests a small
//! hand-written dataset through the CLI and asserts the warehouse values (or
//! the one-line rejection and an untouched previous warehouse).

use std::path::Path;
use std::process::Output;

use crate::common::{file_digest, northstar, open, run_in, stderr, temp_dir, TestResult};

const USERS: &str = "user_id,signup_at\n1,2024-01-01 09:00:00\n2,2024-01-02 10:00:00\n";
const EVENTS: &str = "user_id,event_type,occurred_at\n1,page_create,2024-01-01 09:30:00\n2,page_view,2024-01-03 11:00:00\n1,page_view,2024-01-05 11:00:00\n";

/// Writes `files` (name, contents) into `dir`.
fn write(dir: &Path, files: &[(&str, &str)]) -> TestResult {
    for (name, contents) in files {
        std::fs::write(dir.join(name), contents)?;
    }
    Ok(())
}

fn ingest(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["ingest", "--warehouse", "w.duckdb"];
    if !extra.contains(&"--users") {
        args.extend(["--users", "users.csv"]);
    }
    if !extra.contains(&"--events") {
        args.extend(["--events", "events.csv"]);
    }
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn ingest_ok(dir: &Path, extra: &[&str]) -> String {
    let output = ingest(dir, extra);
    let message = stderr(&output);
    assert!(output.status.success(), "{extra:?}: {message}");
    message
}

/// `run --from-ingest` on `dir/w.duckdb` with `extra` flags; it may exit 1
/// (a check flags such a tiny dataset) but must write the report. Returns stderr.
fn analyse(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--quiet", "run", "--from-ingest", "--warehouse", "w.duckdb"];
    args.extend_from_slice(extra);
    let output = run_in(dir, &args);
    let message = stderr(&output);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{message}");
    assert!(dir.join("reports/report.txt").exists(), "{message}");
    message
}

/// Asserts a rejection: exit 1, one error line holding every needle, and the
/// previous warehouse byte-for-byte untouched.
fn assert_rejected(dir: &Path, extra: &[&str], needles: &[&str]) -> TestResult {
    let before = prior_warehouse(dir)?;
    let output = ingest(dir, extra);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "expected '{needle}' in: {message}"
        );
    }
    assert_eq!(
        file_digest(&dir.join("w.duckdb")),
        before,
        "warehouse changed"
    );
    Ok(())
}

/// A temp dir holding `users.csv` and `events.csv` (USERS, EVENTS) and then
/// `files`, which may replace them.
fn dataset(files: &[(&str, &str)]) -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = temp_dir();
    write(dir.path(), &[("users.csv", USERS), ("events.csv", EVENTS)])?;
    write(dir.path(), files)?;
    Ok(dir)
}

/// Makes sure `dir/w.duckdb` holds a warehouse (ingested from USERS/EVENTS
/// into a side directory) and returns its digest.
fn prior_warehouse(dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let target = dir.join("w.duckdb");
    if !target.exists() {
        let side = temp_dir();
        write(side.path(), &[("users.csv", USERS), ("events.csv", EVENTS)])?;
        ingest_ok(side.path(), &[]);
        std::fs::copy(side.path().join("w.duckdb"), &target)?;
    }
    Ok(file_digest(&target))
}

fn strings(dir: &Path, sql: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let conn = open(&dir.join("w.duckdb"));
    let mut statement = conn.prepare(sql)?;
    let rows = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[test]
fn offsets_are_converted_to_utc_whatever_the_machine_time_zone() -> TestResult {
    for tz in ["America/New_York", "Asia/Kolkata", "UTC"] {
        let dir = dataset(&[
                (
                    "users.csv",
                    "user_id,signup_at\n\
                     1,2024-03-01T01:30:00+02:00\n\
                     2,2024-03-01 01:30:00+0530\n\
                     3,2024-03-01T01:30:00Z\n\
                     4,1709251200\n\
                     5,1709251200000\n\
                     6,2024-03-01\n",
                ),
                (
                    "events.csv",
                    "user_id,event_type,occurred_at\n1,page_view,2024-03-02T00:30:00-05:00\n6,page_view,2024-03-05 10:00:00\n",
                ),
            ])?;
        let output = northstar()
            .args([
                "ingest",
                "--users",
                "users.csv",
                "--events",
                "events.csv",
                "--warehouse",
                "w.duckdb",
            ])
            .env("TZ", tz)
            .current_dir(dir.path())
            .output()?;
        assert!(output.status.success(), "{tz}: {}", stderr(&output));
        assert_eq!(
            strings(
                dir.path(),
                "select cast(signup_at as varchar) from raw.users order by user_id"
            )?,
            [
                "2024-02-29 23:30:00",
                "2024-02-29 20:00:00",
                "2024-03-01 01:30:00",
                "2024-03-01 00:00:00",
                "2024-03-01 00:00:00",
                "2024-03-01 00:00:00",
            ],
            "{tz}"
        );
        assert_eq!(
            strings(
                dir.path(),
                "select cast(occurred_at as varchar) from raw.events order by event_id"
            )?,
            ["2024-03-02 05:30:00", "2024-03-05 10:00:00"],
            "{tz}"
        );
    }
    Ok(())
}

#[test]
fn a_timestamp_in_another_form_is_a_line_numbered_rejection() -> TestResult {
    for value in [
        "01/03/2024",
        "2024-03-01 01:30:00 CET",
        "infinity",
        "-1709251200",
    ] {
        let dir = dataset(&[(
            "users.csv",
            &format!("user_id,signup_at\n1,2024-01-01\n2,{value}\n"),
        )])?;
        assert_rejected(
            dir.path(),
            &[],
            &[&format!(
                "--users file 'users.csv' line 3 column 'signup_at': '{value}' is not a valid timestamp"
            )],
        )?;
    }
    Ok(())
}

#[test]
fn empty_optional_cells_take_the_documented_defaults() -> TestResult {
    let dir = dataset(&[
            (
                "users.csv",
                "user_id,signup_at,full_name,email,company_name,segment,acquisition_channel,device,region,use_case\n\
                 1,2024-01-01,,,,,,,,\n\
                 2,2024-01-02,Ann,ann@example.com,Acme,small_team,referral,desktop,europe,notes\n",
            ),
            (
                "workspaces.csv",
                "workspace_id,owner_user_id,workspace_name,workspace_type,created_at\n1,1,,,2024-01-01\n11,2,Team,personal,2024-01-02\n",
            ),
            (
                "events.csv",
                "event_id,user_id,workspace_id,event_type,occurred_at\n,1,,page_create,2024-01-01 10:00:00\n7,2,11,page_view,2024-01-03 10:00:00\n",
            ),
            (
                "subscriptions.csv",
                "subscription_id,user_id,workspace_id,plan,seats,started_at,ended_at,monthly_revenue\n,1,,,,2024-01-02,,10\n",
            ),
            (
                "visits.csv",
                "visit_id,visited_at,channel,landing_page,user_id\n,2024-01-01,referral,,\n5,2024-01-01,referral,/pricing,1\n",
            ),
        ])?;
    ingest_ok(
        dir.path(),
        &[
            "--workspaces",
            "workspaces.csv",
            "--subscriptions",
            "subscriptions.csv",
            "--visits",
            "visits.csv",
        ],
    );
    assert_eq!(
        strings(
            dir.path(),
            "select concat_ws('|', full_name, email, coalesce(company_name, 'NULL'), segment, acquisition_channel, device, region, use_case) from raw.users order by user_id"
        )?,
        [
            "||NULL|unknown|unknown|unknown|unknown|unknown",
            "Ann|ann@example.com|Acme|small_team|referral|desktop|europe|notes"
        ]
    );
    assert_eq!(
        strings(
            dir.path(),
            "select concat_ws('|', workspace_id, workspace_name, workspace_type) from raw.workspaces order by workspace_id"
        )?,
        ["1||team", "11|Team|personal"]
    );
    // an empty event_id takes the row's number (line 2 -> 1); an empty
    // workspace_id the user's personal id
    assert_eq!(
        strings(
            dir.path(),
            "select concat_ws('|', event_id, workspace_id) from raw.events order by event_id"
        )?,
        ["1|1", "7|11"]
    );
    assert_eq!(
        strings(
            dir.path(),
            "select concat_ws('|', subscription_id, workspace_id, plan, seats, coalesce(cast(ended_at as varchar), 'NULL')) from raw.subscriptions"
        )?,
        ["1|1|paid|1|NULL"]
    );
    assert_eq!(
        strings(
            dir.path(),
            "select concat_ws('|', visit_id, landing_page, coalesce(cast(user_id as varchar), 'NULL')) from raw.visits order by visit_id"
        )?,
        ["1|unknown|NULL", "5|/pricing|1"]
    );
    Ok(())
}

#[test]
fn ingested_data_is_at_scale_one_unless_the_config_says_otherwise() -> TestResult {
    let dir = dataset(&[])?;
    ingest_ok(dir.path(), &["--end", "2024-03-31"]);
    let scale = |dir: &Path| {
        strings(
            dir,
            "select sample_users || '/' || population_users from config.params",
        )
    };
    assert_eq!(scale(dir.path())?, ["2/2"]);
    assert_eq!(
        strings(dir.path(), "select data_source from config.params")?,
        ["ingested"]
    );
    // run --from-ingest --config applies [analysis]; the population stays the
    // data unless the file sets it
    write(
        dir.path(),
        &[("a.toml", "[analysis]\nmonetization_window_days = 60\n")],
    )?;
    analyse(dir.path(), &["--config", "a.toml"]);
    assert_eq!(
        strings(
            dir.path(),
            "select cast(monetization_window_days as varchar) from config.params"
        )?,
        ["60"]
    );
    assert_eq!(scale(dir.path())?, ["2/2"]);
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(!report.contains("population scale"), "{report}");
    assert!(!report.contains("population-scaled"), "{report}");
    let dashboard = std::fs::read_to_string(dir.path().join("reports/dashboard.html"))?;
    assert!(!dashboard.contains("population scale"));
    assert!(dashboard.contains("analytics.growth_levers (as measured"));
    write(
        dir.path(),
        &[("b.toml", "[analysis]\npopulation_users = 2000\n")],
    )?;
    analyse(dir.path(), &["--config", "b.toml"]);
    assert_eq!(scale(dir.path())?, ["2/2000"]);
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(report.contains("x 2,000 / 2 users"), "{report}");
    // generator flags and keys are refused, naming them, before any work
    let digest = file_digest(&dir.path().join("w.duckdb"));
    for (args, needle) in [
        (
            vec!["--users", "10"],
            "flag --users does not apply to `run --from-ingest`",
        ),
        (vec!["--seed", "1"], "flag --seed does not apply"),
        (vec!["--end", "2024-01-04"], "flag --end does not apply"),
        (
            vec!["--config", "c.toml"],
            "key 'seed' of config file 'c.toml' does not apply",
        ),
        (
            vec!["--config", "d.toml"],
            "key 'behaviour' of config file 'd.toml' does not apply",
        ),
    ] {
        write(
            dir.path(),
            &[
                ("c.toml", "seed = 3\n"),
                ("d.toml", "[behaviour]\nactivation_rate = 0.5\n"),
            ],
        )?;
        let mut full = vec!["run", "--from-ingest", "--warehouse", "w.duckdb"];
        full.extend(args);
        let output = run_in(dir.path(), &full);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains(needle),
            "expected '{needle}' in: {message}"
        );
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
        assert_eq!(file_digest(&dir.path().join("w.duckdb")), digest);
    }
    Ok(())
}

#[test]
fn the_partial_last_day_is_kept_in_raw_but_the_as_of_date_is_the_day_before() -> TestResult {
    let dir = dataset(&[
            (
                "events.csv",
                "user_id,event_type,occurred_at\n1,page_view,2024-01-01 10:00:00\n2,page_view,2024-01-09 23:00:00\n1,page_view,2024-01-10 14:00:00\n2,page_view,2024-01-10 14:00:05\n",
            ),
        ])?;
    let message = ingest_ok(dir.path(), &[]);
    assert!(
        message.contains("2 row(s) dated after the as-of date 2024-01-09"),
        "{message}"
    );
    assert_eq!(
        strings(
            dir.path(),
            "select period_start || ' ' || period_end || ' ' || as_of_date from config.params"
        )?,
        ["2024-01-01 2024-01-09 2024-01-09"]
    );
    assert_eq!(
        strings(
            dir.path(),
            "select cast(count(*) as varchar) from raw.events"
        )?,
        ["4"]
    );
    // --end includes the day
    std::fs::remove_file(dir.path().join("w.duckdb"))?;
    ingest_ok(dir.path(), &["--end", "2024-01-10"]);
    assert_eq!(
        strings(
            dir.path(),
            "select cast(as_of_date as varchar) from config.params"
        )?,
        ["2024-01-10"]
    );
    Ok(())
}

#[test]
fn exact_duplicate_events_are_quarantined_unless_dedupe_is_off() -> TestResult {
    let dir = dataset(&[(
        "events.csv",
        "event_id,user_id,event_type,occurred_at\n\
                 1,1,page_view,2024-01-01 10:00:00\n\
                 2,1,page_view,2024-01-01 10:00:00\n\
                 3,1,page_view,2024-01-01 10:00:01\n\
                 4,2,page_view,2024-01-03 10:00:00\n\
                 5,1,page_view,2024-01-01 10:00:00\n\
                 6,1,comment,2024-01-01 10:00:00\n",
    )])?;
    let message = ingest_ok(dir.path(), &[]);
    assert!(message.contains("duplicate event: 2"), "{message}");
    assert_eq!(
        strings(
            dir.path(),
            "select source_line || ' ' || reason from meta.rejected_rows order by source_line"
        )?,
        ["3 duplicate event", "6 duplicate event"]
    );
    assert_eq!(
        strings(
            dir.path(),
            "select string_agg(cast(event_id as varchar), ',' order by event_id) from raw.events"
        )?,
        ["1,3,4,6"]
    );
    std::fs::remove_file(dir.path().join("w.duckdb"))?;
    ingest_ok(dir.path(), &["--no-dedupe"]);
    assert_eq!(
        strings(
            dir.path(),
            "select cast(count(*) as varchar) from raw.events"
        )?,
        ["6"]
    );
    Ok(())
}

#[test]
fn negative_non_finite_and_absurd_numbers_are_rejected() -> TestResult {
    for (revenue, problem) in [
        ("-5", "'-5' is negative: monthly_revenue must be >= 0"),
        ("Infinity", "'Infinity' is not a valid number"),
        ("NaN", "'NaN' is not a valid number"),
        ("1e308", "'1e308' is outside the accepted range"),
    ] {
        let dir = dataset(&[(
            "subs.csv",
            &format!(
                "user_id,started_at,monthly_revenue\n1,2024-01-02,10\n2,2024-01-03,{revenue}\n"
            ),
        )])?;
        assert_rejected(
            dir.path(),
            &["--subscriptions", "subs.csv"],
            &[
                "--subscriptions file 'subs.csv' line 3 column 'monthly_revenue'",
                problem,
            ],
        )?;
    }
    let dir = dataset(&[(
        "subs.csv",
        "user_id,started_at,monthly_revenue,seats\n1,2024-01-02,10,-1\n",
    )])?;
    assert_rejected(
        dir.path(),
        &["--subscriptions", "subs.csv"],
        &["line 2 column 'seats': '-1' is negative"],
    )
}

#[test]
fn non_integral_ids_are_rejected_in_csv_and_parquet() -> TestResult {
    let dir = dataset(&[(
        "users.csv",
        "user_id,signup_at\n1,2024-01-01\n1.6,2024-01-02\n",
    )])?;
    assert_rejected(
        dir.path(),
        &[],
        &["--users file 'users.csv' line 3 column 'user_id': '1.6' is not a valid integer"],
    )?;
    // a Parquet DOUBLE id column: 2.0 is the integer 2, 2.5 is refused (row numbers, no header)
    let conn = duckdb::Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "copy (select * from (values (1.0, timestamp '2024-01-01'), (2.5, timestamp '2024-01-02')) as t(user_id, signup_at)) to '{}' (format parquet)",
        dir.path().join("users.parquet").display()
    ))?;
    assert_rejected(
        dir.path(),
        &["--users", "users.parquet"],
        &["--users file 'users.parquet' row 2 column 'user_id': '2.5' is not a valid integer"],
    )
}

#[test]
fn a_path_is_a_path_not_a_glob_pattern() -> TestResult {
    let dir = dataset(&[
        ("users[1].csv", USERS),
        ("users1.csv", "user_id,signup_at\n99,2024-01-01\n"),
        ("u1.csv", USERS),
        ("u2.csv", USERS),
    ])?;
    ingest_ok(dir.path(), &["--users", "users[1].csv"]);
    assert_eq!(
        strings(
            dir.path(),
            "select string_agg(cast(user_id as varchar), ',' order by user_id) from raw.users"
        )?,
        ["1,2"]
    );
    assert_rejected(
        dir.path(),
        &["--users", "u?.csv"],
        &["--users file 'u?.csv' does not exist"],
    )?;
    // the same for Parquet
    let conn = duckdb::Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "copy (select 1 as user_id, timestamp '2024-01-01' as signup_at) to '{}' (format parquet)",
        dir.path().join("p1.parquet").display()
    ))?;
    assert_rejected(dir.path(), &["--users", "p*.parquet"], &["does not exist"])
}

#[test]
fn nul_bytes_in_text_are_rejected() -> TestResult {
    let dir = dataset(&[(
        "users.csv",
        "user_id,signup_at,full_name\n1,2024-01-01,ok\n2,2024-01-02,a\0b\n",
    )])?;
    assert_rejected(
        dir.path(),
        &[],
        &["--users file 'users.csv' line 3 column 'full_name': text contains a NUL byte"],
    )
}

#[test]
fn the_default_period_covers_every_dated_table() -> TestResult {
    let dir = dataset(&[(
        "visits.csv",
        "visited_at,channel,user_id\n2023-12-31 12:00:00,referral,1\n",
    )])?;
    ingest_ok(dir.path(), &["--visits", "visits.csv"]);
    assert_eq!(
        strings(
            dir.path(),
            "select cast(period_start as varchar) from config.params"
        )?,
        ["2023-12-31"]
    );
    Ok(())
}

#[test]
fn outlier_dates_are_refused_unless_the_period_is_given_then_quarantined() -> TestResult {
    for value in ["2100-01-01", "0001-01-01", "1969-12-31 23:00:00"] {
        let dir = dataset(&[(
            "users.csv",
            &format!("user_id,signup_at\n1,2024-01-01\n2,2024-01-02\n3,{value}\n"),
        )])?;
        assert_rejected(
            dir.path(),
            &[],
            &[
                &format!("--users file 'users.csv' line 4 column 'signup_at': '{value}' is outside the plausible dates"),
                "--start/--end",
            ],
        )?;
        std::fs::remove_file(dir.path().join("w.duckdb"))?;
        ingest_ok(
            dir.path(),
            &["--start", "2024-01-01", "--end", "2024-01-31"],
        );
        let reason = strings(
            dir.path(),
            "select reason from meta.rejected_rows where source_table = 'users'",
        )?;
        assert_eq!(reason.len(), 1, "{value}: {reason:?}");
        assert!(reason[0].contains("the period"), "{reason:?}");
    }
    Ok(())
}

#[test]
fn rows_outside_an_explicit_period_are_quarantined_with_their_reason() -> TestResult {
    let dir = dataset(&[
            ("users.csv", "user_id,signup_at\n1,2024-01-01\n2,2024-01-02\n3,2024-02-20\n"),
            (
                "events.csv",
                "user_id,event_type,occurred_at\n1,page_create,2024-01-01 10:00:00\n1,page_view,2024-02-10 10:00:00\n3,page_view,2024-02-21 10:00:00\n2,page_view,2024-01-03 10:00:00\n",
            ),
        ])?;
    let message = ingest_ok(dir.path(), &["--end", "2024-01-31"]);
    assert!(message.contains("quarantined"), "{message}");
    assert_eq!(
        strings(
            dir.path(),
            "select source_table || ' ' || source_line || ' ' || reason from meta.rejected_rows order by source_table, source_line"
        )?,
        [
            "events 3 after the period end (--end 2024-01-31)",
            "events 4 after the period end (--end 2024-01-31)",
            "users 4 after the period end (--end 2024-01-31)",
        ]
    );
    let output = run_in(
        dir.path(),
        &["--quiet", "run", "--from-ingest", "--warehouse", "w.duckdb"],
    );
    assert!(
        !stderr(&output).contains("check_within_period"),
        "{}",
        stderr(&output)
    );
    Ok(())
}

#[test]
fn ragged_rows_and_line_numbers_name_the_physical_line() -> TestResult {
    // a quoted value spanning two lines, then a blank line: the bad value is on line 6
    let dir = dataset(&[(
        "users.csv",
        "user_id,signup_at,full_name\n1,2024-01-01,\"two\nlines\"\n\n2,2024-01-02,x\n3,soon,y\n",
    )])?;
    assert_rejected(
        dir.path(),
        &[],
        &["--users file 'users.csv' line 6 column 'signup_at': 'soon' is not a valid timestamp"],
    )?;
    write(
        dir.path(),
        &[(
            "users.csv",
            "user_id,signup_at\n1,2024-01-01\n2,2024-01-02,extra\n",
        )],
    )?;
    assert_rejected(
        dir.path(),
        &[],
        &["--users file 'users.csv' line 3 has 3 field(s) but the header has 2"],
    )?;
    // a whitespace-only last line is not a row
    write(
        dir.path(),
        &[(
            "users.csv",
            "user_id,signup_at\n1,2024-01-01\n2,2024-01-02\n   \n",
        )],
    )?;
    std::fs::remove_file(dir.path().join("w.duckdb"))?;
    ingest_ok(dir.path(), &[]);
    Ok(())
}

#[test]
fn empty_files_directories_pipes_and_case_twins_are_named() -> TestResult {
    let dir = dataset(&[("zero.csv", "")])?;
    assert_rejected(
        dir.path(),
        &["--users", "zero.csv"],
        &["--users file 'zero.csv' is empty (0 bytes)"],
    )?;
    std::fs::create_dir(dir.path().join("folder.csv"))?;
    assert_rejected(
        dir.path(),
        &["--users", "folder.csv"],
        &["--users 'folder.csv' is a directory"],
    )?;
    write(
        dir.path(),
        &[(
            "twins.csv",
            "user_id,signup_at,Segment,segment\n1,2024-01-01,a,b\n",
        )],
    )?;
    assert_rejected(
        dir.path(),
        &["--users", "twins.csv"],
        &["columns 'Segment' and 'segment' name the same column"],
    )?;
    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo.csv");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status()?;
        assert!(status.success());
        let started = std::time::Instant::now();
        assert_rejected(
            dir.path(),
            &["--users", "fifo.csv"],
            &["--users 'fifo.csv' is not a regular file"],
        )?;
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
    Ok(())
}

#[test]
fn a_short_export_with_no_observable_cohort_still_gets_a_report() -> TestResult {
    // four days of data: no user's 7-day activation window is observable yet
    let dir = dataset(&[])?;
    ingest_ok(dir.path(), &[]);
    let message = analyse(dir.path(), &[]);
    assert!(!message.contains("template"), "{message}");
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(
        report.contains("as of 2024-01-04 (ingested data)"),
        "{report}"
    );
    assert!(report.contains("- of new users activate"), "{report}");
    assert!(
        report.contains("North Star: not measurable yet: the data holds no complete ISO week."),
        "{report}"
    );
    assert!(!report.contains("None"), "{report}");
    assert!(!report.contains("[]"), "{report}");
    // an unmeasured step is not lifted to 100% (least() skips NULLs)
    assert!(!report.contains("- -> 100.0%"), "{report}");
    Ok(())
}

#[test]
fn a_reversed_period_or_data_without_a_complete_day_is_refused() -> TestResult {
    let dir = dataset(&[])?;
    assert_rejected(
        dir.path(),
        &["--start", "2024-02-01", "--end", "2024-01-31"],
        &["--end 2024-01-31 is before --start 2024-02-01"],
    )?;
    // every event on one day: that day is taken as partial, nothing complete remains
    write(
        dir.path(),
        &[(
            "events.csv",
            "user_id,event_type,occurred_at\n1,page_view,2024-01-02 10:00:00\n2,page_view,2024-01-02 11:00:00\n",
        )],
    )?;
    assert_rejected(
        dir.path(),
        &["--start", "2024-01-02"],
        &[
            "--events file 'events.csv': no complete day in the data",
            "pass --end",
        ],
    )
}
