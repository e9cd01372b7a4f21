//! `northstar export postgres`: a bundle that loads a warehouse's raw and
//! config tables into PostgreSQL and runs every query file there with `psql`.
//!
//! The PostgreSQL DDL is generated from DuckDB's catalog (`duckdb_tables()`,
//! `duckdb_columns()`, with their comments), so `src/sql/*.sql` stays the one
//! hand-written schema. The bundle (see [`BUNDLE_README`]):
//!
//! ```text
//! DIR/README.md     how to run it
//! DIR/run.sh        psql -X -v ON_ERROR_STOP=1 -f run.sql (PG* variables or a URL argument)
//! DIR/run.sql       \ir schema.sql + load.sql (one transaction), then each query file
//! DIR/schema.sql    schemas, raw/config/meta tables with COMMENT ON
//! DIR/load.sql      \copy from data/*.csv, then analyze
//! DIR/data/         <schema>.<table>.csv, with a header
//! DIR/queries/      NNN_<name>.sql in dependency order: create table analytics.<name> as <file>
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use duckdb::Connection;

use crate::export_dir::{self, ExportDirError};
use crate::queries::{QueryFile, QueryKind};
use crate::warehouse::{self, WarehouseError};

/// Schemas whose tables (and data, for raw and config) the bundle carries.
pub const DATA_SCHEMAS: [&str; 2] = ["raw", "config"];

/// Errors of the export; each names the file, table or column.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("unable to read the table catalog ({context})")]
    Catalog {
        context: String,
        source: duckdb::Error,
    },
    #[error("column {table}.{column} has DuckDB type {data_type}, which has no PostgreSQL equivalent here")]
    UnsupportedType {
        table: String,
        column: String,
        data_type: String,
    },
    #[error("warehouse has no table {0}; run `northstar generate` or `northstar run` to build a complete one")]
    MissingTable(String),
    #[error("unable to export {table} to '{path}'")]
    Data {
        table: String,
        path: PathBuf,
        source: duckdb::Error,
    },
    #[error("unable to write '{path}'")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Dir(#[from] ExportDirError),
}

/// One column of a table, as DuckDB's catalog describes it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// DuckDB's type name (`VARCHAR`, `DOUBLE`, `DECIMAL(18,6)`, ...).
    pub duckdb_type: String,
    pub nullable: bool,
    pub comment: Option<String>,
}

/// One table of the catalog with its columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub comment: Option<String>,
    pub columns: Vec<Column>,
}

impl Table {
    /// `schema.name`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// Reads the tables of `schemas` in the current database of `conn`, ordered
/// by schema (in the order given) and name.
///
/// # Errors
/// DuckDB failures.
pub fn read_catalog(conn: &Connection, schemas: &[&str]) -> Result<Vec<Table>, ExportError> {
    let catalog_error = |context: &str| {
        let context = context.to_string();
        move |source| ExportError::Catalog { context, source }
    };
    let mut tables = Vec::new();
    for schema in schemas {
        let mut statement = conn
            .prepare(
                "select table_name, comment from duckdb_tables() \
                 where database_name = current_database() and schema_name = ? order by table_name",
            )
            .map_err(catalog_error("listing tables"))?;
        let rows = statement
            .query_map([schema], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
            })
            .map_err(catalog_error("listing tables"))?;
        for row in rows {
            let (name, comment) = row.map_err(catalog_error("listing tables"))?;
            tables.push(Table {
                schema: (*schema).to_string(),
                name,
                comment: comment.filter(|c| !c.is_empty()),
                columns: Vec::new(),
            });
        }
    }
    for table in &mut tables {
        let context = format!("columns of {}", table.qualified());
        let mut statement = conn
            .prepare(
                "select column_name, data_type, is_nullable, comment from duckdb_columns() \
                 where database_name = current_database() and schema_name = ? and table_name = ? \
                 order by column_index",
            )
            .map_err(catalog_error(&context))?;
        let rows = statement
            .query_map([&table.schema, &table.name], |row| {
                Ok(Column {
                    name: row.get(0)?,
                    duckdb_type: row.get(1)?,
                    nullable: row.get(2)?,
                    comment: row.get::<_, Option<String>>(3)?.filter(|c| !c.is_empty()),
                })
            })
            .map_err(catalog_error(&context))?;
        for column in rows {
            table.columns.push(column.map_err(catalog_error(&context))?);
        }
    }
    Ok(tables)
}

