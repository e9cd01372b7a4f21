//! The same queries on a real PostgreSQL 15: a throwaway cluster (initdb in a
//! temp dir, its own Unix socket, run as the `postgres` user when we are
//! root, stopped by a guard even when the test fails) is loaded through the
//! bundle of `northstar export postgres` (`run.sh`, i.e. psql), and every row
//! and column of every `analytics.*` table is compared with DuckDB's: exact
//! for integers, text, dates, timestamps and booleans; floats (and
//! PostgreSQL numerics, read as doubles) within 1e-9 relative. Then the
//! PostgreSQL engine of the runner (`northstar query --engine postgres`) is
//! checked the same way, and its bad-input messages.
//!
//! PostgreSQL binaries: `NORTHSTAR_PG_BIN`, else `/usr/lib/postgresql/15/bin`,
//! else `pg_config --bindir`. Absent outside CI the tests skip with a printed
//! reason; in CI (`CI=true`) absence is a failure (`.ci/run` installs them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ::postgres::{Client, NoTls, SimpleQueryMessage};
use duckdb::Connection;

use crate::common::{northstar, open, stderr, temp_dir, TestResult};

/// Tables whose PostgreSQL result is known to differ from DuckDB's (reported
/// in docs/POSTGRES.md, awaiting a fix in queries/). Empty: every
/// table must match.
const KNOWN_DIFFERENCES: &[&str] = &[];

/// Users in the generated warehouse: a few thousand, enough for every query
/// to produce rows.
const USERS: &str = "3000";

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The PostgreSQL 15 binary directory, or None (after printing why) when it
/// is absent outside CI.
fn pg_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = std::env::var("NORTHSTAR_PG_BIN") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(PathBuf::from("/usr/lib/postgresql/15/bin"));
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        candidates.push(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        ));
    }
    for dir in candidates {
        let complete = ["initdb", "pg_ctl", "postgres", "psql"]
            .iter()
            .all(|tool| dir.join(tool).is_file());
        if !complete {
            continue;
        }
        let version = Command::new(dir.join("postgres")).arg("--version").output();
        if let Ok(version) = version {
            if String::from_utf8_lossy(&version.stdout).contains("(PostgreSQL) 15.") {
                return Some(dir);
            }
        }
    }
    assert!(
        !in_ci(),
        "PostgreSQL 15 binaries not found (NORTHSTAR_PG_BIN, /usr/lib/postgresql/15/bin, pg_config); \
         .ci/run installs postgresql-15"
    );
    eprintln!(
        "skipping: PostgreSQL 15 binaries not found (set NORTHSTAR_PG_BIN or install postgresql-15; \
         CI=true makes this a failure)"
    );
    None
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// uid and gid of the `postgres` account, from /etc/passwd.
fn postgres_account() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields[..] {
            ["postgres", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
            _ => None,
        }
    })
}

