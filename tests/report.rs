//! The text report: a snapshot of the whole report for a fixed seed, the Key
//! Metrics section read back against the warehouse, summary.json, template
//! overrides and template errors.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use duckdb::Connection;

use crate::common::{open, run_in, run_ok, stderr, temp_dir, TestResult};

/// `northstar run --users 2000 --seed 7` in a temp dir, built once per test
/// process: (dir, stderr of the run).
fn small_run() -> &'static (PathBuf, String) {
    static BUILT: OnceLock<(tempfile::TempDir, (PathBuf, String))> = OnceLock::new();
    let (_, built) = BUILT.get_or_init(|| {
        let dir = temp_dir();
        let output = run_in(
            dir.path(),
            &[
                "run",
                "--users",
                "2000",
                "--seed",
                "7",
                "--warehouse",
                "w.duckdb",
            ],
        );
        let message = stderr(&output);
        assert!(output.status.success(), "northstar run failed: {message}");
        let path = dir.path().to_path_buf();
        (dir, (path, message))
    });
    built
}

fn small_dir() -> &'static Path {
    &small_run().0
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("unable to read '{}': {err}", path.display()))
}

#[test]
fn run_writes_the_report_and_says_where() {
    let (dir, message) = small_run();
    assert!(message.contains("report: reports/report.txt"), "{message}");
    assert!(dir.join("reports/report.txt").is_file());
    assert!(dir.join("reports/summary.json").is_file());
}

/// The fixed template context of `report_snapshot`: the context of the
/// 2,000-user run (seed 7) as `report::load_context` read it, with a fixed
/// generation time and warehouse path. A wording change re-renders it
/// without any run; `the_fixed_context_has_the_shape_of_a_warehouse_context`
/// keeps it in step with the code (and rewrites it when
/// `NORTHSTAR_UPDATE_REPORT_CONTEXT=1`).
const FIXED_CONTEXT: &str = "tests/fixtures/report/context.json";

fn fixed_context_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXED_CONTEXT)
}

#[test]
fn report_snapshot() -> TestResult {
    let context: serde_json::Value = serde_json::from_str(&read(&fixed_context_path()))?;
    let text = northstar::report::render(&context, None)?;
    let too_wide: Vec<&str> = text
        .lines()
        .filter(|line| line.chars().count() > 100)
        .collect();
    assert!(
        too_wide.is_empty(),
        "lines wider than 100 columns: {too_wide:#?}"
    );
    insta::assert_snapshot!("report_from_fixed_context", text);
    Ok(())
}

