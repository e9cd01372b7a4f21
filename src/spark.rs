//! `northstar export spark`: a bundle that registers a warehouse's raw and
//! config tables in Spark and runs every query file with `spark-sql`, in
//! Spark's dialect ([`crate::engine::spark_dialect`]).
//!
//! The bundle ([`export_spark`], see [`BUNDLE_README`]):
//!
//! ```text
//! DIR/README.md      how to run it locally, on a cluster, on Databricks
//! DIR/run.sh         spark-sql --master M (default local[*]) -f run.sql; non-zero exit on any error
//! DIR/register.sql   create raw.* and config.* over data/ (${data}), msck repair table raw.events
//! DIR/run.sql        register.sql inline, a row-count check of every table, then every query
//!                    file inline in dependency order (drop + create), meta.query_runs,
//!                    meta.check_results, and an error when an error-level check finds rows
//! DIR/data/          <schema>/<table>/part-0.parquet; raw/events/event_month=YYYY-MM/*.parquet
//! ```

use std::fmt::Write as _;
use std::path::Path;

use crate::engine::spark_dialect::{dialect, literal, portability_problems, spark_type};
use crate::export::{self, ExportError, ExportSummary, Table};
use crate::export_dir;
use crate::queries::{QueryFile, QueryKind};
use crate::warehouse;

/// Errors of `northstar export spark`.
#[derive(Debug, thiserror::Error)]
pub enum SparkError {
    #[error(transparent)]
    Export(Box<ExportError>),
    #[error("{path}:{line}: not portable to Spark: {message}")]
    Unportable {
        path: String,
        line: usize,
        message: String,
    },
    #[error(
        "column {table}.{column} has DuckDB type {data_type}, which has no Spark equivalent here"
    )]
    UnsupportedType {
        table: String,
        column: String,
        data_type: String,
    },
}

impl From<ExportError> for SparkError {
    fn from(err: ExportError) -> Self {
        Self::Export(Box::new(err))
    }
}

impl From<export_dir::ExportDirError> for SparkError {
    fn from(err: export_dir::ExportDirError) -> Self {
        ExportError::Dir(err).into()
    }
}

impl From<warehouse::WarehouseError> for SparkError {
    fn from(err: warehouse::WarehouseError) -> Self {
        ExportError::Warehouse(err).into()
    }
}

impl SparkError {
    /// A usage error (exit 2): a bad `--out` or a missing warehouse.
    #[must_use]
    pub fn is_usage(&self) -> bool {
        match self {
            Self::Export(err) => match err.as_ref() {
                ExportError::Dir(dir) => dir.is_usage(),
                ExportError::Warehouse(warehouse::WarehouseError::Missing { .. }) => true,
                _ => false,
            },
            _ => false,
        }
    }
}

/// Where a table's Parquet files live under `data/`.
fn data_dir(table: &Table) -> String {
    format!("{}/{}", table.schema, table.name)
}

/// `create table` of a raw, config or meta table: over its Parquet files
/// (`location`) for data tables, managed for meta tables; events are
/// partitioned by month.
fn table_ddl(table: &Table, location: Option<&str>) -> Result<String, SparkError> {
    let qualified = table.qualified();
    let mut columns = Vec::with_capacity(table.columns.len() + 1);
    for column in &table.columns {
        let spark = spark_type(&column.duckdb_type).ok_or_else(|| SparkError::UnsupportedType {
            table: qualified.clone(),
            column: column.name.clone(),
            data_type: column.duckdb_type.clone(),
        })?;
        let comment = column
            .comment
            .as_deref()
            .map(|c| format!(" comment {}", literal(c)))
            .unwrap_or_default();
        columns.push(format!("    {} {spark}{comment}", column.name));
    }
    let partitioned = qualified == "raw.events";
    if partitioned {
        columns.push(
            "    event_month string comment 'Partition: month of occurred_at (YYYY-MM).'".into(),
        );
    }
    let mut ddl = format!(
        "drop table if exists {qualified};\ncreate table {qualified} (\n{}\n) using parquet",
        columns.join(",\n")
    );
    if partitioned {
        ddl.push_str("\npartitioned by (event_month)");
    }
    if let Some(location) = location {
        let _ = write!(ddl, "\nlocation '{location}'");
    }
    if let Some(comment) = &table.comment {
        let _ = write!(ddl, "\ncomment {}", literal(comment));
    }
    ddl.push_str(";\n");
    Ok(ddl)
}