/// The tables of a fresh warehouse (`src/sql/*.sql`) in `schemas`: what a
/// PostgreSQL database needs to hold before the queries run.
///
/// # Errors
/// DuckDB failures.
pub fn reference_catalog(schemas: &[&str]) -> Result<Vec<Table>, ExportError> {
    let conn = Connection::open_in_memory().map_err(|source| ExportError::Catalog {
        context: "opening an in-memory database".into(),
        source,
    })?;
    warehouse::create_schema(&conn)?;
    read_catalog(&conn, schemas)
}

pub use crate::engine::pg_dialect::{
    comment_statement, create_statement, offending_subquery, pg_type, quote_literal, table_ddl,
};

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    pub tables: usize,
    pub rows: i64,
    pub analyses: usize,
    pub checks: usize,
}

/// Writes the PostgreSQL bundle for `warehouse` and the ordered query
/// `files` into `out` (built beside it, then moved into place; the files of
/// a previous bundle there are replaced, anything else in it stays; any
/// other non-empty directory is refused; see [`crate::export_dir`]).
///
/// # Errors
/// The warehouse is missing or incomplete, a type has no PostgreSQL
/// equivalent, or a file cannot be written.
pub fn export_postgres(
    warehouse_path: &Path,
    out: &Path,
    files: &[QueryFile],
) -> Result<ExportSummary, ExportError> {
    export_dir::check(out, warehouse_path)?;
    let conn = warehouse::open_read_only(warehouse_path)?;
    let data_tables = read_catalog(&conn, &DATA_SCHEMAS)?;
    for expected in reference_catalog(&DATA_SCHEMAS)? {
        if !data_tables
            .iter()
            .any(|t| t.qualified() == expected.qualified())
        {
            return Err(ExportError::MissingTable(expected.qualified()));
        }
    }
    let meta_tables = reference_catalog(&["meta"])?;

    let guard = export_dir::staging(out)?;
    let staging = guard.path().to_path_buf();
    for dir in [staging.join("data"), staging.join("queries")] {
        std::fs::create_dir_all(&dir).map_err(|source| ExportError::Write {
            path: dir.clone(),
            source,
        })?;
    }

    let mut schema_sql = String::from(SCHEMA_HEADER);
    for schema in ["raw", "config", "analytics", "meta"] {
        let _ = writeln!(schema_sql, "create schema if not exists {schema};");
    }
    for table in data_tables.iter().chain(&meta_tables) {
        schema_sql.push('\n');
        schema_sql.push_str(&table_ddl(table, false)?);
    }
    write(&staging.join("schema.sql"), &schema_sql)?;

    let mut load_sql = String::from(LOAD_HEADER);
    let mut rows = 0i64;
    for table in &data_tables {
        let qualified = table.qualified();
        let relative = format!("data/{qualified}.csv");
        let path = staging.join(&relative);
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let columns = columns.join(", ");
        let data_error = |source| ExportError::Data {
            table: qualified.clone(),
            path: path.clone(),
            source,
        };
        conn.execute_batch(&format!(
            "copy (select {columns} from {qualified}) to {} (format csv, header true)",
            quote_literal(&path.to_string_lossy())
        ))
        .map_err(data_error)?;
        let count: i64 = conn
            .query_row(&format!("select count(*) from {qualified}"), [], |row| {
                row.get(0)
            })
            .map_err(data_error)?;
        rows += count;
        let _ = writeln!(
            load_sql,
            "\\copy {qualified} ({columns}) from '{relative}' with (format csv, header true)"
        );
    }
    load_sql.push('\n');
    for table in &data_tables {
        let _ = writeln!(load_sql, "analyze {};", table.qualified());
    }
    write(&staging.join("load.sql"), &load_sql)?;

    let mut run_sql = String::from(RUN_HEADER);
    let width = files.len().to_string().len().max(3);
    let (mut analyses, mut checks) = (0, 0);
    for (index, file) in files.iter().enumerate() {
        let relative = format!("queries/{:0width$}_{}.sql", index + 1, file.name);
        let text = match file.kind {
            QueryKind::Analysis => {
                analyses += 1;
                analysis_script(file)
            }
            QueryKind::Check => {
                checks += 1;
                check_script(file)
            }
        };
        write(&staging.join(&relative), &text)?;
        let _ = writeln!(run_sql, "\\ir {relative}");
    }
    run_sql.push_str(RUN_FOOTER);
    write(&staging.join("run.sql"), &run_sql)?;
    write(&staging.join("README.md"), BUNDLE_README)?;
    let run_sh = staging.join("run.sh");
    write(&run_sh, RUN_SH)?;
    make_executable(&run_sh)?;
    drop(conn);
    guard.publish(
        out,
        &format!(
            "northstar {} export postgres of '{}'",
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

/// Writes a bundle file (the PostgreSQL and Spark exports).
pub(crate) fn write(path: &Path, text: &str) -> Result<(), ExportError> {
    std::fs::write(path, text).map_err(|source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Makes a bundle's `run.sh` executable.
#[cfg(unix)]
pub(crate) fn make_executable(path: &Path) -> Result<(), ExportError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| {
        ExportError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(not(unix))]
pub(crate) fn make_executable(_path: &Path) -> Result<(), ExportError> {
    Ok(())
}

/// One bundle file for an analysis: its own transaction, re-runnable.
fn analysis_script(file: &QueryFile) -> String {
    let name = &file.name;
    format!(
        "-- {path} v{version}, materialized as analytics.{name} (generated by `northstar export postgres`).\n\
         set standard_conforming_strings = on;\n\
         begin;\n\
         drop table if exists analytics.{name};\n\
         {create}\n;\n\
         {comment};\n\
         delete from meta.query_runs where query_name = {name_literal};\n\
         insert into meta.query_runs\n\
         select {name_literal}, {version}, {checksum}, {path_literal}, count(*),\n\
         \x20   cast(extract(epoch from clock_timestamp() - now()) * 1000 as bigint), localtimestamp\n\
         from analytics.{name};\n\
         commit;\n",
        path = file.path,
        version = file.version,
        create = create_statement(file),
        comment = comment_statement(file),
        name_literal = quote_literal(name),
        checksum = quote_literal(&file.checksum),
        path_literal = quote_literal(&file.path),
    )
}

/// One bundle file for a check: counts the offending rows into meta.check_results.
fn check_script(file: &QueryFile) -> String {
    let name = &file.name;
    format!(
        "-- {path} v{version}: a data-quality check; zero offending rows = pass (generated by `northstar export postgres`).\n\
         set standard_conforming_strings = on;\n\
         begin;\n\
         delete from meta.check_results where check_name = {name_literal};\n\
         insert into meta.check_results (check_name, check_version, description, passed, offending_rows, sample, ran_at, severity)\n\
         select {name_literal}, {version}, {description}, count(*) = 0, count(*),\n\
         \x20   coalesce((select string_agg(cast(sample as text), E'\\n') from (select * from {sample} limit 5) as sample), ''),\n\
         \x20   localtimestamp, {severity}\n\
         from {offending};\n\
         commit;\n",
        path = file.path,
        version = file.version,
        name_literal = quote_literal(name),
        description = quote_literal(&file.description),
        severity = quote_literal(file.severity.as_str()),
        sample = offending_subquery(file),
        offending = offending_subquery(file),
    )
}

const SCHEMA_HEADER: &str = "\
-- northstar warehouse schema for PostgreSQL, generated from DuckDB's catalog
-- by `northstar export postgres`. Tables and columns carry their descriptions
-- (\\d+ raw.users in psql shows them). analytics.* tables are created by
-- queries/*.sql, each with its comment. Fails if the tables already exist:
-- load into a fresh database (or drop the four schemas first).

";

const LOAD_HEADER: &str = "\
-- Loads data/*.csv (written by `northstar export postgres`) with psql's \\copy:
-- run from the bundle directory. CSV with a header; an empty unquoted field is NULL.

";

const RUN_HEADER: &str = "\
-- Runs the whole bundle with psql from this directory:
--   psql -X -v ON_ERROR_STOP=1 -f run.sql
-- schema.sql and load.sql run in one transaction; each query file is its own
-- transaction, in dependency order; the run fails if an error-level check finds offending rows
-- (warning-level checks are listed, not failing).
\\set ON_ERROR_STOP 1
set client_min_messages = warning;
-- psql and the server then read string literals as northstar wrote them
set standard_conforming_strings = on;
set time zone 'UTC';
begin;
\\ir schema.sql
\\ir load.sql
commit;

";

const RUN_FOOTER: &str = "
select check_name, severity, offending_rows from meta.check_results where not passed order by check_name;
do $$
begin
    if exists (select 1 from meta.check_results where not passed and severity = 'error') then
        raise exception 'northstar: % data-quality check(s) failed; see meta.check_results',
            (select count(*) from meta.check_results where not passed and severity = 'error');
    end if;
end
$$;
";

const RUN_SH: &str = "#!/bin/sh
# Loads this bundle into PostgreSQL and runs every query file (see README.md).
# The database comes from the standard variables (PGHOST, PGPORT, PGUSER,
# PGDATABASE, PGPASSWORD or ~/.pgpass) or from a URL given as the argument:
#   ./run.sh                                 # PG* variables
#   ./run.sh 'postgres://analyst@db:5432/analytics'
set -eu
cd \"$(dirname \"$0\")\"
exec psql -X -q -v ON_ERROR_STOP=1 -f run.sql \"$@\"
";

/// The README.md of a bundle.
pub const BUNDLE_README: &str = "\
# northstar on PostgreSQL

Written by `northstar export postgres`: the raw and config tables of a
northstar warehouse as CSV, their schema with descriptions, and every query
file of the warehouse's version, in dependency order, ready for `psql`
(PostgreSQL 15 or later).

## Run it

Into a fresh (empty) database, from this directory:

```sh
createdb northstar                            # or use an existing empty database
PGDATABASE=northstar ./run.sh                 # PG* variables: PGHOST, PGPORT, PGUSER, PGPASSWORD
./run.sh 'postgres://analyst@db.example.com:5432/northstar'   # or a URL
```

`run.sh` is one command: `psql -X -v ON_ERROR_STOP=1 -f run.sql`. Step by step:

```sh
psql -X -v ON_ERROR_STOP=1 -1 -f schema.sql   # schemas raw, config, analytics, meta; tables with COMMENT ON
psql -X -v ON_ERROR_STOP=1 -1 -f load.sql     # \\copy data/*.csv, then analyze
for file in queries/*.sql; do psql -X -v ON_ERROR_STOP=1 -f \"$file\"; done
```

| file | holds |
| --- | --- |
| `schema.sql` | `create schema` raw, config, analytics, meta; `create table` with `comment on` for every table and column |
| `load.sql` | `\\copy <table> from 'data/<schema>.<table>.csv'` (CSV with a header), then `analyze` |
| `data/` | one CSV per raw and config table |
| `queries/NNN_<name>.sql` | `create table analytics.<name> as` + the query file exactly as in `queries/`, its comment, and a row in `meta.query_runs`; checks (`check_*`) count their offending rows into `meta.check_results` |
| `run.sql` | all of the above in order; fails (exit 3) on the first error or if an error-level check finds offending rows (warning-level checks are listed only) |

A query file can be re-run on its own (`psql -f queries/012_funnel_stages.sql`):
it replaces its table in one transaction. Re-running `schema.sql` on a
database that already holds the tables fails rather than overwriting them.

The query files are plain SQL (PostgreSQL 15 and DuckDB); parameters come
from `config.params` by join. `northstar query --engine postgres
--database-url postgres://...` runs the same files from the northstar binary
against a database that already holds the raw and config tables.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_types_map_to_postgres() {
        assert_eq!(pg_type("VARCHAR").as_deref(), Some("text"));
        assert_eq!(pg_type("DOUBLE").as_deref(), Some("double precision"));
        assert_eq!(pg_type("HUGEINT").as_deref(), Some("numeric(38,0)"));
        assert_eq!(pg_type("DECIMAL(18,6)").as_deref(), Some("numeric(18,6)"));
        assert_eq!(pg_type("TIMESTAMP").as_deref(), Some("timestamp"));
        assert_eq!(pg_type("STRUCT(a INTEGER)"), None);
    }

    #[test]
    fn schema_ddl_comes_from_the_catalog_with_comments() -> Result<(), ExportError> {
        let tables = reference_catalog(&DATA_SCHEMAS)?;
        let users = tables
            .iter()
            .find(|t| t.qualified() == "raw.users")
            .ok_or_else(|| ExportError::MissingTable("raw.users".into()))?;
        let ddl = table_ddl(users, false)?;
        assert!(
            ddl.starts_with("create table raw.users (\n    user_id bigint not null,"),
            "{ddl}"
        );
        assert!(ddl.contains("    company_name text,\n"), "{ddl}");
        assert!(
            ddl.contains("comment on table raw.users is 'One row per signed-up user"),
            "{ddl}"
        );
        assert!(
            ddl.contains("comment on column raw.users.signup_at is"),
            "{ddl}"
        );
        assert!(
            !ddl.contains("varchar") && !ddl.contains(" double,") && !ddl.contains(" double\n"),
            "{ddl}"
        );
        let config = tables.iter().filter(|t| t.schema == "config").count();
        assert_eq!(config, 8, "config tables: {tables:?}");
        Ok(())
    }
}