/// The change since the previous run: rates move "up"/"down" only when the
/// interval of the change excludes 0, else "no detectable change"; without
/// the previous denominators there is no interval and no direction word.
#[test]
fn change_wording_follows_the_interval() -> TestResult {
    let mut context: serde_json::Value = serde_json::from_str(&read(&fixed_context_path()))?;
    let headline = context["headline"]
        .as_object_mut()
        .ok_or("the fixed context has no headline")?;
    for (key, value) in [
        ("previous_as_of_date", json!("2025-12-24")),
        ("previous_north_star", json!(5)),
        ("north_star_change", json!(0)),
        ("previous_mrr", json!(100.0)),
        ("mrr_change", json!(-2.5)),
        ("previous_paying_accounts", json!(3)),
        ("previous_activation_rate", json!(0.5)),
        ("activation_rate_change", json!(0.0123)),
        ("activation_rate_change_ci_low", json!(-0.02)),
        ("activation_rate_change_ci_high", json!(0.0446)),
        ("has_detectable_activation_change", json!(false)),
        ("previous_paid_conversion", json!(0.1)),
        ("paid_conversion_change", json!(-0.031)),
        ("paid_conversion_change_ci_low", json!(-0.05)),
        ("paid_conversion_change_ci_high", json!(-0.012)),
        ("has_detectable_paid_conversion_change", json!(true)),
    ] {
        headline.insert(key.into(), value);
    }
    let flat = |context: &serde_json::Value| -> Result<String, Box<dyn std::error::Error>> {
        let text = northstar::report::render(context, None)?;
        Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let text = flat(&context)?;
    for expected in [
        "North Star unchanged,",
        "no detectable change (+1.2 points (95% CI -2.0 .. +4.5 points));",
        "down -3.1 points (95% CI -5.0 .. -1.2 points);",
        "MRR down, $100.00 ->",
    ] {
        assert!(text.contains(expected), "'{expected}' not in: {text}");
    }
    // A previous run recorded before the denominators were kept.
    context["headline"]["has_detectable_activation_change"] = serde_json::Value::Null;
    let text = flat(&context)?;
    assert!(
        text.contains("+1.2 points, no interval (the previous run did not record its sample size)"),
        "{text}"
    );
    Ok(())
}

/// Every key path of a JSON value (`a.b`, `a.list[].c`), arrays by their
/// elements' union.
fn key_paths(
    value: &serde_json::Value,
    prefix: &str,
    out: &mut std::collections::BTreeSet<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let path = format!("{prefix}.{key}");
                out.insert(path.clone());
                key_paths(child, &path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// Sets every wall-clock time of a context (`started_at`, `finished_at`,
/// `ran_at`, `recorded_at`) to one fixed value.
fn fix_wall_clock_times(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if ["started_at", "finished_at", "ran_at", "recorded_at"].contains(&key.as_str())
                    && child.is_string()
                {
                    *child = "2026-01-01 00:00:00".into();
                } else {
                    fix_wall_clock_times(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(fix_wall_clock_times),
        _ => {}
    }
}

#[test]
fn the_fixed_context_has_the_shape_of_a_warehouse_context() -> TestResult {
    let dir = small_dir();
    let conn = northstar::warehouse::open_read_only(&dir.join("w.duckdb"))?;
    let generated_at = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")?.to_utc();
    let options = northstar::report::ReportOptions {
        warehouse: Path::new("w.duckdb"),
        out_dir: dir,
        templates: None,
        generated_at,
    };
    let mut real = northstar::report::load_context(&conn, &options)?;
    // Wall-clock times (build, check and run times): fixed, like generated_at.
    fix_wall_clock_times(&mut real);
    if std::env::var_os("NORTHSTAR_UPDATE_REPORT_CONTEXT").is_some() {
        std::fs::write(
            fixed_context_path(),
            serde_json::to_string_pretty(&real)? + "\n",
        )?;
    }
    let fixed: serde_json::Value = serde_json::from_str(&read(&fixed_context_path()))?;
    let (mut real_paths, mut fixed_paths) = (Default::default(), Default::default());
    key_paths(&real, "", &mut real_paths);
    key_paths(&fixed, "", &mut fixed_paths);
    let missing: Vec<_> = real_paths.difference(&fixed_paths).collect();
    let extra: Vec<_> = fixed_paths.difference(&real_paths).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{FIXED_CONTEXT} is out of step with report::load_context: missing {missing:?}, \
         no longer read {extra:?}; rewrite it with \
         NORTHSTAR_UPDATE_REPORT_CONTEXT=1 cargo test --release --test main report::the_fixed_context, \
         then refresh and review the snapshot (docs/ARCHITECTURE.md)"
    );
    Ok(())
}

#[test]
fn report_sections_come_in_order() {
    let text = read(&small_dir().join("reports/report.txt"));
    let sections = [
        "1. EXECUTIVE SUMMARY",
        "2. NORTH STAR METRIC",
        "3. KEY METRICS SNAPSHOT",
        "4. REVENUE",
        "5. FUNNEL ANALYSIS",
        "6. RETENTION INSIGHTS",
        "7. GROWTH OPPORTUNITIES",
        "8. DATA QUALITY",
        "9. CALIBRATION",
        "10. STRATEGIC RECOMMENDATIONS",
        "11. NEXT STEPS",
        "Query versions:",
    ];
    let mut last = 0;
    for section in sections {
        let at = text[last..]
            .find(section)
            .unwrap_or_else(|| panic!("section '{section}' missing or out of order"));
        last += at + section.len();
    }
}

/// How a Key Metrics value is printed.
#[derive(Debug, Clone, Copy)]
enum Format {
    Int,
    Pct,
    Money,
}

/// Every row of the Key Metrics table, with the SQL that reads its value back.
const KEY_METRICS: [(&str, Format, &str); 13] = [
    ("DAU (30-day average)", Format::Int, "select avg_dau_30d from analytics.engagement_summary"),
    ("WAU (30-day average)", Format::Int, "select avg_wau_30d from analytics.engagement_summary"),
    ("MAU (30-day average)", Format::Int, "select avg_mau_30d from analytics.engagement_summary"),
    (
        "DAU/MAU stickiness (30-day avg)",
        Format::Pct,
        "select avg_stickiness_30d from analytics.engagement_summary",
    ),
    ("DAU/MAU benchmark", Format::Pct, "select stickiness_benchmark from config.params"),
    (
        "Activation rate",
        Format::Pct,
        "select activation_rate from analytics.activation_summary where dimension = 'all'",
    ),
    (
        "Collaborative team workspace share",
        Format::Pct,
        "select weekly.wacw_share from analytics.north_star_weekly as weekly
         where weekly.week_start = (select week_start from analytics.north_star_summary)",
    ),
    (
        "Paid conversion (120 days)",
        Format::Pct,
        "select paid_in_window_conversion from analytics.paid_conversion where dimension = 'all'",
    ),
    (
        "Paid conversion (ever)",
        Format::Pct,
        "select paid_conversion from analytics.paid_conversion where dimension = 'all'",
    ),
    (
        "Paid at the end",
        Format::Pct,
        "select paid_at_end_rate from analytics.paid_conversion where dimension = 'all'",
    ),
    (
        "MRR",
        Format::Money,
        "select mrr from analytics.mrr_monthly where month_start = (select max(month_start) from analytics.mrr_monthly)",
    ),
    (
        "Paying accounts",
        Format::Int,
        "select paying_accounts from analytics.mrr_monthly where month_start = (select max(month_start) from analytics.mrr_monthly)",
    ),
    (
        "ARPA (monthly)",
        Format::Money,
        "select arpa from analytics.mrr_monthly where month_start = (select max(month_start) from analytics.mrr_monthly)",
    ),
];

fn sql_number(conn: &Connection, sql: &str) -> f64 {
    conn.query_row(sql, [], |row| row.get::<_, f64>(0))
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

/// Parses a printed number; returns it with half a unit of its last printed
/// digit (the rounding tolerance).
fn parse_printed(text: &str, format: Format) -> (f64, f64) {
    let mut body = text.replace(',', "");
    let mut scale = 1.0;
    match format {
        Format::Int => {}
        Format::Pct => {
            body = body
                .strip_suffix('%')
                .unwrap_or_else(|| panic!("'{text}' is not a percentage"))
                .to_string();
            scale = 0.01;
        }
        Format::Money => {
            body = body
                .strip_prefix('$')
                .unwrap_or_else(|| panic!("'{text}' is not money"))
                .to_string();
            for (suffix, multiplier) in [('K', 1e3), ('M', 1e6), ('B', 1e9), ('T', 1e12)] {
                if let Some(stripped) = body.strip_suffix(suffix) {
                    body = stripped.to_string();
                    scale = multiplier;
                }
            }
        }
    }
    let decimals = body
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    let value: f64 = body
        .parse()
        .unwrap_or_else(|_| panic!("'{text}' is not a number"));
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32)) * scale;
    (value * scale, half_unit * (1.0 + 1e-9))
}

/// The rows of the Key Metrics table: (label, printed value, definition).
fn key_metrics_rows(text: &str) -> Vec<(String, String, String)> {
    let section = text
        .split("3. KEY METRICS SNAPSHOT")
        .nth(1)
        .and_then(|rest| rest.split("4. FUNNEL ANALYSIS").next())
        .expect("a Key Metrics section");
    let mut lines = section
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("metric"));
    lines.next().expect("a header row");
    lines
        .take_while(|line| !line.trim().is_empty())
        .map(|line| {
            // Columns are sized from their values and at least two spaces
            // apart; labels and definitions hold single spaces only.
            let cells: Vec<&str> = line
                .split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .collect();
            assert_eq!(cells.len(), 3, "label, value, definition: {line}");
            (
                cells[0].to_string(),
                cells[1].to_string(),
                cells[2].to_string(),
            )
        })
        .collect()
}

#[test]
fn key_metrics_equal_the_warehouse() {
    let dir = small_dir();
    let text = read(&dir.join("reports/report.txt"));
    let conn = open(&dir.join("w.duckdb"));
    let rows = key_metrics_rows(&text);
    let labels: Vec<&str> = rows.iter().map(|(label, _, _)| label.as_str()).collect();
    let expected: Vec<&str> = KEY_METRICS.iter().map(|(label, _, _)| *label).collect();
    assert_eq!(
        labels, expected,
        "every Key Metrics row is checked, in order"
    );
    for ((label, printed, definition), (_, format, sql)) in rows.iter().zip(KEY_METRICS) {
        let (value, tolerance) = parse_printed(printed, format);
        let warehouse = sql_number(&conn, sql);
        assert!(
            (value - warehouse).abs() <= tolerance,
            "{label}: report says {printed}, warehouse has {warehouse}"
        );
        assert!(
            !definition.chars().any(|c| c.is_ascii_digit()),
            "{label}: the definition holds a number nobody checks: {definition}"
        );
    }
    let as_of: String = conn
        .query_row(
            "select cast(as_of_date as varchar) from config.params",
            [],
            |row| row.get(0),
        )
        .expect("as_of_date");
    assert!(
        text.contains(&format!("Values as of {as_of};")),
        "the snapshot date is the warehouse's"
    );
}

#[test]
fn summary_json_holds_the_warehouse_values() -> TestResult {
    let dir = small_dir();
    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir.join("reports/summary.json")))?;
    let conn = open(&dir.join("w.duckdb"));
    let checks = [
        (
            "/key_metrics/dau_30d_avg",
            "select avg_dau_30d from analytics.engagement_summary",
        ),
        (
            "/key_metrics/stickiness_30d_avg",
            "select avg_stickiness_30d from analytics.engagement_summary",
        ),
        (
            "/key_metrics/activation_rate",
            "select activation_rate from analytics.activation_summary where dimension = 'all'",
        ),
        (
            "/key_metrics/mrr",
            "select mrr from analytics.mrr_monthly order by month_start desc limit 1",
        ),
        (
            "/key_metrics/collaborative_workspace_share",
            "select wacw_share from analytics.north_star_summary",
        ),
        (
            "/north_star/value",
            "select value from analytics.north_star_summary",
        ),
        (
            "/north_star/gap",
            "select gap from analytics.north_star_summary",
        ),
        (
            "/funnel/signup_to_paid",
            "select overall_conversion from analytics.funnel_stages where stage_order = 7",
        ),
        (
            "/top_lever/first_12_month_revenue_p50",
            "select first_12_month_revenue_p50 from analytics.growth_levers where lever_rank = 1",
        ),
        ("/users", "select sample_users from config.params"),
        ("/seed", "select seed from config.params"),
    ];
    for (pointer, sql) in checks {
        let json = summary
            .pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or_else(|| panic!("summary.json has no number at {pointer}"));
        let warehouse = sql_number(&conn, sql);
        assert!(
            (json - warehouse).abs() <= 1e-9 * warehouse.abs().max(1.0),
            "{pointer}: summary.json {json}, warehouse {warehouse}"
        );
    }
    assert_eq!(summary["seed"], 7);
    Ok(())
}