/// The statements that materialize one analysis file as `analytics.<name>`
/// and record it in `meta.query_runs`.
fn analysis_statements(file: &QueryFile) -> String {
    let name = &file.name;
    format!(
        "-- {path} v{version}\n\
         set var northstar_started = current_timestamp();\n\
         drop table if exists analytics.{name};\n\
         create table analytics.{name} using parquet comment {comment} as\n\
         {text}\n;\n\
         insert into meta.query_runs\n\
         select {name_literal}, {version}, {checksum}, {path_literal}, count(*),\n\
         \x20   cast((unix_micros(current_timestamp()) - unix_micros(northstar_started)) / 1000 as bigint), current_timestamp()\n\
         from analytics.{name};\n\n",
        path = file.path,
        version = file.version,
        comment = literal(&file.table_comment()),
        text = dialect(file.text.trim_end()),
        name_literal = literal(name),
        checksum = literal(&file.checksum),
        path_literal = literal(&file.path),
    )
}

/// The statements that run one check and record its offending rows (count
/// and up to five as JSON) in `meta.check_results`.
fn check_statements(file: &QueryFile) -> String {
    format!(
        "-- {path} v{version}: a data-quality check; zero offending rows = pass\n\
         cache table northstar_offending as\n\
         {text}\n;\n\
         insert into meta.check_results\n\
         select {name_literal}, {version}, {description}, count(*) = 0, count(*),\n\
         \x20   coalesce((select concat_ws('\\n', collect_list(to_json(struct(*)))) from (select * from northstar_offending limit 5) as sample), ''),\n\
         \x20   current_timestamp(), {severity}\n\
         from northstar_offending;\n\
         uncache table northstar_offending;\n\
         drop view northstar_offending;\n\n",
        path = file.path,
        version = file.version,
        text = dialect(file.text.trim_end()),
        name_literal = literal(&file.name),
        description = literal(&file.description),
        severity = literal(file.severity.as_str()),
    )
}

