//! Golden fixture: a small hand-written dataset (`tests/fixtures/golden/data.sql`,
//! every row commented) with the expected value of every query's key columns
//! (`tests/fixtures/golden/expected/<query>.csv`), derived by hand
//! (`tests/fixtures/golden/README.md`) and asserted here.

use std::path::{Path, PathBuf};

use duckdb::Connection;
use indicatif::ProgressBar;
use northstar::queries::{self, QueryKind};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

fn load_fixture(
) -> Result<(Connection, Vec<queries::QueryFile>, queries::RunSummary), Box<dyn std::error::Error>>
{
    load_fixture_dir(&fixture_dir())
}

fn values_match(expected: Option<&str>, actual: Option<&str>) -> bool {
    match (expected, actual) {
        (None, None) => true,
        (Some(e), Some(a)) if e == a => true,
        (Some(e), Some(a)) => match (e.trim().parse::<f64>(), a.trim().parse::<f64>()) {
            (Ok(e), Ok(a)) => {
                let scale = e.abs().max(a.abs());
                (e - a).abs() <= 1e-9 || (e - a).abs() <= 1e-6 * scale
            }
            _ => false,
        },
        _ => false,
    }
}

/// Every fixture dataset: `tests/fixtures/<name>/data.sql` with its expected
/// tables in `expected/`. `golden` covers every analysis query; a further
/// fixture (e.g. `accounts`) holds the cases of one subject and asserts only
/// the queries it has an expected file for, so adding a case there does not
/// change the hand derivations of every other query.
fn fixture_dirs() -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))? {
        let path = entry?.path();
        if path.join("data.sql").is_file() && path.join("expected").is_dir() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn load_fixture_dir(
    dir: &Path,
) -> Result<(Connection, Vec<queries::QueryFile>, queries::RunSummary), Box<dyn std::error::Error>>
{
    let conn = Connection::open_in_memory()?;
    northstar::warehouse::create_schema(&conn)?;
    conn.execute_batch(&std::fs::read_to_string(dir.join("data.sql"))?)?;
    let files = queries::order(&queries::load(None)?)?;
    let summary = queries::run(&conn, &files, &ProgressBar::hidden())?;
    Ok((conn, files, summary))
}

#[test]
fn every_query_matches_the_hand_computed_fixtures() -> Result<(), Box<dyn std::error::Error>> {
    let mut failures = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    let mut analysis = std::collections::BTreeSet::new();
    for dir in fixture_dirs()? {
        let fixture = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (conn, files, _) = load_fixture_dir(&dir)?;
        // The query stage takes file access away from `conn`'s database: the
        // expected CSVs are read on a database of their own.
        let csv = Connection::open_in_memory()?;
        let expected_dir = dir.join("expected");
        for file in files.iter().filter(|f| f.kind == QueryKind::Analysis) {
            analysis.insert(file.name.clone());
            let path = expected_dir.join(format!("{}.csv", file.name));
            if !path.exists() {
                continue;
            }
            covered.insert(file.name.clone());
            compare_table(&conn, &csv, &path, &file.name, &fixture, &mut failures)?;
        }
    }
    for name in analysis.difference(&covered) {
        failures.push(format!("{name}: no expected file in any fixture"));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

fn compare_table(
    conn: &Connection,
    csv: &Connection,
    path: &Path,
    name: &str,
    fixture: &str,
    failures: &mut Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut header_statement = csv.prepare(&format!(
        "select * from read_csv('{}', all_varchar = true, header = true, delim = ',', quote = '\"')",
        path.display()
    ))?;
    let mut expected_rows: Vec<Vec<Option<String>>> = Vec::new();
    let mut rows = header_statement.query([])?;
    let columns: Vec<String> = rows
        .as_ref()
        .map(|statement| statement.column_names())
        .unwrap_or_default();
    while let Some(row) = rows.next()? {
        expected_rows.push(
            (0..columns.len())
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Result<_, _>>()?,
        );
    }
    let list = columns
        .iter()
        .map(|c| format!("cast(\"{c}\" as varchar)"))
        .collect::<Vec<_>>()
        .join(", ");
    let order = (1..=columns.len())
        .map(|i| format!("{i} nulls first"))
        .collect::<Vec<_>>()
        .join(", ");
    let sort_list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select {list} from (select {sort_list} from analytics.{} order by {order}) as sorted",
        name
    );
    let mut statement = conn
        .prepare(&sql)
        .map_err(|err| format!("{}: {err}", name))?;
    let actual_rows: Vec<Vec<Option<String>>> = statement
        .query_map([], |row| {
            (0..columns.len())
                .map(|i| row.get::<_, Option<String>>(i))
                .collect()
        })?
        .collect::<Result<_, _>>()?;
    if actual_rows.len() != expected_rows.len() {
        failures.push(format!(
            "{fixture}/{}: {} rows, expected {}",
            name,
            actual_rows.len(),
            expected_rows.len()
        ));
        return Ok(());
    }
    for (index, (expected, actual)) in expected_rows.iter().zip(&actual_rows).enumerate() {
        for (column, (e, a)) in columns.iter().zip(expected.iter().zip(actual)) {
            if !values_match(e.as_deref(), a.as_deref()) {
                failures.push(format!(
                    "{fixture}/{} row {} column {column}: expected {e:?}, got {a:?}",
                    name,
                    index + 1
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn fixture_checks_pass() -> Result<(), Box<dyn std::error::Error>> {
    let (conn, files, summary) = load_fixture()?;
    let expected_text = std::fs::read_to_string(fixture_dir().join("expected/checks.txt"))?;
    // `name` (zero offending rows) or `name N` (exactly N rows: a warning-level
    // check that fires on purpose)
    let mut expected: Vec<(String, i64)> = Vec::new();
    for line in expected_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap_or_default().to_string();
        let rows = parts.next().map_or(Ok(0), str::parse::<i64>)?;
        expected.push((name, rows));
    }
    let checks: Vec<&queries::QueryFile> = files
        .iter()
        .filter(|f| f.kind == QueryKind::Check)
        .collect();
    assert!(!checks.is_empty(), "there are checks");
    // every check is listed, so a new one cannot skip the fixture
    let mut listed: Vec<&str> = expected.iter().map(|(name, _)| name.as_str()).collect();
    listed.sort_unstable();
    let mut all: Vec<&str> = checks.iter().map(|f| f.name.as_str()).collect();
    all.sort_unstable();
    assert_eq!(listed, all, "expected/checks.txt must list every check");
    for (name, rows) in &expected {
        let (offending, severity): (i64, String) = conn.query_row(
            "select offending_rows, severity from meta.check_results where check_name = ?",
            [name],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        assert_eq!(
            offending, *rows,
            "check {name}: offending rows on the fixture"
        );
        let failed = summary
            .failed_checks
            .iter()
            .any(|(failed, _, _)| failed == name);
        let warned = summary.warnings.iter().any(|(warned, _, _)| warned == name);
        assert_eq!(
            failed,
            *rows > 0 && severity == "error",
            "check {name}: only an error-level check with rows fails the run"
        );
        assert_eq!(
            warned,
            *rows > 0 && severity == "warning",
            "check {name}: a warning-level check with rows is a warning"
        );
    }
    // the fixture must not fail the run
    assert!(
        summary.failed_checks.is_empty(),
        "{:?}",
        summary.failed_checks
    );
    Ok(())
}

/// Broken rows added to the fixture, one per defect class, are each found by
/// their check: error-level checks fail the run, warning-level ones are
/// reported only; rows after period_end fail check_within_period only for
/// generated data (seed <> 0).
#[test]
fn broken_rows_are_caught_by_their_checks() -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connection::open_in_memory()?;
    northstar::warehouse::create_schema(&conn)?;
    conn.execute_batch(&std::fs::read_to_string(fixture_dir().join("data.sql"))?)?;
    conn.execute_batch(
        "insert into raw.events values
             (100, 1, 1, 'share', timestamp '2024-01-31 10:00:00'),     -- exact duplicate of event 9
             (101, 6, 1, 'page_view', timestamp '2024-03-01 10:00:00'), -- u6 in u1's workspace: not a member
             (102, 2, 2, 'page_view', timestamp '2024-07-02 10:00:00'); -- after period_end
         insert into raw.subscriptions values
             (100, 99, 1, 'plus', 1, timestamp '2024-03-01 10:00:00', null, 10.0),  -- unknown user; overlaps 1
             (101, 1, 99, 'plus', 1, timestamp '2024-03-01 10:00:00', null, 10.0),  -- unknown workspace (0 members)
             (102, 3, 2, 'plus', 1, timestamp '2024-03-05 10:00:00', timestamp '2024-03-20 10:00:00', -5.0); -- negative; overlaps 2",
    )?;
    let files = queries::order(&queries::load(None)?)?;
    let summary = queries::run(&conn, &files, &ProgressBar::hidden())?;
    let rows = |name: &str| -> Result<i64, duckdb::Error> {
        conn.query_row(
            "select offending_rows from meta.check_results where check_name = ?",
            [name],
            |row| row.get(0),
        )
    };
    let failed: Vec<(&str, i64)> = summary
        .failed_checks
        .iter()
        .map(|(name, rows, _)| (name.as_str(), *rows))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("check_duplicate_events", 1),
            ("check_event_membership", 1),
            ("check_subscription_references", 2),
            ("check_subscription_revenue", 1),
        ]
    );
    let warned: Vec<(&str, i64)> = summary
        .warnings
        .iter()
        .map(|(name, rows, _)| (name.as_str(), *rows))
        .collect();
    assert_eq!(
        warned,
        vec![
            ("check_subscription_overlap", 2),
            ("check_subscription_seats", 3)
        ]
    );
    // ingested data (seed 0): the row after period_end is counted, not a failure
    assert_eq!(rows("check_within_period")?, 0);
    let after: i64 = conn.query_row(
        "select events_after_as_of from analytics.data_availability",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(after, 3, "events 63, 64 (2024-07-01) and 102 (2024-07-02)");
    // generated data (seed <> 0): the same row fails the check
    conn.execute_batch("update config.params set data_source = 'generated'")?;
    let only = queries::select(&files, "check_within_period")?;
    let summary = queries::run(&conn, &only, &ProgressBar::hidden())?;
    assert_eq!(rows("check_within_period")?, 1);
    assert_eq!(summary.failed_checks.len(), 1);
    Ok(())
}
