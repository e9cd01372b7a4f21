//! `northstar ingest --from posthog|amplitude|segment|mixpanel`: the fixtures
//! of tests/fixtures/connectors/ (one logical dataset in each tool's export
//! shape, built by make_fixtures.py from the vendors' documented schemas)
//! give identical tables; mapping rules, the anonymous-id merge, idempotent
//! appends, rejections naming file, line, field and value, and hostile
//! strings escaped in the report and dashboard.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{file_digest, open, run_in, stderr, table_checksums, temp_dir, TestResult};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/connectors")
}

/// The export file and mapping of each format's fixture.
const FORMATS: [(&str, &str); 4] = [
    ("posthog", "events.jsonl"),
    ("amplitude", "export.json.gz"),
    ("segment", "calls.jsonl"),
    ("mixpanel", "export.jsonl"),
];

fn ingest(dir: &Path, format: &str, files: &[&str], config: &Path, extra: &[&str]) -> Output {
    let config = config.display().to_string();
    let mut args = vec!["ingest", "--from", format];
    args.extend_from_slice(files);
    args.extend(["--config", config.as_str(), "--warehouse", "w.duckdb"]);
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn ingest_ok(dir: &Path, format: &str, files: &[&str], config: &Path, extra: &[&str]) -> String {
    let output = ingest(dir, format, files, config, extra);
    let message = stderr(&output);
    assert!(output.status.success(), "{format} {files:?}: {message}");
    message
}

fn run_from_ingest(dir: &Path) {
    let output = run_in(
        dir,
        &["--quiet", "run", "--from-ingest", "--warehouse", "w.duckdb"],
    );
    assert!(
        output.status.success(),
        "run --from-ingest: {}",
        stderr(&output)
    );
}

/// Ingests the fixture of `format` (file `name`) into `dir`/w.duckdb and analyses it.
fn build(dir: &Path, format: &str, name: &str) -> String {
    let fixture = fixtures().join(format);
    let file = fixture.join(name).display().to_string();
    let message = ingest_ok(dir, format, &[&file], &fixture.join("northstar.toml"), &[]);
    run_from_ingest(dir);
    message
}

/// Checksums of the tables the queries read and write: every analytics
/// table and the raw tables keyed by integers (the string-id tables differ
/// by tool: uuids, insert ids, message ids).
fn comparable(path: &Path) -> Vec<(String, i64, String)> {
    let conn = open(path);
    table_checksums(&conn, &["analytics", "raw"])
        .into_iter()
        .filter(|(table, _, _)| !table.ends_with("_ids"))
        .collect()
}

fn query<T: duckdb::types::FromSql>(path: &Path, sql: &str) -> T {
    open(path)
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

#[test]
fn the_same_dataset_in_the_four_formats_gives_identical_tables() -> TestResult {
    let mut built = Vec::new();
    for (format, name) in FORMATS {
        let dir = temp_dir();
        build(dir.path(), format, name);
        built.push((format, comparable(&dir.path().join("w.duckdb")), dir));
    }
    let (first, reference, _) = &built[0];
    assert!(
        reference
            .iter()
            .any(|(table, rows, _)| table == "analytics.north_star_weekly" && *rows > 0),
        "{reference:?}"
    );
    assert!(reference
        .iter()
        .any(|(table, rows, _)| table == "raw.events" && *rows == 16));
    for (format, tables, _) in &built[1..] {
        assert_eq!(tables, reference, "{format} differs from {first}");
    }
    // PostHog's CSV export of the same events reads like its JSON lines.
    let dir = temp_dir();
    build(dir.path(), "posthog", "events.csv");
    assert_eq!(
        &comparable(&dir.path().join("w.duckdb")),
        reference,
        "posthog CSV"
    );
    Ok(())
}

#[test]
fn posthog_batch_export_parquet_reads_like_json_lines() -> TestResult {
    let dir = temp_dir();
    // The batch export writes properties as JSON text beside the other columns.
    let csv = fixtures().join("posthog/events.csv").display().to_string();
    let parquet = dir.path().join("export.parquet");
    let conn = duckdb::Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "copy (select * from read_csv('{csv}', header = true, all_varchar = true)) to '{}' (format parquet)",
        parquet.display()
    ))?;
    let fixture = fixtures().join("posthog");
    ingest_ok(
        dir.path(),
        "posthog",
        &["export.parquet"],
        &fixture.join("northstar.toml"),
        &[],
    );
    run_from_ingest(dir.path());
    let json = temp_dir();
    build(json.path(), "posthog", "events.jsonl");
    assert_eq!(
        comparable(&dir.path().join("w.duckdb")),
        comparable(&json.path().join("w.duckdb"))
    );
    Ok(())
}