/// Writes the Spark bundle for `warehouse_path` and the ordered query
/// `files` into `out` (built beside it, then moved into place; see
/// [`crate::export_dir`]).
///
/// # Errors
/// A query file that is not portable (file and line), a missing table, a
/// type without a Spark equivalent, or a file that cannot be written.
pub fn export_spark(
    warehouse_path: &Path,
    out: &Path,
    files: &[QueryFile],
) -> Result<ExportSummary, SparkError> {
    for file in files {
        if let Some(problem) = portability_problems(&file.text).into_iter().next() {
            return Err(SparkError::Unportable {
                path: file.path.clone(),
                line: problem.line,
                message: problem.message,
            });
        }
    }
    export_dir::check(out, warehouse_path)?;
    let conn = warehouse::open_read_only(warehouse_path)?;
    let mut data_tables = export::read_catalog(&conn, &export::DATA_SCHEMAS)?;
    // The one meta table a query file reads (the headline compares with the
    // previous runs): exported with its rows like the raw and config tables.
    data_tables.extend(
        export::read_catalog(&conn, &["meta"])?
            .into_iter()
            .filter(|t| t.name == "run_history"),
    );
    for expected in export::reference_catalog(&export::DATA_SCHEMAS)? {
        if !data_tables
            .iter()
            .any(|t| t.qualified() == expected.qualified())
        {
            return Err(ExportError::MissingTable(expected.qualified()).into());
        }
    }
    let meta_tables: Vec<Table> = export::reference_catalog(&["meta"])?
        .into_iter()
        .filter(|t| t.name == "query_runs" || t.name == "check_results")
        .collect();

    let guard = export_dir::staging(out)?;
    let staging = guard.path().to_path_buf();
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Write { path, source }
    };

    let mut register = String::from(REGISTER_HEADER);
    for schema in ["raw", "config", "analytics", "meta"] {
        let _ = writeln!(register, "create database if not exists {schema};");
    }
    let mut counts = Vec::new();
    let mut rows = 0i64;
    for table in &data_tables {
        let qualified = table.qualified();
        let dir = staging.join("data").join(data_dir(table));
        std::fs::create_dir_all(&dir).map_err(write_error(&dir))?;
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let columns = columns.join(", ");
        let data_error = |source| ExportError::Data {
            table: qualified.clone(),
            path: dir.clone(),
            source,
        };
        let sql = if qualified == "raw.events" {
            format!(
                "copy (select {columns}, cast(year(occurred_at) as varchar) || '-' || lpad(cast(month(occurred_at) as varchar), 2, '0') as event_month \
                 from raw.events) to {} (format parquet, partition_by (event_month))",
                export::quote_literal(&dir.to_string_lossy())
            )
        } else {
            format!(
                "copy (select {columns} from {qualified}) to {} (format parquet)",
                export::quote_literal(&dir.join("part-0.parquet").to_string_lossy())
            )
        };
        conn.execute_batch(&sql).map_err(data_error)?;
        let count: i64 = conn
            .query_row(&format!("select count(*) from {qualified}"), [], |row| {
                row.get(0)
            })
            .map_err(data_error)?;
        rows += count;
        counts.push((qualified, count));
        register.push('\n');
        register.push_str(&table_ddl(
            table,
            Some(&format!("${{data}}/{}", data_dir(table))),
        )?);
    }
    register.push_str(
        "\n-- a partitioned table reads as 0 rows until its partitions are registered\nmsck repair table raw.events;\n",
    );
    export::write(&staging.join("register.sql"), &register)?;

    let mut run = String::from(RUN_HEADER);
    run.push_str(&register);
    run.push_str(
        "\n-- every table holds the rows the export wrote (a partition not registered, a\n\
         -- --data location that is not this bundle's data/, a file not copied fail here)\n\
         select case when found <> expected then raise_error(concat('northstar: ', table_name, ' has ',\n\
         \x20   cast(found as string), ' rows on Spark, the export wrote ', cast(expected as string),\n\
         \x20   ' (see README.md: --data, msck repair table)')) end\n\
         from (\n",
    );
    let unions: Vec<String> = counts
        .iter()
        .map(|(table, count)| {
            format!(
                "    select {} as table_name, count(*) as found, {count} as expected from {table}",
                literal(table)
            )
        })
        .collect();
    run.push_str(&unions.join("\n    union all\n"));
    run.push_str("\n) as counts;\n\n");
    for table in &meta_tables {
        run.push_str(&table_ddl(table, None)?);
    }
    run.push_str("declare or replace variable northstar_started timestamp;\n\n");
    let (mut analyses, mut checks) = (0, 0);
    for file in files {
        match file.kind {
            QueryKind::Analysis => {
                analyses += 1;
                run.push_str(&analysis_statements(file));
            }
            QueryKind::Check => {
                checks += 1;
                run.push_str(&check_statements(file));
            }
        }
    }
    run.push_str(RUN_FOOTER);
    export::write(&staging.join("run.sql"), &run)?;
    export::write(&staging.join("README.md"), BUNDLE_README)?;
    let run_sh = staging.join("run.sh");
    export::write(&run_sh, RUN_SH)?;
    export::make_executable(&run_sh)?;
    drop(conn);
    guard.publish(
        out,
        &format!(
            "northstar {} export spark of '{}'",
            env!("CARGO_PKG_VERSION"),
            warehouse_path.display()
        ),
    )?;
    Ok(ExportSummary {
        tables: data_tables.len(),
        rows,
        analyses,
        checks,
    })
}

const REGISTER_HEADER: &str = "\
-- Registers the raw and config tables of a northstar warehouse in Spark's
-- catalog, over the Parquet files in data/ (written by `northstar export spark`).
-- ${data} is the data/ directory's URI: run.sh passes it (--hivevar data=...).
-- Re-runnable: each table is dropped and created (its files are kept).

";

const RUN_HEADER: &str = "\
-- The whole northstar pipeline on Spark SQL, written by `northstar export spark`:
--   spark-sql --master local[*] --hivevar data=file:///path/to/bundle/data -f run.sql
-- (run.sh does this). spark-sql stops at the first failing statement with a
-- non-zero exit. Every query file is inline (no `source`: an error in a sourced
-- file does not stop spark-sql), in dependency order, in Spark's dialect
-- (double precision -> double, varchar -> string, extract(epoch) -> unix_micros).
set spark.sql.session.timeZone = UTC;
set spark.sql.ansi.enabled = true;

";

const RUN_FOOTER: &str = "\
-- checks that found rows; an error-level one fails the run (warning-level ones are listed only)
select check_name, severity, offending_rows from meta.check_results where not passed order by check_name;
-- (raise_error in a case over one row: Spark evaluates a select list before `having`)
select case when failed > 0 then raise_error(concat('northstar: ', cast(failed as string),
    ' error-level data-quality check(s) failed; see meta.check_results')) end
from (select count(*) as failed from meta.check_results where not passed and severity = 'error') as failures;
";

