//! `queries/queries.lock` pins name, version and checksum of every query: a
//! body that changed without a version bump fails here (like a migration).

use northstar::queries;

#[test]
fn every_query_matches_the_lock() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let files = queries::load(Some(&dir))?;
    let lock = std::fs::read_to_string(dir.join(queries::LOCK_FILE))?;
    let (errors, stale) = queries::lock_problems(&files, &lock);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(
        stale.is_empty(),
        "queries.lock is out of date (run `cargo run --release -- lock`):\n{}",
        stale.join("\n")
    );
    Ok(())
}

#[test]
fn every_query_is_portable_sql() -> Result<(), Box<dyn std::error::Error>> {
    // DuckDB-only syntax that PostgreSQL 15 rejects or answers differently
    // (docs/POSTGRES.md, dialect notes). The PostgreSQL run itself proves the rest.
    let forbidden = [
        "qualify",
        "strftime",
        "date_diff",
        "datediff",
        "epoch_ms",
        "group by all",
        "order by all",
        "::",
        "list_",
        "struct_",
        "current_date",
        "now()",
        "current_timestamp",
        "ilike",
        "round(",
        "date_part('dow'",
        "to_char",
        "width_bucket",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut problems = Vec::new();
    for file in queries::load(Some(&dir))? {
        let code: String = file
            .text
            .lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();
        for token in forbidden {
            if code.contains(token) {
                problems.push(format!("{}: uses '{token}'", file.path));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

#[test]
fn every_query_runs_on_spark_through_the_dialect_alone() -> Result<(), Box<dyn std::error::Error>> {
    // The six constructs that break on Spark (docs/SPARK.md): generate_series,
    // string_agg, date - date, and the type names and epoch forms the Spark
    // dialect (src/engine/spark_dialect.rs) does not map. The Spark parity test proves the rest.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut problems = Vec::new();
    for file in queries::load(Some(&dir))? {
        for problem in northstar::engine::spark_dialect::portability_problems(&file.text) {
            problems.push(format!(
                "{}:{}: {}",
                file.path, problem.line, problem.message
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}