#[test]
fn mapping_rules_set_types_attributes_workspaces_and_subscriptions() -> TestResult {
    let dir = temp_dir();
    let message = build(dir.path(), "posthog", "events.jsonl");
    let w = dir.path().join("w.duckdb");
    // Unmapped names are kept as their own event types and listed with counts.
    assert!(
        message.contains(
            "1 unmapped event name(s) kept as their own event types: 'Dashboard Opened' 2"
        ),
        "{message}"
    );
    let dashboard: i64 = query(
        &w,
        "select count(*) from raw.events where event_type = 'Dashboard Opened'",
    );
    assert_eq!(dashboard, 2);
    // Mapped names take the northstar type; signup, identify and subscription rows are no events.
    let types: String = query(
        &w,
        "select string_agg(distinct event_type, ',' order by event_type) from raw.events",
    );
    assert_eq!(
        types,
        "Dashboard Opened,co_edit,comment,invite,page_create,page_view,share"
    );
    // Attributes: the earliest non-empty value of each source; channel = source / medium.
    let alice: String = query(
        &w,
        "select concat_ws('|', u.signup_at, segment, acquisition_channel, device, region) from raw.users as u \
         inner join raw.user_ids as k on k.user_id = u.user_id where k.external_id = 'alice@example.com'",
    );
    assert_eq!(
        alice,
        "2024-03-01 10:00:00|small_team|google / cpc|desktop|europe"
    );
    let bob_channel: String = query(
        &w,
        "select acquisition_channel from raw.users as u inner join raw.user_ids as k on k.user_id = u.user_id \
         where k.external_id = 'bob@example.com'",
    );
    assert_eq!(bob_channel, "newsletter", "no medium: the source alone");
    let dave: String = query(
        &w,
        "select acquisition_channel from raw.users as u inner join raw.user_ids as k on k.user_id = u.user_id \
         where k.external_id = 'dave@example.com'",
    );
    assert_eq!(dave, "unknown");
    // The workspace group: one team workspace owned by its earliest user; personal ones for all.
    let team: String = query(
        &w,
        "select concat_ws('|', w.workspace_type, k.external_id, w.created_at) from raw.workspaces as w \
         inner join raw.workspace_ids as i on i.workspace_id = w.workspace_id \
         inner join raw.user_ids as k on k.user_id = w.owner_user_id and k.id_kind = 'identified' \
         where i.external_id = 'ws-acme'",
    );
    assert_eq!(team, "team|alice@example.com|2024-03-01 10:00:00");
    let personal: i64 = query(
        &w,
        "select count(*) from raw.workspaces where workspace_type = 'personal'",
    );
    assert_eq!(personal, 4);
    // Subscriptions: revenue, plan, seats from their sources; the end event ends bob's.
    let subscriptions: String = query(
        &w,
        "select string_agg(concat_ws('|', plan, seats, monthly_revenue, started_at, coalesce(cast(ended_at as varchar), 'open')), ';' order by started_at) \
         from raw.subscriptions",
    );
    assert_eq!(
        subscriptions,
        "plus|1|10.0|2024-03-05 11:00:00|2024-03-15 10:00:00;business|4|40.0|2024-03-10 10:00:00|open"
    );
    // The anonymous visitor (never identified, no signup) is one visit.
    let visits: String = query(
        &w,
        "select concat_ws('|', count(*), min(visited_at)) from raw.visits",
    );
    assert_eq!(visits, "1|2024-03-03 08:00:00");
    // The as-of date is the day before the last event's day.
    let as_of: String = query(&w, "select cast(as_of_date as varchar) from config.params");
    assert_eq!(as_of, "2024-03-20");
    Ok(())
}

