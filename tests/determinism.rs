//! The same seed and config give identical tables whatever the thread count;
//! a different seed gives different data.

use crate::common::{open, run_ok, table_checksums, temp_dir, TestResult};

fn generate(
    dir: &std::path::Path,
    name: &str,
    seed: &str,
    threads: &str,
) -> Vec<(String, i64, String)> {
    run_ok(
        dir,
        &[
            "--quiet",
            "generate",
            "--users",
            "9000",
            "--seed",
            seed,
            "--threads",
            threads,
            "--warehouse",
            name,
        ],
    );
    table_checksums(&open(&dir.join(name)), &["raw", "config"])
}

#[test]
fn same_seed_same_tables_across_thread_counts() -> TestResult {
    let dir = temp_dir();
    let one = generate(dir.path(), "one.duckdb", "7", "1");
    let four = generate(dir.path(), "four.duckdb", "7", "4");
    assert_eq!(one, four);
    assert!(one
        .iter()
        .any(|(table, rows, _)| table == "raw.events" && *rows > 50_000));
    let other = generate(dir.path(), "other.duckdb", "8", "2");
    let events = |sums: &[(String, i64, String)]| {
        sums.iter()
            .find(|(table, _, _)| table == "raw.events")
            .cloned()
    };
    assert_ne!(
        events(&one),
        events(&other),
        "a different seed must change the events"
    );
    Ok(())
}