const RUN_SH: &str = r#"#!/bin/sh
# Runs this bundle with spark-sql (see README.md):
#   ./run.sh                                  # local[*], data/ beside this script
#   ./run.sh --master spark://host:7077       # or yarn, k8s://https://host:443, local[2]
#   ./run.sh --master yarn --data hdfs:///northstar/data   # data/ copied to shared storage
# Other arguments go to spark-sql as they are (--conf k=v, --driver-memory 4g, ...).
# Exits non-zero at the first failing statement, when a table does not hold the
# rows the export wrote, or when an error-level data-quality check finds rows.
set -eu
cd "$(dirname "$0")"
master='local[*]'
data="file://$(pwd)/data"
while [ $# -gt 0 ]; do
    case "$1" in
        --master|--data)
            if [ $# -lt 2 ]; then echo "run.sh: $1 needs a value" >&2; exit 2; fi
            if [ "$1" = --master ]; then master="$2"; else data="$2"; fi
            shift 2 ;;
        --master=*) master="${1#--master=}"; shift ;;
        --data=*) data="${1#--data=}"; shift ;;
        *) break ;;
    esac
done
if [ -n "${SPARK_HOME:-}" ]; then
    spark_sql="$SPARK_HOME/bin/spark-sql"
elif spark_sql=$(command -v spark-sql); then
    # pip's pyspark: its spark-sql needs SPARK_HOME; ask the Python beside it
    bin=$(dirname "$spark_sql")
    for python in "$bin/python3" "$bin/python" python3; do
        if home=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null); then
            SPARK_HOME="$home"; export SPARK_HOME; break
        fi
    done
else
    echo "run.sh: spark-sql not found: set SPARK_HOME or put Spark's bin/ on PATH (pip install pyspark)" >&2
    exit 127
fi
exec "$spark_sql" --master "$master" --conf spark.sql.session.timeZone=UTC \
    --hivevar data="$data" "$@" -f run.sql
"#;

/// The README.md of a Spark bundle.
pub const BUNDLE_README: &str = "\
# northstar on Apache Spark

Written by `northstar export spark`: the raw and config tables of a northstar
warehouse as Parquet, and every query file of the warehouse's version inline
in one `run.sql`, in Spark SQL's dialect (Spark 3.4 or later; tested with
Spark 4 in local mode).

| file | holds |
| --- | --- |
| `data/<schema>/<table>/` | Parquet per table; `data/raw/events/event_month=YYYY-MM/` partitioned by month |
| `register.sql` | `create table raw.* / config.* ... using parquet location '${data}/...'` with every comment, then `msck repair table raw.events` (without it the partitioned events table reads as 0 rows) |
| `run.sql` | `register.sql` inline; a check that every table holds the rows the export wrote; then each query file (`drop table` + `create table analytics.<name> using parquet as ...`) and check (rows counted into `meta.check_results`) in dependency order; `meta.query_runs` |
| `run.sh` | `spark-sql --master M --hivevar data=URI -f run.sql` |

## Run it

On this machine (needs Java 17 and Spark: `pip install pyspark` is enough):

```sh
./run.sh                          # --master local[*]
./run.sh --master 'local[2]' --conf spark.sql.shuffle.partitions=8
```

The session time zone is UTC. `run.sh` stops at the first failing statement
with a non-zero exit (spark-sql's own), also when a table does not hold the
rows the export wrote and when an error-level data-quality check finds rows
(warning-level ones are listed, not failing). Results: `analytics.*`,
`meta.query_runs` (name, version, checksum, rows, ms), `meta.check_results`,
in the session's catalog (local: `metastore_db/` and `spark-warehouse/`
here).

## On a cluster

Copy `data/` where every executor can read it, and pass its URI:

```sh
hdfs dfs -put data /northstar/data     # or: aws s3 cp --recursive data s3://bucket/northstar/data
./run.sh --master yarn --data hdfs:///northstar/data
./run.sh --master spark://host:7077 --data s3a://bucket/northstar/data
./run.sh --master k8s://https://host:443 --data s3a://bucket/northstar/data --conf spark.kubernetes.container.image=...
```

Everything after `--master`/`--data` goes to `spark-sql` (`--conf`,
`--driver-memory`, ...). The tables go to the cluster's metastore (Hive or
Glue) and its warehouse directory.

## On Databricks

Upload `data/` to a volume or cloud storage (`/Volumes/main/northstar/data`,
`s3://bucket/northstar/data`), then in a SQL notebook or the SQL editor run
`run.sql` with the text `${data}` replaced by that location (or declare it
as a widget: `${data}` is Databricks' parameter syntax too). Tables are
created `using parquet`; the `raw`, `config`, `analytics` and `meta` schemas
go to the current catalog. `raise_error` fails the notebook cell when a check
fails; schedule it as a job task to fail the job.
";