#[test]
fn events_before_signup_are_quarantined_with_file_and_line() -> TestResult {
    let dir = temp_dir();
    let message = build(dir.path(), "segment", "calls.jsonl");
    assert!(
        message.contains("raw.events: 3 row(s) quarantined in meta.rejected_rows (occurred before the user's signup)"),
        "{message}"
    );
    let w = dir.path().join("w.duckdb");
    let carol: String = query(
        &w,
        "select source_file || ':' || source_line || ':' || row_text from meta.rejected_rows where row_text like '%e10%'",
    );
    let file = fixtures().join("segment/calls.jsonl").display().to_string();
    // carol's page call at 07:00 precedes her 08:00 signup; the file's 13th line
    let text = std::fs::read_to_string(fixtures().join("segment/calls.jsonl"))?;
    let line = text
        .lines()
        .position(|l| l.contains("\"messageId\": \"e10\""))
        .map(|index| index + 1)
        .ok_or("e10 is in the fixture")?;
    assert!(carol.starts_with(&format!("{file}:{line}:")), "{carol}");
    Ok(())
}

/// Writes `lines` (one JSON value each) to `dir/name`.
fn write_lines(dir: &Path, name: &str, lines: &[&str]) -> TestResult {
    std::fs::write(dir.join(name), lines.join("\n") + "\n")?;
    Ok(())
}

fn mapping(dir: &Path, text: &str) -> TestResult {
    std::fs::write(dir.join("northstar.toml"), text)?;
    Ok(())
}

#[test]
fn anonymous_ids_merge_into_the_identified_user() -> TestResult {
    // Segment: identify with userId and anonymousId merges the anonymous id;
    // the later call carrying only the anonymous id is the user's event.
    let dir = temp_dir();
    mapping(
        dir.path(),
        "[mapping.events]\nsignup = [\"Signed Up\"]\npage_create = [\"Page Created\"]\n",
    )?;
    write_lines(
        dir.path(),
        "calls.jsonl",
        &[
            r#"{"type":"identify","messageId":"m1","userId":"u-1","anonymousId":"a-1","timestamp":"2024-05-01T10:00:00Z","traits":{}}"#,
            r#"{"type":"track","messageId":"m2","userId":"u-1","event":"Signed Up","timestamp":"2024-05-01T10:00:00Z"}"#,
            r#"{"type":"track","messageId":"m3","anonymousId":"a-1","event":"Page Created","timestamp":"2024-05-01T11:00:00Z"}"#,
            r#"{"type":"track","messageId":"m4","anonymousId":"a-2","event":"Page Created","timestamp":"2024-05-02T11:00:00Z"}"#,
            r#"{"type":"track","messageId":"m5","userId":"u-1","event":"Page Viewed","timestamp":"2024-05-03T11:00:00Z"}"#,
        ],
    )?;
    let config = dir.path().join("northstar.toml");
    ingest_ok(dir.path(), "segment", &["calls.jsonl"], &config, &[]);
    let w = dir.path().join("w.duckdb");
    let ids: String = query(
        &w,
        "select string_agg(user_id || ':' || external_id || ':' || id_kind, ',' order by external_id) from raw.user_ids",
    );
    assert_eq!(ids, "1:a-1:anonymous,1:u-1:identified");
    let events: String = query(
        &w,
        "select string_agg(user_id || ':' || event_type, ',' order by occurred_at) from raw.events",
    );
    assert_eq!(
        events, "1:page_create,1:Page Viewed",
        "a-2 never identified: a visitor"
    );
    let visits: i64 = query(&w, "select count(*) from raw.visits");
    assert_eq!(visits, 1);

    // PostHog: $identify merges properties.$anon_distinct_id into distinct_id.
    let dir = temp_dir();
    mapping(
        dir.path(),
        "[mapping.events]\nsignup = [\"signed up\"]\npage_create = [\"page created\"]\n",
    )?;
    write_lines(
        dir.path(),
        "events.jsonl",
        &[
            r#"{"uuid":"p1","event":"page created","distinct_id":"anon-9","timestamp":"2024-05-01T11:00:00+00:00","properties":{}}"#,
            r#"{"uuid":"p2","event":"$identify","distinct_id":"carla","timestamp":"2024-05-01T10:30:00+00:00","properties":{"$anon_distinct_id":"anon-9"}}"#,
            r#"{"uuid":"p3","event":"signed up","distinct_id":"carla","timestamp":"2024-05-01T10:30:00+00:00","properties":{}}"#,
            r#"{"uuid":"p4","event":"page created","distinct_id":"carla","timestamp":"2024-05-02T11:00:00+00:00","properties":{}}"#,
        ],
    )?;
    let config = dir.path().join("northstar.toml");
    let message = ingest_ok(dir.path(), "posthog", &["events.jsonl"], &config, &[]);
    assert!(
        message.contains("1 new users (1 anonymous ids merged)"),
        "{message}"
    );
    let w = dir.path().join("w.duckdb");
    let events: String = query(
        &w,
        "select string_agg(user_id || ':' || cast(occurred_at as varchar), ',' order by occurred_at) from raw.events",
    );
    assert_eq!(events, "1:2024-05-01 11:00:00,1:2024-05-02 11:00:00");
    Ok(())
}