/// A throwaway PostgreSQL cluster, stopped (and its directory removed) when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    as_postgres: bool,
    started: bool,
    // Dropped after `Drop::drop` stopped the server.
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start(bin: &Path) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("northstar-pg-")
            .tempdir()
            .expect("a temp dir for the cluster");
        let socket_dir = dir.path().join("socket");
        std::fs::create_dir(&socket_dir).expect("socket dir");
        // initdb refuses to run as root: run the server as `postgres`.
        let as_postgres = is_root();
        if as_postgres {
            let (uid, gid) = postgres_account()
                .expect("a `postgres` user exists (the postgresql package creates it)");
            for path in [dir.path(), socket_dir.as_path()] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .expect("chown the cluster dir to postgres");
            }
        }
        let mut cluster = Self {
            bin: bin.to_path_buf(),
            data: dir.path().join("data"),
            socket_dir,
            port: 5432,
            as_postgres,
            started: false,
            dir,
        };
        let initdb = cluster.server_command(
            "initdb",
            &[
                "-D",
                &cluster.data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert_success(&initdb, "initdb");
        let options = format!(
            "-p {} -k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            cluster.port,
            cluster.socket_dir.display()
        );
        let log = cluster.dir.path().join("server.log");
        // From here on the guard stops the server, even if start reports a failure.
        cluster.started = true;
        let start = cluster.server_command(
            "pg_ctl",
            &[
                "-D",
                &cluster.data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        if !start.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("pg_ctl start failed: {}\n{log}", stderr(&start));
        }
        cluster
    }

    /// Runs a server binary, as `postgres` when we are root.
    fn server_command(&self, tool: &str, args: &[&str]) -> Output {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|err| panic!("{tool} runs: {err}"))
    }

    /// The PG* variables that point psql (and northstar) at `database`.
    fn env(&self, database: &str) -> Vec<(&'static str, String)> {
        vec![
            ("PGHOST", self.socket_dir.to_string_lossy().into_owned()),
            ("PGPORT", self.port.to_string()),
            ("PGUSER", "postgres".into()),
            ("PGDATABASE", database.into()),
        ]
    }

    /// A key=value connection string for `database` as `user`.
    fn conninfo(&self, database: &str, user: &str) -> String {
        format!(
            "host={} port={} user={user} dbname={database}",
            self.socket_dir.display(),
            self.port
        )
    }

    fn client(&self, database: &str) -> Client {
        Client::connect(&self.conninfo(database, "postgres"), NoTls)
            .expect("connect to the test cluster")
    }

    /// psql with ON_ERROR_STOP on `database`, in `dir`.
    fn psql(&self, database: &str, dir: &Path, args: &[&str]) -> Output {
        Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(args)
            .envs(self.env(database))
            .current_dir(dir)
            .output()
            .expect("psql runs")
    }

    fn create_database(&self, name: &str) {
        self.client("postgres")
            .batch_execute(&format!("create database {name}"))
            .expect("create database");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.started {
            let data = self.data.to_string_lossy().into_owned();
            let _ = self.server_command("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        }
    }
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

/// How a column's values are compared, from DuckDB's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Integer,
    Boolean,
    Timestamp,
    Exact,
}

fn kind_of(duckdb_type: &str) -> Kind {
    let upper = duckdb_type.to_ascii_uppercase();
    if upper == "DOUBLE" || upper == "FLOAT" || upper.starts_with("DECIMAL") {
        Kind::Float
    } else if upper.contains("INT") {
        Kind::Integer
    } else if upper == "BOOLEAN" {
        Kind::Boolean
    } else if upper.starts_with("TIMESTAMP") {
        Kind::Timestamp
    } else {
        Kind::Exact
    }
}

/// A value in a form both engines agree on when they mean the same thing
/// (floats are kept as text here and compared numerically).
fn normalise(kind: Kind, value: Option<&str>) -> Option<String> {
    let value = value?;
    Some(match kind {
        Kind::Boolean => match value {
            "t" | "true" => "true".into(),
            "f" | "false" => "false".into(),
            other => other.into(),
        },
        Kind::Integer => value
            .parse::<i128>()
            .map_or_else(|_| value.to_string(), |v| v.to_string()),
        Kind::Timestamp => chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f")
            .map_or_else(
                |_| value.to_string(),
                |ts| ts.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            ),
        Kind::Float | Kind::Exact => value.to_string(),
    })
}

fn float(value: &str) -> Option<f64> {
    value.trim().parse().ok()
}

fn floats_match(a: &str, b: &str) -> bool {
    match (float(a), float(b)) {
        (Some(a), Some(b)) => {
            a == b
                || (a.is_nan() && b.is_nan())
                || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
                // Values that are zero in exact arithmetic may come out as
                // tiny residues of summation order on one engine.
                || (a - b).abs() <= 1e-12
        }
        _ => false,
    }
}

type Rows = Vec<Vec<Option<String>>>;

/// Sorts rows by their exact columns first, then by their float columns
/// numerically, so both engines' rows line up whatever their order.
fn sort_rows(rows: &mut Rows, kinds: &[Kind]) {
    rows.sort_by(|a, b| {
        let exact = |row: &Vec<Option<String>>| -> Vec<Option<String>> {
            row.iter()
                .zip(kinds)
                .filter(|(_, kind)| **kind != Kind::Float)
                .map(|(value, _)| value.clone())
                .collect()
        };
        let floats = |row: &Vec<Option<String>>| -> Vec<Option<f64>> {
            row.iter()
                .zip(kinds)
                .filter(|(_, kind)| **kind == Kind::Float)
                .map(|(value, _)| value.as_deref().and_then(float))
                .collect()
        };
        exact(a).cmp(&exact(b)).then_with(|| {
            floats(a)
                .partial_cmp(&floats(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
}

/// (name, DuckDB type) of the columns of a DuckDB table.
fn duckdb_columns(conn: &Connection, schema: &str, table: &str) -> Vec<(String, String)> {
    let mut statement = conn
        .prepare(
            "select column_name, data_type from duckdb_columns() \
             where database_name = current_database() and schema_name = ? and table_name = ? order by column_index",
        )
        .expect("column list");
    statement
        .query_map([schema, table], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("columns")
        .collect::<Result<_, _>>()
        .expect("column names")
}

fn duckdb_tables(conn: &Connection, schema: &str) -> Vec<String> {
    let mut statement = conn
        .prepare(
            "select table_name from duckdb_tables() \
             where database_name = current_database() and schema_name = ? order by 1",
        )
        .expect("table list");
    statement
        .query_map([schema], |row| row.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("table names")
}

fn duckdb_rows(conn: &Connection, table: &str, columns: &[(String, String)]) -> Rows {
    let select: Vec<String> = columns
        .iter()
        .map(|(name, _)| format!("cast({name} as varchar)"))
        .collect();
    let mut statement = conn
        .prepare(&format!(
            "select {} from analytics.{table}",
            select.join(", ")
        ))
        .expect("duckdb select");
    let mut rows = statement.query([]).expect("duckdb rows");
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("duckdb row") {
        out.push(
            (0..columns.len())
                .map(|index| row.get::<_, Option<String>>(index).expect("duckdb value"))
                .collect(),
        );
    }
    out
}

/// Column names, PostgreSQL type names and rows (as PostgreSQL's text output).
fn postgres_table(client: &mut Client, table: &str) -> (Vec<(String, String)>, Rows) {
    let columns: Vec<(String, String)> = client
        .query(
            "select attname::text, format_type(atttypid, atttypmod) from pg_attribute \
             where attrelid = cast($1 as text)::regclass and attnum > 0 and not attisdropped order by attnum",
            &[&format!("analytics.{table}")],
        )
        .expect("postgres columns")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let rows = client
        .simple_query(&format!("select * from analytics.{table}"))
        .expect("postgres rows")
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    (columns, rows)
}

/// Whether DuckDB's and PostgreSQL's column types are the same type.
fn same_type(duckdb_type: &str, postgres_type: &str) -> bool {
    let postgres_type = match postgres_type {
        "character varying" => "text",
        "timestamp without time zone" => "timestamp",
        other => other,
    };
    northstar::export::pg_type(duckdb_type).as_deref() == Some(postgres_type)
}

/// Result of comparing one PostgreSQL database with the DuckDB warehouse.
#[derive(Debug, Default)]
struct Parity {
    tables: usize,
    rows: usize,
    /// table -> differences (at most a few per table).
    differences: BTreeMap<String, Vec<String>>,
    /// Columns whose types differ while their values agree (not failures).
    type_notes: Vec<String>,
}

fn compare(duck: &Connection, client: &mut Client) -> Parity {
    let mut parity = Parity::default();
    let duck_tables = duckdb_tables(duck, "analytics");
    let pg_tables: Vec<String> = client
        .query(
            "select table_name::text from information_schema.tables where table_schema = 'analytics' order by 1",
            &[],
        )
        .expect("postgres tables")
        .iter()
        .map(|row| row.get(0))
        .collect();
    for table in &pg_tables {
        if !duck_tables.contains(table) {
            parity
                .differences
                .entry(table.clone())
                .or_default()
                .push("only on PostgreSQL".into());
        }
    }
    for table in &duck_tables {
        let mut problems = Vec::new();
        if !pg_tables.contains(table) {
            problems.push("missing on PostgreSQL".to_string());
            parity.differences.insert(table.clone(), problems);
            continue;
        }
        let columns = duckdb_columns(duck, "analytics", table);
        let kinds: Vec<Kind> = columns.iter().map(|(_, t)| kind_of(t)).collect();
        let (pg_columns, mut pg_rows) = postgres_table(client, table);
        let duck_names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let pg_names: Vec<&str> = pg_columns.iter().map(|(n, _)| n.as_str()).collect();
        if duck_names != pg_names {
            problems.push(format!(
                "columns differ: duckdb {duck_names:?}, postgres {pg_names:?}"
            ));
            parity.differences.insert(table.clone(), problems);
            continue;
        }
        for ((name, duck_type), (_, pg_type)) in columns.iter().zip(&pg_columns) {
            if !same_type(duck_type, pg_type) {
                parity.type_notes.push(format!(
                    "analytics.{table}.{name}: duckdb {duck_type}, postgres {pg_type}"
                ));
            }
        }
        let mut duck_rows = duckdb_rows(duck, table, &columns);
        for rows in [&mut duck_rows, &mut pg_rows] {
            for row in rows.iter_mut() {
                for (value, kind) in row.iter_mut().zip(&kinds) {
                    *value = normalise(*kind, value.as_deref());
                }
            }
            sort_rows(rows, &kinds);
        }
        parity.tables += 1;
        parity.rows += duck_rows.len();
        if duck_rows.len() != pg_rows.len() {
            problems.push(format!(
                "{} rows on DuckDB, {} on PostgreSQL",
                duck_rows.len(),
                pg_rows.len()
            ));
        } else {
            for (index, (duck_row, pg_row)) in duck_rows.iter().zip(&pg_rows).enumerate() {
                for (column, ((duck_value, pg_value), kind)) in
                    duck_row.iter().zip(pg_row).zip(&kinds).enumerate()
                {
                    let same = match (duck_value, pg_value) {
                        (None, None) => true,
                        (Some(a), Some(b)) if *kind == Kind::Float => floats_match(a, b),
                        (Some(a), Some(b)) => a == b,
                        _ => false,
                    };
                    if !same && problems.len() < 5 {
                        problems.push(format!(
                            "row {index} column {}: duckdb {duck_value:?}, postgres {pg_value:?}",
                            columns[column].0
                        ));
                    }
                }
            }
        }
        if !problems.is_empty() {
            parity.differences.insert(table.clone(), problems);
        }
    }
    parity
}

/// (check name, offending rows) recorded in meta.check_results.
fn duckdb_checks(conn: &Connection) -> Vec<(String, i64)> {
    let mut statement = conn
        .prepare("select check_name, offending_rows from meta.check_results order by 1")
        .expect("check results");
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("checks")
        .collect::<Result<_, _>>()
        .expect("check rows")
}

fn postgres_checks(client: &mut Client) -> Vec<(String, i64)> {
    client
        .query(
            "select check_name::text, offending_rows from meta.check_results order by 1",
            &[],
        )
        .expect("postgres check results")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// Fails with every difference except those of KNOWN_DIFFERENCES (printed).
fn assert_parity(parity: &Parity, what: &str) {
    for note in &parity.type_notes {
        eprintln!("{what}: type differs (values compared numerically): {note}");
    }
    let mut unexpected = Vec::new();
    for (table, problems) in &parity.differences {
        let line = format!("analytics.{table}: {}", problems.join("; "));
        if KNOWN_DIFFERENCES.contains(&table.as_str()) {
            eprintln!("{what}: known difference (docs/POSTGRES.md): {line}");
        } else {
            unexpected.push(line);
        }
    }
    assert!(
        unexpected.is_empty(),
        "{what}: {} table(s) differ between DuckDB and PostgreSQL:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        parity.tables >= 20,
        "{what}: only {} tables compared",
        parity.tables
    );
    eprintln!(
        "{what}: {} analytics tables, {} rows: identical on DuckDB and PostgreSQL",
        parity.tables, parity.rows
    );
}

fn run_ok(dir: &Path, args: &[&str]) -> Output {
    let output = northstar()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("northstar runs");
    assert_success(&output, &format!("northstar {args:?}"));
    output
}

#[test]
fn every_query_gives_the_same_rows_on_postgresql() -> TestResult {
    let Some(bin) = pg_bin() else {
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
            "postgres",
            "--out",
            "bundle",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let bundle = work.join("bundle");

    // The bundle: generated DDL with comments, CSV data, the query files unmodified.
    let schema = std::fs::read_to_string(bundle.join("schema.sql"))?;
    for needle in [
        "create table raw.events (",
        "comment on table raw.users is 'One row per signed-up user",
        "comment on column raw.users.signup_at is",
        "create table config.params (",
        "create table meta.query_runs (",
        "double precision",
    ] {
        assert!(schema.contains(needle), "schema.sql lacks {needle}");
    }
    assert!(
        !schema.contains("varchar"),
        "schema.sql keeps a DuckDB type name"
    );
    assert!(bundle.join("data/raw.events.csv").is_file());
    let load = std::fs::read_to_string(bundle.join("load.sql"))?;
    assert!(load.contains("\\copy raw.events ("), "{load}");
    let files = northstar::queries::order(&northstar::queries::load(None)?)?;
    let mut bundled: Vec<PathBuf> = std::fs::read_dir(bundle.join("queries"))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    bundled.sort();
    assert_eq!(bundled.len(), files.len(), "one bundle file per query file");
    for (path, file) in bundled.iter().zip(&files) {
        let text = std::fs::read_to_string(path)?;
        assert!(
            path.to_string_lossy()
                .ends_with(&format!("_{}.sql", file.name)),
            "{} out of dependency order (expected {})",
            path.display(),
            file.name
        );
        assert!(
            text.contains(&file.text),
            "{} does not carry {} unmodified",
            path.display(),
            file.path
        );
        if file.kind == northstar::queries::QueryKind::Analysis {
            assert!(text.contains(&format!("create table analytics.{} as ", file.name)));
        }
    }

    let cluster = Cluster::start(&bin);
    let duck = open(&work.join("w.duckdb"));

    // 1. The bundle, as a data engineer runs it: run.sh (psql -v ON_ERROR_STOP=1).
    cluster.create_database("bundle");
    let started = std::time::Instant::now();
    let run = Command::new(bundle.join("run.sh"))
        .envs(cluster.env("bundle"))
        .current_dir(work)
        .output()?;
    assert_success(&run, "bundle/run.sh");
    eprintln!(
        "bundle/run.sh ({USERS} users) took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let mut client = cluster.client("bundle");
    let comment: Option<String> = client
        .query_one(
            "select obj_description(cast('analytics.funnel_stages' as regclass), 'pg_class')",
            &[],
        )?
        .get(0);
    assert!(
        comment.is_some_and(|c| c.contains("funnel")),
        "analytics tables carry their comment"
    );
    assert_parity(&compare(&duck, &mut client), "bundle");
    assert_eq!(
        duckdb_checks(&duck),
        postgres_checks(&mut client),
        "check results differ"
    );

    // 2. The runner's PostgreSQL engine, on a database holding only raw and config.
    cluster.create_database("engine");
    for script in ["schema.sql", "load.sql"] {
        assert_success(
            &cluster.psql("engine", &bundle, &["-1", "-f", script]),
            script,
        );
    }
    let output = northstar()
        .args(["--quiet", "query", "--engine", "postgres", "--database-url"])
        .arg(cluster.conninfo("engine", "postgres"))
        .current_dir(work)
        .output()?;
    assert_success(&output, "northstar query --engine postgres");
    let mut client = cluster.client("engine");
    assert_parity(&compare(&duck, &mut client), "engine");
    assert_eq!(
        duckdb_checks(&duck),
        postgres_checks(&mut client),
        "check results differ"
    );
    let recorded: i64 = client
        .query_one("select count(*) from meta.query_runs", &[])?
        .get(0);
    let analyses = files
        .iter()
        .filter(|f| f.kind == northstar::queries::QueryKind::Analysis)
        .count();
    assert_eq!(
        recorded, analyses as i64,
        "meta.query_runs has one row per analysis"
    );
    Ok(())
}

/// Runs `northstar query --engine postgres` expecting a failure: one error
/// line containing every needle, none of the forbidden strings, exit `code`.
fn assert_engine_rejects(dir: &Path, url: &str, code: i32, needles: &[&str], forbidden: &[&str]) {
    let output = northstar()
        .args(["query", "--engine", "postgres", "--database-url", url])
        .env_remove("PGPASSWORD")
        .current_dir(dir)
        .output()
        .expect("northstar runs");
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{url}: {message}");
    let error_lines: Vec<&str> = message
        .lines()
        .filter(|line| line.starts_with("error"))
        .collect();
    assert_eq!(error_lines.len(), 1, "one error line: {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{url}: expected '{needle}' in: {message}"
        );
    }
    for secret in forbidden {
        assert!(
            !message.contains(secret),
            "{url}: message shows '{secret}': {message}"
        );
    }
}

#[test]
fn postgres_engine_rejects_bad_urls_without_printing_passwords() {
    let dir = temp_dir();
    let dir = dir.path();
    // Nothing of a URL that does not parse is shown: any of it may be the password.
    for url in [
        "mysql://ana:pw-1234@db.example.com/wh",
        "postgres://ana:pw-1234@localhost:notaport/wh",
        // no scheme
        "ana:pw-1234@db.example.com:5432/wh",
        // an unencoded '@' in the password would make "1234@db..." the host
        "postgres://ana:pw@1234@db.example.com:5432/wh",
    ] {
        assert_engine_rejects(
            dir,
            url,
            2,
            &["invalid --database-url"],
            &["pw-1234", "1234", "ana", "db.example.com"],
        );
    }
    // Nothing listens on port 1: refused, naming user, server and database only.
    assert_engine_rejects(
        dir,
        "postgres://ana:pw-1234@127.0.0.1:1/wh",
        1,
        &["unable to connect to PostgreSQL 'ana@127.0.0.1:1/wh'"],
        &["pw-1234"],
    );
    let output = northstar()
        .args(["query", "--database-url", "postgres://ana@localhost/wh"])
        .current_dir(dir)
        .output()
        .expect("northstar runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--database-url needs --engine postgres"));
}

/// Tables in the analytics and meta schemas, with their row counts: what a
/// failed run must leave as it was.
fn written_state(client: &mut Client) -> Vec<(String, i64)> {
    let tables: Vec<String> = client
        .query(
            "select table_schema || '.' || table_name from information_schema.tables \
             where table_schema in ('analytics', 'meta') order by 1",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|row| row.get(0))
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let rows: i64 = client
                .query_one(&format!("select count(*) from {table}"), &[])
                .expect("count")
                .get(0);
            (table, rows)
        })
        .collect()
}

#[test]
fn postgres_engine_names_the_missing_table_or_privilege_and_changes_nothing() -> TestResult {
    let Some(bin) = pg_bin() else {
        return Ok(());
    };
    let dir = temp_dir();
    let work = dir.path();
    run_ok(
        work,
        &[
            "--quiet",
            "generate",
            "--users",
            "200",
            "--warehouse",
            "w.duckdb",
        ],
    );
    run_ok(
        work,
        &[
            "--quiet",
            "export",
            "postgres",
            "--out",
            "bundle",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let bundle = work.join("bundle");
    let cluster = Cluster::start(&bin);
    let server = |user: &str| format!("'{user}@{}:{}/", cluster.socket_dir.display(), cluster.port);

    // An empty database: the first raw table is named.
    cluster.create_database("empty");
    assert_engine_rejects(
        work,
        &format!("{} password=pw-1234", cluster.conninfo("empty", "postgres")),
        1,
        &[
            &format!("{}empty'", server("postgres")),
            "table raw.event_ids does not exist",
        ],
        &["pw-1234"],
    );
    assert!(
        written_state(&mut cluster.client("empty")).is_empty(),
        "the empty database was changed"
    );

    // A database missing one raw table.
    cluster.create_database("partial");
    for script in ["schema.sql", "load.sql"] {
        assert_success(
            &cluster.psql("partial", &bundle, &["-1", "-f", script]),
            script,
        );
    }
    cluster
        .client("partial")
        .batch_execute("drop table raw.visits")?;
    let before = written_state(&mut cluster.client("partial"));
    assert_engine_rejects(
        work,
        &cluster.conninfo("partial", "postgres"),
        1,
        &[
            &format!("{}partial'", server("postgres")),
            "table raw.visits does not exist",
        ],
        &[],
    );
    assert_eq!(
        written_state(&mut cluster.client("partial")),
        before,
        "a failed run changed the database"
    );

    // A role without privileges, then one that may read but not write.
    cluster.create_database("loaded");
    for script in ["schema.sql", "load.sql"] {
        assert_success(
            &cluster.psql("loaded", &bundle, &["-1", "-f", script]),
            script,
        );
    }
    let mut admin = cluster.client("loaded");
    admin.batch_execute("create role reader login")?;
    let before = written_state(&mut admin);
    assert_engine_rejects(
        work,
        &format!("{} password=pw-1234", cluster.conninfo("loaded", "reader")),
        1,
        &[&server("reader"), "permission denied", "schema raw"],
        &["pw-1234"],
    );
    admin.batch_execute(
        "grant usage on schema raw, config to reader; \
         grant select on all tables in schema raw, config to reader",
    )?;
    assert_engine_rejects(
        work,
        &cluster.conninfo("loaded", "reader"),
        1,
        &[&server("reader"), "permission denied", "schema analytics"],
        &[],
    );
    assert_eq!(
        written_state(&mut admin),
        before,
        "a failed run changed the database"
    );
    Ok(())
}

/// The fixtures (golden: hand-written edge cases, the partial last day after
/// as_of_date, trials, untracked visits, an upgrade after a payment;
/// accounts: the MRR bridge's cases; revenue_year: trailing-12-month NRR, a
/// partial as-of month, owners and unpriced plans) give the same rows and check results on
/// PostgreSQL (`northstar query --engine postgres` on the fixture loaded with
/// psql-compatible SQL) as on DuckDB.
#[test]
fn the_golden_fixture_gives_the_same_rows_on_postgresql() -> TestResult {
    let Some(bin) = pg_bin() else {
        return Ok(());
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cluster = Cluster::start(&bin);
    for fixture in ["golden", "accounts", "revenue_year"] {
        let data =
            std::fs::read_to_string(root.join(format!("tests/fixtures/{fixture}/data.sql")))?;
        let duck = Connection::open_in_memory()?;
        northstar::warehouse::create_schema(&duck)?;
        duck.execute_batch(&data)?;
        let files = northstar::queries::order(&northstar::queries::load(None)?)?;
        northstar::queries::run(&duck, &files, &indicatif::ProgressBar::hidden())?;

        cluster.create_database(fixture);
        let mut client = cluster.client(fixture);
        for script in ["src/sql/schema.sql", "src/sql/config_schema.sql"] {
            client.batch_execute(&std::fs::read_to_string(root.join(script))?)?;
        }
        client.batch_execute(&data)?;
        let dir = temp_dir();
        let output = northstar()
            .args(["--quiet", "query", "--engine", "postgres", "--database-url"])
            .arg(cluster.conninfo(fixture, "postgres"))
            .current_dir(dir.path())
            .output()?;
        assert_success(
            &output,
            &format!("northstar query --engine postgres ({fixture} fixture)"),
        );
        assert_parity(&compare(&duck, &mut client), fixture);
        assert_eq!(
            duckdb_checks(&duck),
            postgres_checks(&mut client),
            "check results differ ({fixture} fixture)"
        );
    }
    Ok(())
}

#[test]
fn postgres_engine_runs_each_file_as_one_statement() -> TestResult {
    let Some(bin) = pg_bin() else {
        return Ok(());
    };
    let dir = temp_dir();
    let work = dir.path();
    run_ok(
        work,
        &[
            "--quiet",
            "generate",
            "--users",
            "200",
            "--warehouse",
            "w.duckdb",
        ],
    );
    run_ok(
        work,
        &[
            "--quiet",
            "export",
            "postgres",
            "--out",
            "bundle",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let cluster = Cluster::start(&bin);
    cluster.create_database("loaded");
    for script in ["schema.sql", "load.sql"] {
        assert_success(
            &cluster.psql("loaded", &work.join("bundle"), &["-1", "-f", script]),
            script,
        );
    }
    let conninfo = cluster.conninfo("loaded", "postgres");
    let target = northstar::postgres::Target::from_url_and_env(Some(&conninfo))?;
    let header =
        "-- name: NAME\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: test\n";
    for (path, name, body) in [
        (
            "staging/evil.sql",
            "evil",
            "select 1 as x; drop table raw.users",
        ),
        (
            "checks/check_evil.sql",
            "check_evil",
            "select 1 as x where false) as o; drop table raw.users; select * from (select 1 as x",
        ),
    ] {
        // `parse` reads the header only, so this file skips the load-time
        // check: the engine itself must still run it as one statement.
        let text = format!("{}{body}\n", header.replace("NAME", name));
        let file = northstar::queries::parse(path, &text)?;
        let err = northstar::postgres::run(&target, &[file], &indicatif::ProgressBar::hidden())
            .expect_err(body);
        assert!(err.to_string().contains(path), "{err}");
        let users: i64 = cluster
            .client("loaded")
            .query_one("select count(*) from raw.users", &[])?
            .get(0);
        assert_eq!(users, 200, "{body}");
    }

    // A failed check's sample rows come through the extended protocol too,
    // whatever its column names.
    let queries = work.join("q/checks");
    std::fs::create_dir_all(&queries)?;
    std::fs::write(
        queries.join("check_dupes.sql"),
        format!(
            "{}select 1 as x, 'a' as x, cast(null as text) as y\n",
            header.replace("NAME", "check_dupes")
        ),
    )?;
    let output = northstar()
        .args([
            "query",
            "--engine",
            "postgres",
            "--queries",
            "q",
            "--database-url",
            &conninfo,
        ])
        .current_dir(work)
        .output()?;
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("check 'check_dupes' failed: 1 offending row(s)"),
        "{message}"
    );
    assert!(message.contains("    1, a, NULL"), "{message}");

    // The read-only role of README's PostgreSQL section runs the queries.
    cluster.client("loaded").batch_execute(
        "create role northstar_runner login;
         grant usage on schema raw, config to northstar_runner;
         grant select on all tables in schema raw, config to northstar_runner;
         alter schema analytics owner to northstar_runner;
         alter schema meta owner to northstar_runner;
         alter table meta.pipeline_runs owner to northstar_runner;
         alter table meta.query_runs owner to northstar_runner;
         alter table meta.check_results owner to northstar_runner;
         alter table meta.rejected_rows owner to northstar_runner;",
    )?;
    std::fs::write(
        work.join("q/users_by_segment.sql"),
        format!(
            "{}select segment, count(*) as users from raw.users group by segment\n",
            header.replace("NAME", "users_by_segment")
        ),
    )?;
    std::fs::remove_file(queries.join("check_dupes.sql"))?;
    let output = northstar()
        .args([
            "query",
            "--engine",
            "postgres",
            "--queries",
            "q",
            "--database-url",
            &cluster.conninfo("loaded", "northstar_runner"),
        ])
        .current_dir(work)
        .output()?;
    assert_success(&output, "query as northstar_runner");
    let mut runner = Client::connect(&cluster.conninfo("loaded", "northstar_runner"), NoTls)?;
    let users: i64 = runner
        .query_one(
            "select cast(sum(users) as bigint) from analytics.users_by_segment",
            &[],
        )?
        .get(0);
    assert_eq!(users, 200);
    // and may not change the raw data
    assert!(runner.batch_execute("delete from raw.users").is_err());
    Ok(())
}
