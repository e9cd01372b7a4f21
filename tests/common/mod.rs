//! Helpers shared by the integration tests: temp dirs, running the binary,
//! a default warehouse built once per test process, table checksums.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use duckdb::Connection;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The compiled `northstar` binary.
pub fn northstar() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_northstar"));
    command.env_remove("RUST_LOG");
    command
}

/// Runs `northstar` with `args` in `dir`; returns the output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    northstar()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the northstar binary runs")
}

/// Runs `northstar` with `args` in `dir` and asserts it succeeded.
pub fn run_ok(dir: &Path, args: &[&str]) -> Output {
    let output = run_in(dir, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A temp dir that lives as long as the returned guard.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("northstar-test-")
        .tempdir()
        .expect("a temp dir can be created")
}

/// The default 50,000-user warehouse after `northstar run`, built once per
/// test process (the calibration and compatibility tests share it). The run
/// happens in the warehouse's temp dir, so its `reports/` land there too.
pub fn default_warehouse() -> &'static Path {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BUILT.get_or_init(|| {
        let dir = temp_dir();
        let path = dir.path().join("northstar.duckdb");
        let output = northstar()
            .args(["--quiet", "run", "--warehouse"])
            .arg(&path)
            .current_dir(dir.path())
            .output()
            .expect("the northstar binary runs");
        assert!(
            output.status.success(),
            "northstar run failed: {}",
            stderr(&output)
        );
        (dir, path)
    });
    path
}

/// Opens a warehouse file read-only.
pub fn open(path: &Path) -> Connection {
    let conn = Connection::open_in_memory().expect("in-memory duckdb");
    conn.execute_batch(&format!(
        "attach '{}' as wh (read_only); use wh;",
        path.display()
    ))
    .expect("warehouse opens");
    conn
}

/// Order-independent checksums of every raw and config table: (table, rows, hash).
pub fn table_checksums(conn: &Connection, schemas: &[&str]) -> Vec<(String, i64, String)> {
    checksums(conn, schemas, false)
}

/// As [`table_checksums`], with every DOUBLE rounded to 6 decimals (10
/// significant digits from 1,000 on) first: a
/// sum of doubles taken in another row order (the same rows loaded from a
/// file instead of generated) may differ in its last bit, about 1e-16
/// relative, which is not a different result.
pub fn table_checksums_rounded(conn: &Connection, schemas: &[&str]) -> Vec<(String, i64, String)> {
    checksums(conn, schemas, true)
}

/// The row expression hashed for `table`: a struct of its columns with
/// DOUBLE columns rounded to 6 decimals (10 significant digits from 1,000 on).
fn rounded_row(conn: &Connection, table: &str) -> String {
    let (schema, name) = table.split_once('.').unwrap_or(("main", table));
    let mut statement = conn
        .prepare(
            "select column_name, data_type from duckdb_columns() \
             where database_name = current_database() and schema_name = ? and table_name = ? \
             order by column_index",
        )
        .expect("column list");
    let columns: Vec<(String, String)> = statement
        .query_map([schema, name], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("columns")
        .collect::<Result<_, _>>()
        .expect("column names");
    let fields: Vec<String> = columns
        .iter()
        .map(|(column, data_type)| {
            if data_type == "DOUBLE" || data_type == "FLOAT" {
                // 6 decimals, and at most 10 significant digits for values of
                // 1,000 and more (a last-bit difference of a $50M sum is 1e-8)
                format!(
                    "\"{column}\" := case when isfinite(t.\"{column}\") and abs(t.\"{column}\") >= 1000 \
                     then round(t.\"{column}\", 9 - cast(floor(log10(abs(t.\"{column}\"))) as integer)) \
                     else round(t.\"{column}\", 6) end"
                )
            } else {
                format!("\"{column}\" := t.\"{column}\"")
            }
        })
        .collect();
    format!("struct_pack({})", fields.join(", "))
}

fn checksums(
    conn: &Connection,
    schemas: &[&str],
    round_doubles: bool,
) -> Vec<(String, i64, String)> {
    let list = schemas
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut statement = conn
        .prepare(&format!(
            "select schema_name || '.' || table_name from duckdb_tables() \
             where database_name = current_database() and schema_name in ({list}) order by 1"
        ))
        .expect("table list");
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("table names");
    // an empty list would make every comparison of checksums pass
    assert!(!tables.is_empty(), "no tables in {schemas:?}");
    tables
        .into_iter()
        .map(|table| {
            let row = if round_doubles {
                rounded_row(conn, &table)
            } else {
                "t".to_string()
            };
            let (rows, hash): (i64, String) = conn
                .query_row(
                    &format!(
                        "select count(*), coalesce(cast(sum(hash({row})) as varchar), '0') from {table} as t"
                    ),
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .expect("checksum");
            (table, rows, hash)
        })
        .collect()
}

/// SHA-256 of a file's bytes (to prove a warehouse is untouched).
pub fn file_digest(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).expect("file is readable");
    hex::encode(Sha256::digest(bytes))
}

/// A temp dir holding a freshly generated warehouse `w.duckdb` of `users`
/// users, and the SHA-256 of its bytes (to prove later that it is untouched).
pub fn existing_warehouse(users: u32) -> (tempfile::TempDir, String) {
    let dir = temp_dir();
    let users = users.to_string();
    let output = run_in(
        dir.path(),
        &[
            "--quiet",
            "generate",
            "--users",
            &users,
            "--warehouse",
            "w.duckdb",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let digest = file_digest(&dir.path().join("w.duckdb"));
    (dir, digest)
}