#[test]
fn append_is_idempotent_accepts_late_events_and_advances_the_as_of_date() -> TestResult {
    let fixture = fixtures().join("posthog");
    let config = fixture.join("northstar.toml");
    let lines: Vec<String> = std::fs::read_to_string(fixture.join("events.jsonl"))?
        .lines()
        .map(str::to_string)
        .collect();
    // Week 1: the first 18 rows but one; week 2: the rest and the held-back
    // row (a late event for a day of week 1).
    let late = 10;
    let week1: Vec<&str> = lines[..18]
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != late)
        .map(|(_, line)| line.as_str())
        .collect();
    let mut week2: Vec<&str> = lines[18..].iter().map(String::as_str).collect();
    week2.push(&lines[late]);
    let dir = temp_dir();
    write_lines(dir.path(), "week1.jsonl", &week1)?;
    write_lines(dir.path(), "week2.jsonl", &week2)?;
    let w = dir.path().join("w.duckdb");
    ingest_ok(dir.path(), "posthog", &["week1.jsonl"], &config, &[]);
    let first_as_of: String = query(&w, "select cast(as_of_date as varchar) from config.params");
    run_from_ingest(dir.path());
    // Appending week 1 again adds nothing.
    let before = comparable(&w);
    let message = ingest_ok(
        dir.path(),
        "posthog",
        &["week1.jsonl"],
        &config,
        &["--append"],
    );
    assert!(
        message.contains(&format!("skipped {} row(s) ingested before", week1.len())),
        "{message}"
    );
    assert_eq!(comparable(&w), before);
    // Week 2 (and week 1 again, as a glob) adds the rest; the as-of date advances.
    ingest_ok(
        dir.path(),
        "posthog",
        &["week*.jsonl"],
        &config,
        &["--append"],
    );
    let as_of: String = query(&w, "select cast(as_of_date as varchar) from config.params");
    assert!(as_of > first_as_of, "{first_as_of} -> {as_of}");
    assert_eq!(as_of, "2024-03-20");
    run_from_ingest(dir.path());
    // The appended warehouse analyses like one ingest of the whole export.
    let whole = temp_dir();
    build(whole.path(), "posthog", "events.jsonl");
    let appended: Vec<_> = comparable(&w)
        .into_iter()
        .filter(|(table, _, _)| table.starts_with("analytics."))
        .collect();
    let expected: Vec<_> = comparable(&whole.path().join("w.duckdb"))
        .into_iter()
        .filter(|(table, _, _)| table.starts_with("analytics."))
        .collect();
    let differing: Vec<&String> = appended
        .iter()
        .zip(&expected)
        .filter(|(a, e)| a != e)
        .map(|(a, _)| &a.0)
        .collect();
    // By design: analytics.headline compares with the previous run, and
    // stg_events carries event ids, numbered in the order events arrive (the
    // late event of week 1 got its id in week 2).
    assert_eq!(
        differing,
        vec!["analytics.headline", "analytics.stg_events"],
        "{appended:?}\n{expected:?}"
    );
    // The report and summary.json open with the change since the previous run.
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(
        report.contains(&format!(
            "Since the previous run (as of {first_as_of}; this one is as of 2024-03-20)"
        )),
        "{report}"
    );
    // (the paragraph wraps at 100 columns: the figures are checked in summary.json)
    assert!(report.contains("MRR up,"), "{report}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        dir.path().join("reports/summary.json"),
    )?)?;
    assert_eq!(summary["run_history"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        summary["headline"]["previous_as_of_date"],
        first_as_of.as_str()
    );
    assert_eq!(summary["headline"]["mrr_change"], 30.0);
    // The two rates' words follow the interval of their change: up or down
    // only when it excludes 0.
    let flat = report.split_whitespace().collect::<Vec<_>>().join(" ");
    let since = flat
        .split("Since the previous run")
        .nth(1)
        .and_then(|rest| rest.split(" paying accounts).").next())
        .ok_or("no change paragraph")?;
    for (rate, flag, change) in [
        (
            "activation",
            "has_detectable_activation_change",
            "activation_rate_change",
        ),
        (
            "paid conversion",
            "has_detectable_paid_conversion_change",
            "paid_conversion_change",
        ),
    ] {
        let clause = since
            .split("; ")
            .find(|clause| clause.starts_with(rate))
            .ok_or(format!("no {rate} clause in: {since}"))?;
        // (this small export has no observable users in the first week, so
        // the rates may not be comparable; the wording of each case is
        // tested on the fixed context in report::change_wording_follows_the_interval)
        let word = match (
            summary["headline"][flag].as_bool(),
            summary["headline"][change].as_f64(),
        ) {
            (_, None) => "not comparable",
            (None, Some(_)) => "no interval",
            (Some(false), Some(_)) => "no detectable change (",
            (Some(true), Some(value)) if value > 0.0 => ", up +",
            (Some(true), Some(_)) => ", down -",
        };
        assert!(
            clause.contains(word),
            "{rate}: expected '{word}' in: {clause}"
        );
    }
    Ok(())
}

