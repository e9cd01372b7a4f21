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
    let conn = Connection::open_in_memory()?;
    northstar::warehouse::create_schema(&conn)?;
    conn.execute_batch(&std::fs::read_to_string(fixture_dir().join("data.sql"))?)?;
    let files = queries::order(&queries::load(None)?)?;
    let summary = queries::run(&conn, &files, &ProgressBar::hidden())?;
    Ok((conn, files, summary))
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

#[test]
fn every_query_matches_the_hand_computed_fixture() -> Result<(), Box<dyn std::error::Error>> {
    let (conn, files, _) = load_fixture()?;
    // The query stage takes file access away from `conn`'s database: the
    // expected CSVs are read on a database of their own.
    let csv = Connection::open_in_memory()?;
    let expected_dir = fixture_dir().join("expected");
    let mut failures = Vec::new();
    for file in files.iter().filter(|f| f.kind == QueryKind::Analysis) {
        let path = expected_dir.join(format!("{}.csv", file.name));
        if !path.exists() {
            failures.push(format!(
                "{}: no expected file {}",
                file.name,
                path.display()
            ));
            continue;
        }
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
            file.name
        );
        let mut statement = conn
            .prepare(&sql)
            .map_err(|err| format!("{}: {err}", file.name))?;
        let actual_rows: Vec<Vec<Option<String>>> = statement
            .query_map([], |row| {
                (0..columns.len())
                    .map(|i| row.get::<_, Option<String>>(i))
                    .collect()
            })?
            .collect::<Result<_, _>>()?;
        if actual_rows.len() != expected_rows.len() {
            failures.push(format!(
                "{}: {} rows, expected {}",
                file.name,
                actual_rows.len(),
                expected_rows.len()
            ));
            continue;
        }
        for (index, (expected, actual)) in expected_rows.iter().zip(&actual_rows).enumerate() {
            for (column, (e, a)) in columns.iter().zip(expected.iter().zip(actual)) {
                if !values_match(e.as_deref(), a.as_deref()) {
                    failures.push(format!(
                        "{} row {} column {column}: expected {e:?}, got {a:?}",
                        file.name,
                        index + 1
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn fixture_checks_pass() -> Result<(), Box<dyn std::error::Error>> {
    let (_, files, summary) = load_fixture()?;
    let expected = std::fs::read_to_string(fixture_dir().join("expected/checks.txt"))?;
    let must_pass: Vec<&str> = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let checks: Vec<&str> = files
        .iter()
        .filter(|f| f.kind == QueryKind::Check)
        .map(|f| f.name.as_str())
        .collect();
    assert!(!checks.is_empty(), "there are checks");
    // every check is listed, so a new one cannot skip the fixture
    let mut listed = must_pass.clone();
    listed.sort_unstable();
    let mut all = checks.clone();
    all.sort_unstable();
    assert_eq!(listed, all, "expected/checks.txt must list every check");
    for name in must_pass {
        assert!(
            checks.contains(&name),
            "checks.txt names unknown check {name}"
        );
        assert!(
            !summary
                .failed_checks
                .iter()
                .any(|(failed, _, _)| failed == name),
            "check {name} failed on the fixture: {:?}",
            summary.failed_checks
        );
    }
    Ok(())
}