fn report_with_templates(templates: &Path, out: &Path) -> std::process::Output {
    let warehouse = small_dir().join("w.duckdb");
    run_in(
        small_dir(),
        &[
            "report",
            "--warehouse",
            &warehouse.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--templates",
            &templates.display().to_string(),
        ],
    )
}

#[test]
fn a_misspelt_variable_names_the_template_and_line() -> TestResult {
    let work = temp_dir();
    let templates = work.path().join("templates");
    std::fs::create_dir(&templates)?;
    std::fs::write(
        templates.join("report.txt"),
        "{% extends \"base.txt\" %}\n{% block body %}\nNorth Star: {{ north_star.valeu | int }}\n{% endblock %}\n",
    )?;
    let out = work.path().join("out");
    let output = report_with_templates(&templates, &out);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("template 'report.txt' line 3"),
        "{message}"
    );
    assert!(message.contains("north_star.valeu"), "{message}");
    assert!(message.contains("undefined"), "{message}");
    assert_eq!(
        message
            .lines()
            .filter(|line| line.starts_with("error"))
            .count(),
        1,
        "{message}"
    );
    assert!(!out.join("report.txt").exists(), "no partial report");
    Ok(())
}

#[test]
fn a_syntax_error_names_the_template_and_line() -> TestResult {
    let work = temp_dir();
    let templates = work.path().join("templates");
    std::fs::create_dir(&templates)?;
    std::fs::write(
        templates.join("report.txt"),
        "line one\nline two\n{% if north_star.value %}\n",
    )?;
    let output = report_with_templates(&templates, &work.path().join("out"));
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("template 'report.txt' line"), "{message}");
    assert!(message.contains("syntax error"), "{message}");
    Ok(())
}