/// A bad input: exit 1, one line naming what `needles` say, the previous warehouse untouched.
fn rejected(format: &str, name: &str, lines: &[&str], needles: &[&str]) -> TestResult {
    let dir = temp_dir();
    let fixture = fixtures().join("posthog");
    ingest_ok(
        dir.path(),
        "posthog",
        &[&fixture.join("events.jsonl").display().to_string()],
        &fixture.join("northstar.toml"),
        &[],
    );
    let w = dir.path().join("w.duckdb");
    let digest = file_digest(&w);
    write_lines(dir.path(), name, lines)?;
    let output = ingest(
        dir.path(),
        format,
        &[name],
        &fixture.join("northstar.toml"),
        &["--append"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
    assert_eq!(file_digest(&w), digest, "the warehouse changed");
    Ok(())
}

#[test]
fn bad_lines_are_rejected_naming_file_line_field_and_value() -> TestResult {
    let good = r#"{"uuid":"x1","event":"page created","distinct_id":"alice@example.com","timestamp":"2024-03-20T10:00:00Z","properties":{}}"#;
    rejected(
        "posthog",
        "broken.jsonl",
        &[
            good,
            "",
            r#"{"uuid":"x2","event":"page created", "distinct_id": }"#,
        ],
        &[
            "file 'broken.jsonl' line 3: malformed JSON",
            "\"distinct_id\": }",
        ],
    )?;
    rejected(
        "posthog",
        "time.jsonl",
        &[
            good,
            r#"{"uuid":"x3","event":"page created","distinct_id":"bob@example.com","timestamp":"yesterday","properties":{}}"#,
        ],
        &["file 'time.jsonl' line 2 field 'timestamp': 'yesterday' is not a valid timestamp"],
    )?;
    rejected(
        "mixpanel",
        "mp.jsonl",
        &[r#"{"event":"Page Created","properties":{"time":1710000000,"distinct_id":"d1"}}"#],
        &["file 'mp.jsonl' line 1 field 'properties.$insert_id': a value is required"],
    )?;
    rejected(
        "posthog",
        "money.jsonl",
        &[
            r#"{"uuid":"x4","event":"subscription started","distinct_id":"carol@example.com","timestamp":"2024-03-20T10:00:00Z","properties":{"mrr":"-5"}}"#,
        ],
        &["file 'money.jsonl' line 1 field 'properties.mrr': '-5' is not a monthly revenue"],
    )?;
    rejected(
        "amplitude",
        "list.jsonl",
        &["[1, 2]"],
        &["file 'list.jsonl' line 1: malformed JSON (a line must hold one JSON object)"],
    )?;
    rejected(
        "segment",
        "far.jsonl",
        &[
            r#"{"type":"track","messageId":"s1","userId":"u","event":"x","timestamp":"2199-01-01T00:00:00Z"}"#,
        ],
        &["line 1 field 'timestamp': '2199-01-01T00:00:00Z' is outside the plausible dates"],
    )?;
    Ok(())
}

#[test]
fn files_globs_and_mapping_errors_are_named() -> TestResult {
    let dir = temp_dir();
    let fixture = fixtures().join("amplitude");
    // A glob of .gz files is read transparently.
    let pattern = fixture.join("*.json.gz").display().to_string();
    let message = ingest_ok(
        dir.path(),
        "amplitude",
        &[&pattern],
        &fixture.join("northstar.toml"),
        &[],
    );
    assert!(
        message.contains("ingested 27 rows from 1 amplitude file(s)"),
        "{message}"
    );
    let output = ingest(
        dir.path(),
        "amplitude",
        &["nothing-*.jsonl"],
        &fixture.join("northstar.toml"),
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no file matches 'nothing-*.jsonl'"),
        "{}",
        stderr(&output)
    );
    std::fs::write(dir.path().join("x.txt"), "{}\n")?;
    let output = ingest(
        dir.path(),
        "segment",
        &["x.txt"],
        &fixture.join("northstar.toml"),
        &[],
    );
    assert!(
        stderr(&output).contains("file 'x.txt' is not JSON lines"),
        "{}",
        stderr(&output)
    );
    // An unknown northstar event type in [mapping.events] is a usage error (exit 2).
    mapping(dir.path(), "[mapping.events]\nsignups = [\"Sign Up\"]\n")?;
    let output = ingest(
        dir.path(),
        "amplitude",
        &[&pattern],
        &dir.path().join("northstar.toml"),
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "invalid value for 'mapping.events': 'signups' is not a northstar event type"
        ),
        "{}",
        stderr(&output)
    );
    mapping(dir.path(), "[mapping]\nsegment = \"user.segment\"\n")?;
    let output = ingest(
        dir.path(),
        "amplitude",
        &[&pattern],
        &dir.path().join("northstar.toml"),
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("'mapping.segment': 'user.segment' is not a source path"),
        "{}",
        stderr(&output)
    );
    Ok(())
}

#[test]
fn a_hostile_name_reaches_the_report_and_dashboard_escaped() -> TestResult {
    let dir = temp_dir();
    let hostile = "<script>alert(1)</script>\u{1b}[31m";
    mapping(
        dir.path(),
        "[mapping]\nchannel = \"properties.utm_source\"\nsegment = \"properties.utm_source\"\n[mapping.events]\nsignup = [\"signed up\"]\npage_create = [\"page created\"]\n",
    )?;
    let name = serde_json::to_string(hostile)?;
    let lines: Vec<String> = vec![
        format!(r#"{{"uuid":"h1","event":"signed up","distinct_id":"u1","timestamp":"2024-01-01T10:00:00Z","properties":{{"utm_source":{name}}}}}"#),
        format!(r#"{{"uuid":"h2","event":{name},"distinct_id":"u1","timestamp":"2024-01-02T10:00:00Z","properties":{{}}}}"#),
        r#"{"uuid":"h3","event":"page created","distinct_id":"u1","timestamp":"2024-01-03T10:00:00Z","properties":{}}"#.to_string(),
        // the funnel by channel needs a signup with an observable 120-day window
        r#"{"uuid":"h4","event":"page created","distinct_id":"u1","timestamp":"2024-06-01T10:00:00Z","properties":{}}"#.to_string(),
    ];
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    write_lines(dir.path(), "events.jsonl", &refs)?;
    let message = ingest_ok(
        dir.path(),
        "posthog",
        &["events.jsonl"],
        &dir.path().join("northstar.toml"),
        &[],
    );
    // The ingest summary lists the name on one line, control characters escaped.
    assert!(
        message.contains("'<script>alert(1)</script>\\u{1b}[31m' 1"),
        "{message}"
    );
    assert!(!message.contains('\u{1b}'));
    run_from_ingest(dir.path());
    let w = dir.path().join("w.duckdb");
    let kept: i64 = query(
        &w,
        &format!(
            "select count(*) from raw.events where event_type = '{}'",
            hostile.replace('\'', "''")
        ),
    );
    assert_eq!(kept, 1, "the event name is kept as it was");
    let dashboard = std::fs::read_to_string(dir.path().join("reports/dashboard.html"))?;
    assert!(
        !dashboard.contains("<script>alert(1)"),
        "unescaped in the dashboard"
    );
    assert!(
        dashboard.contains(r"\u003cscript\u003ealert(1)\u003c/script\u003e\u001b[31m"),
        "the segment is shown in the dashboard, escaped"
    );
    let report = std::fs::read_to_string(dir.path().join("reports/report.txt"))?;
    assert!(
        !report.contains('\u{1b}'),
        "a raw escape character in the report"
    );
    assert!(
        report.contains("<script>alert(1)</script>\\u{1b}[31m"),
        "the channel is shown in the report, its control character escaped"
    );
    Ok(())
}

#[test]
fn start_and_end_set_the_period_and_quarantine_rows_outside_it() -> TestResult {
    let dir = temp_dir();
    let fixture = fixtures().join("posthog");
    let file = fixture.join("events.jsonl").display().to_string();
    let config = fixture.join("northstar.toml");
    let message = ingest_ok(
        dir.path(),
        "posthog",
        &[&file],
        &config,
        &["--start", "2024-03-02", "--end", "2024-03-15"],
    );
    // alice signed up on 2024-03-01: she and her rows are quarantined.
    assert!(
        message.contains("quarantined in meta.rejected_rows (its user signed up before the period start (--start 2024-03-02))"),
        "{message}"
    );
    assert!(
        message.contains(
            "quarantined in meta.rejected_rows (after the period end (--end 2024-03-15))"
        ),
        "{message}"
    );
    assert!(
        message.contains("period 2024-03-02..2024-03-15"),
        "{message}"
    );
    let w = dir.path().join("w.duckdb");
    let period: String = query(
        &w,
        "select cast(period_start as varchar) || ' ' || cast(as_of_date as varchar) from config.params",
    );
    assert_eq!(period, "2024-03-02 2024-03-15");
    let alice: i64 = query(
        &w,
        "select count(*) from raw.user_ids where external_id = 'alice@example.com'",
    );
    assert_eq!(alice, 0, "alice signed up before --start");
    let outside: i64 = query(
        &w,
        "select (select count(*) from raw.users where signup_at < timestamp '2024-03-02') \
              + (select count(*) from raw.events where occurred_at < timestamp '2024-03-02' \
                 or occurred_at >= timestamp '2024-03-16')",
    );
    assert_eq!(outside, 0);
    let late: i64 = query(
        &w,
        "select count(*) from meta.rejected_rows where reason = 'after the period end (--end 2024-03-15)' \
         and source_line in (30, 31)",
    );
    assert_eq!(
        late, 2,
        "bob's 03-19 and carol's 03-21 events are after --end"
    );
    // Every check passes on the period (check_within_period included).
    run_from_ingest(dir.path());

    // Without --start/--end the same export starts on 2024-03-01, as of 2024-03-20.
    let other = temp_dir();
    let message = ingest_ok(other.path(), "posthog", &[&file], &config, &[]);
    assert!(
        message.contains("period 2024-03-01..2024-03-20"),
        "{message}"
    );

    // A reversed period is one line naming both flags; nothing is written.
    let output = ingest(
        other.path(),
        "posthog",
        &[&file],
        &config,
        &["--append", "--start", "2024-03-15", "--end", "2024-03-05"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(
        message.contains("--end 2024-03-05 is before --start 2024-03-15"),
        "{message}"
    );
    Ok(())
}
