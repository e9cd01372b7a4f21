//! Spark parity: `northstar export spark` of a 3,000-user warehouse, run with
//! `run.sh --master local[2]` (spark-sql from pyspark), gives DuckDB's rows
//! in every `analytics.*` table, column types included (floats to 1e-9), and
//! the same check counts; a bundle whose events are not registered or whose
//! query file breaks exits non-zero.
//!
//! Needs Java 17 and pyspark (`.ci/run` installs both; pyspark into the venv
//! of `NORTHSTAR_PYTHON`). Without them the tests print why they skip, unless
//! `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use duckdb::Connection;

use crate::common::{run_ok, temp_dir, TestResult};

const USERS: &str = "3000";

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// `SPARK_HOME` for pyspark: the environment's, or the one of the pyspark
/// installed for `NORTHSTAR_PYTHON`; None (after printing why) when Java or
/// Spark is missing outside CI.
fn spark_home() -> Option<PathBuf> {
    let java = Command::new("java").arg("-version").output();
    let java_ok = java.is_ok_and(|output| output.status.success());
    let mut home = std::env::var("SPARK_HOME").ok().map(PathBuf::from);
    if home.is_none() {
        let python = std::env::var("NORTHSTAR_PYTHON").unwrap_or_else(|_| "python3".into());
        if let Ok(output) = Command::new(python)
            .args([
                "-c",
                "import os, pyspark; print(os.path.dirname(pyspark.__file__))",
            ])
            .output()
        {
            if output.status.success() {
                home = Some(PathBuf::from(
                    String::from_utf8_lossy(&output.stdout).trim(),
                ));
            }
        }
    }
    let home = home.filter(|home| home.join("bin/spark-sql").is_file());
    if java_ok && home.is_some() {
        return home;
    }
    let missing = if java_ok {
        "pyspark (spark-sql) not found: set SPARK_HOME or NORTHSTAR_PYTHON to a Python with pyspark"
    } else {
        "Java not found (java -version): install openjdk-17-jre-headless"
    };
    assert!(!in_ci(), "{missing}; .ci/run installs both");
    eprintln!("skipping: {missing} (CI=true makes this a failure)");
    None
}

/// Runs the bundle's `run.sh` on local[2] with small-data settings.
fn run_bundle(bundle: &Path, spark_home: &Path) -> Output {
    let started = std::time::Instant::now();
    let output = Command::new(bundle.join("run.sh"))
        .args([
            "--master",
            "local[2]",
            "--conf",
            "spark.sql.shuffle.partitions=2",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.sql.adaptive.enabled=false",
        ])
        .env("SPARK_HOME", spark_home)
        .env("TZ", "America/New_York")
        .output()
        .expect("run.sh starts");
    eprintln!(
        "{}/run.sh took {:.1}s",
        bundle.display(),
        started.elapsed().as_secs_f64()
    );
    output
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr (errors): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| line.contains("ERROR")
                || line.contains("Exception")
                || line.contains("northstar"))
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// Columns (name, DuckDB type) of a select.
fn columns(conn: &Connection, select: &str) -> Vec<(String, String)> {
    let mut statement = conn
        .prepare(&format!("describe {select}"))
        .expect("describe");
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("describe runs")
        .collect::<Result<_, _>>()
        .expect("describe rows")
}

type Row = Vec<Option<String>>;

/// Every row of a select, each value as text (floats with full precision),
/// sorted.
fn rows(conn: &Connection, select: &str, columns: &[(String, String)]) -> Vec<Row> {
    let list: Vec<String> = columns
        .iter()
        .map(|(name, _)| format!("cast(\"{name}\" as varchar)"))
        .collect();
    let mut statement = conn
        .prepare(&format!("select {} from ({select})", list.join(", ")))
        .expect("select");
    let mut rows: Vec<Row> = statement
        .query_map([], |row| {
            (0..columns.len())
                .map(|index| row.get::<_, Option<String>>(index))
                .collect()
        })
        .expect("select runs")
        .collect::<Result<_, _>>()
        .expect("rows");
    let is_float: Vec<bool> = columns
        .iter()
        .map(|(_, kind)| kind == "DOUBLE" || kind == "FLOAT")
        .collect();
    // sort on the non-float columns first, then floats rounded, so rows that
    // differ in the last bits of a float still pair up
    let key = |row: &Row| -> Vec<(bool, bool, String)> {
        let mut key: Vec<(bool, bool, String)> = row
            .iter()
            .zip(&is_float)
            .map(|(value, float)| {
                let text = match (value, float) {
                    (Some(value), true) => value
                        .parse::<f64>()
                        .map(|f| format!("{f:.6e}"))
                        .unwrap_or_else(|_| value.clone()),
                    (Some(value), false) => value.clone(),
                    (None, _) => String::new(),
                };
                (*float, value.is_none(), text)
            })
            .collect();
        key.sort_by_key(|(float, _, _)| *float);
        key
    };
    rows.sort_by_cached_key(key);
    rows
}