#[test]
fn templates_override_by_name_and_fall_back_to_the_built_in_ones() -> TestResult {
    let work = temp_dir();
    let templates = work.path().join("templates");
    std::fs::create_dir(&templates)?;
    // Only base.txt is overridden: the built-in report.txt renders into it.
    std::fs::write(
        templates.join("base.txt"),
        "ACME WEEKLY\n{% block body %}{% endblock %}\n",
    )?;
    let out = work.path().join("out");
    let output = report_with_templates(&templates, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = read(&out.join("report.txt"));
    assert!(
        text.starts_with("ACME WEEKLY\n"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains("3. KEY METRICS SNAPSHOT"));
    assert!(!text.contains("NORTHSTAR PRODUCT ANALYTICS REPORT"));

    // A whole replacement report.txt.
    std::fs::write(
        templates.join("report.txt"),
        "WACW {{ north_star.value }}\n",
    )?;
    let output = report_with_templates(&templates, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let value: i64 = open(&small_dir().join("w.duckdb")).query_row(
        "select value from analytics.north_star_summary",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(read(&out.join("report.txt")), format!("WACW {value}\n"));
    Ok(())
}

#[test]
fn a_warehouse_without_analytics_is_refused() {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "generate",
            "--users",
            "300",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let output = run_in(dir.path(), &["report", "--warehouse", "w.duckdb"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("no analytics tables"), "{message}");
    assert!(!dir.path().join("reports").exists());

    let output = run_in(dir.path(), &["report", "--warehouse", "missing.duckdb"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

/// On the golden fixture the report names what the real-data fixes measure:
/// the partial last day after as_of_date, trials, signups without a tracked
/// visit, and a warning-level check shown as "warn" without a failure warning.
#[test]
fn the_report_names_the_partial_day_trials_untracked_signups_and_warnings() -> TestResult {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let conn = Connection::open_in_memory()?;
    northstar::warehouse::create_schema(&conn)?;
    conn.execute_batch(&std::fs::read_to_string(
        root.join("tests/fixtures/golden/data.sql"),
    )?)?;
    let files = northstar::queries::order(&northstar::queries::load(None)?)?;
    northstar::queries::run(&conn, &files, &indicatif::ProgressBar::hidden())?;
    let dir = temp_dir();
    let options = northstar::report::ReportOptions {
        warehouse: Path::new("fixture.duckdb"),
        out_dir: dir.path(),
        templates: None,
        generated_at: chrono::Utc::now(),
    };
    let context = northstar::report::load_context(&conn, &options)?;
    let text = northstar::report::render(&context, None)?;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "2 events after the as-of date (the partial last day) are kept in raw but outside every \
         metric, as are 1 signups, 1 visits and 1 subscription starts.",
        "Trials ($0 subscriptions) are not paid and count in none of the figures above: 3 started; \
         1 of the 2 whose 30-day window is complete converted to a paid subscription of the same \
         workspace (50.0%); 1 still within their window.",
        "8 of 14 visits are attributed; 1 of the 8 signups have no tracked visit.",
        "1 warning-level check(s) found rows",
    ] {
        assert!(flat.contains(needle), "report lacks: {needle}\n{text}");
    }
    assert!(
        text.lines()
            .any(|line| line.contains("check_subscription_seats")
                && line.contains(" warn ")
                && line.contains(" 2 ")),
        "the seats check is a warning row:\n{text}"
    );
    assert!(
        !text.contains("data-quality checks failed"),
        "a warning is not a failure"
    );
    Ok(())
}

#[test]
fn templates_cannot_include_files_outside_their_directory() -> TestResult {
    let work = temp_dir();
    let templates = work.path().join("templates");
    std::fs::create_dir(&templates)?;
    std::fs::write(work.path().join("secret.txt"), "TOP-SECRET-LINE\n")?;
    std::os::unix::fs::symlink("../secret.txt", templates.join("linked.txt"))?;
    let out = work.path().join("out");
    let secret = work.path().join("secret.txt").display().to_string();
    for (include, needle) in [
        (secret.as_str(), "is outside the templates directory"),
        ("/etc/passwd", "is outside the templates directory"),
        ("../secret.txt", "is outside the templates directory"),
        ("sub/../../secret.txt", "is outside the templates directory"),
        ("linked.txt", "leads outside the templates directory"),
    ] {
        for tag in ["include", "extends", "import"] {
            let body = if tag == "import" {
                format!("{{% import \"{include}\" as m %}}\nx\n")
            } else {
                format!("{{% {tag} \"{include}\" %}}\n")
            };
            std::fs::write(templates.join("report.txt"), &body)?;
            let output = report_with_templates(&templates, &out);
            let message = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{body}: {message}");
            assert!(message.contains("template 'report.txt'"), "{message}");
            assert!(message.contains(include), "{message}");
            assert!(message.contains(needle), "{body}: {message}");
            assert!(!message.contains("TOP-SECRET") && !message.contains("root:"));
            assert_eq!(
                message
                    .lines()
                    .filter(|line| line.starts_with("error"))
                    .count(),
                1,
                "{message}"
            );
            assert!(
                !out.join("report.txt").exists(),
                "{body}: a report was written"
            );
        }
    }
    // A file inside the directory (in a subdirectory too) is fine.
    std::fs::create_dir(templates.join("parts"))?;
    std::fs::write(
        templates.join("parts/head.txt"),
        "HEAD {{ north_star.value }}\n",
    )?;
    std::fs::write(
        templates.join("report.txt"),
        "{% include \"parts/head.txt\" %}\n",
    )?;
    let output = report_with_templates(&templates, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(read(&out.join("report.txt")).starts_with("HEAD "));
    Ok(())
}