fn same_value(a: Option<&str>, b: Option<&str>, float: bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) if a == b => true,
        (Some(a), Some(b)) if float => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(a), Ok(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            _ => false,
        },
        _ => false,
    }
}

#[test]
fn every_query_gives_the_same_rows_on_spark() -> TestResult {
    let Some(home) = spark_home() else {
        return Ok(());
    };
    let dir = temp_dir();
    let work = dir.path();
    run_ok(
        work,
        &[
            "--quiet",
            "run",
            "--users",
            USERS,
            "--warehouse",
            "w.duckdb",
        ],
    );
    run_ok(
        work,
        &[
            "--quiet",
            "export",
            "spark",
            "--out",
            "bundle",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let bundle = work.join("bundle");
    let run_sql = std::fs::read_to_string(bundle.join("run.sql"))?;
    for needle in [
        "set spark.sql.session.timeZone = UTC;",
        "msck repair table raw.events;",
        "drop table if exists analytics.funnel_stages;",
        "create table analytics.funnel_stages using parquet",
        "insert into meta.query_runs",
        "insert into meta.check_results",
    ] {
        assert!(run_sql.contains(needle), "run.sql lacks {needle}");
    }
    assert!(!run_sql.contains("create or replace"));
    assert!(!run_sql
        .lines()
        .any(|line| line.trim_start().starts_with("source ")));

    let output = run_bundle(&bundle, &home);
    assert!(output.status.success(), "run.sh failed: {}", text(&output));

    let conn = Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "attach '{}' as wh (read_only)",
        work.join("w.duckdb").display()
    ))?;
    let tables: Vec<String> = conn
        .prepare(
            "select table_name from duckdb_tables() where database_name = 'wh' \
             and schema_name = 'analytics' order by table_name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    assert!(tables.len() >= 30, "{tables:?}");
    let spark_table = |schema: &str, table: &str| {
        let path = bundle.join(format!("spark-warehouse/{schema}.db/{table}"));
        format!("select * from read_parquet('{}/*.parquet')", path.display())
    };
    let mut problems = Vec::new();
    let mut compared = 0usize;
    for table in &tables {
        let duck_select = format!("select * from wh.analytics.{table}");
        let duck_columns = columns(&conn, &duck_select);
        if !bundle
            .join(format!("spark-warehouse/analytics.db/{table}"))
            .is_dir()
        {
            problems.push(format!("analytics.{table}: not written by Spark"));
            continue;
        }
        let spark_select = spark_table("analytics", table);
        let spark_columns = columns(&conn, &spark_select);
        if duck_columns != spark_columns {
            problems.push(format!(
                "analytics.{table}: columns differ: DuckDB {duck_columns:?}, Spark {spark_columns:?}"
            ));
            continue;
        }
        let duck_rows = rows(&conn, &duck_select, &duck_columns);
        let spark_rows = rows(&conn, &spark_select, &spark_columns);
        if duck_rows.len() != spark_rows.len() {
            problems.push(format!(
                "analytics.{table}: {} rows on DuckDB, {} on Spark",
                duck_rows.len(),
                spark_rows.len()
            ));
            continue;
        }
        for (duck, spark) in duck_rows.iter().zip(&spark_rows) {
            let differs = duck
                .iter()
                .zip(spark)
                .zip(&duck_columns)
                .any(|((a, b), (_, kind))| {
                    !same_value(a.as_deref(), b.as_deref(), kind == "DOUBLE")
                });
            if differs {
                problems.push(format!(
                    "analytics.{table}: DuckDB row {duck:?} vs Spark row {spark:?}"
                ));
                break;
            }
        }
        compared += duck_rows.len();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared > 10_000, "only {compared} rows compared");

    // the checks count the same offending rows; every analysis is in meta.query_runs
    let checks = |select: &str| -> Result<Vec<(String, i64)>, duckdb::Error> {
        conn.prepare(select)?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect()
    };
    let duck_checks =
        checks("select check_name, offending_rows from wh.meta.check_results order by check_name")?;
    let spark_checks = checks(&format!(
        "select check_name, offending_rows from ({}) order by check_name",
        spark_table("meta", "check_results")
    ))?;
    assert_eq!(duck_checks, spark_checks, "check results differ");
    assert!(duck_checks.len() >= 10);
    let runs = checks(&format!(
        "select query_name, row_count from ({}) order by query_name",
        spark_table("meta", "query_runs")
    ))?;
    assert_eq!(
        runs.iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>(),
        tables,
        "meta.query_runs has one row per analysis"
    );
    Ok(())
}

/// A small warehouse and its bundle (with `queries` as the query files, if given).
fn small_bundle(work: &Path, queries: Option<&Path>) -> PathBuf {
    run_ok(
        work,
        &[
            "--quiet",
            "generate",
            "--users",
            "300",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let mut args = vec![
        "--quiet",
        "export",
        "spark",
        "--out",
        "bundle",
        "--warehouse",
        "w.duckdb",
    ];
    let queries_arg;
    if let Some(queries) = queries {
        queries_arg = queries.display().to_string();
        args.extend(["--queries", &queries_arg]);
    }
    run_ok(work, &args);
    work.join("bundle")
}

#[test]
fn a_spark_bundle_without_registered_partitions_fails_on_the_events_count() -> TestResult {
    let Some(home) = spark_home() else {
        return Ok(());
    };
    let dir = temp_dir();
    let bundle = small_bundle(dir.path(), None);
    // the trap: without msck repair, the partitioned raw.events reads as 0 rows
    let run_sql = std::fs::read_to_string(bundle.join("run.sql"))?;
    assert_eq!(run_sql.matches("msck repair table raw.events;").count(), 1);
    std::fs::write(
        bundle.join("run.sql"),
        run_sql.replace("msck repair table raw.events;", ""),
    )?;
    let output = run_bundle(&bundle, &home);
    assert!(
        !output.status.success(),
        "run.sh succeeded: {}",
        text(&output)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        all.contains("northstar: raw.events has 0 rows on Spark, the export wrote"),
        "{}",
        text(&output)
    );
    assert!(
        !bundle
            .join("spark-warehouse/analytics.db/stg_users")
            .exists(),
        "no query ran after the failed count"
    );
    Ok(())
}

#[test]
fn a_spark_bundle_stops_at_a_broken_query_file_with_a_non_zero_exit() -> TestResult {
    let Some(home) = spark_home() else {
        return Ok(());
    };
    let dir = temp_dir();
    let queries = dir.path().join("queries");
    std::fs::create_dir_all(&queries)?;
    // a file DuckDB accepts but Spark rejects (no such function), first in order
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let copy = Command::new("cp")
        .arg("-R")
        .arg(format!("{}/.", source.display()))
        .arg(&queries)
        .status()?;
    assert!(copy.success());
    let stg_users = queries.join("staging/stg_users.sql");
    let text_before = std::fs::read_to_string(&stg_users)?;
    let broken = text_before.replacen(
        "select",
        "select northstar_no_such_function(1) as broken,",
        1,
    );
    // keep the header the runner requires: replace the first select of the body
    assert_ne!(broken, text_before);
    std::fs::write(&stg_users, broken)?;
    let bundle = small_bundle(dir.path(), Some(&queries));
    let output = run_bundle(&bundle, &home);
    assert!(
        !output.status.success(),
        "run.sh succeeded: {}",
        text(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("northstar_no_such_function"),
        "{}",
        text(&output)
    );
    assert!(
        !bundle
            .join("spark-warehouse/analytics.db/user_days")
            .exists(),
        "nothing after the broken file ran"
    );
    Ok(())
}

#[test]
fn export_spark_refuses_an_unportable_query_file_naming_file_and_line() -> TestResult {
    let dir = temp_dir();
    let queries = dir.path().join("queries");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let copy = Command::new("cp")
        .arg("-R")
        .arg(format!("{}/.", source.display()))
        .arg(&queries)
        .status()?;
    assert!(copy.success());
    let file = queries.join("staging/stg_users.sql");
    let text = std::fs::read_to_string(&file)?;
    let line = text
        .lines()
        .position(|l| l.contains("from config.params"))
        .expect("a params line")
        + 1;
    std::fs::write(
        &file,
        text.replacen(
            "from config.params",
            "from config.params, generate_series(1, 2)",
            1,
        ),
    )?;
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "generate",
            "--users",
            "100",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let queries_arg = queries.display().to_string();
    let output = crate::common::run_in(
        dir.path(),
        &[
            "export",
            "spark",
            "--out",
            "bundle",
            "--warehouse",
            "w.duckdb",
            "--queries",
            &queries_arg,
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = crate::common::stderr(&output);
    assert!(
        stderr.contains(&format!(
            "staging/stg_users.sql:{line}: not portable to Spark: generate_series"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!dir.path().join("bundle").exists(), "nothing written");
    Ok(())
}
