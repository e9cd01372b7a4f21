//! `northstar export parquet`: every raw, config, analytics and meta table as
//! Parquet under `<out>/<schema>/<table>.parquet`, events partitioned by
//! month hive-style (`raw/events/event_month=2024-01/*.parquet`), readable by
//! Spark, Trino, pandas and DuckDB. Written into a temporary directory and
//! then published into `--out` (see [`crate::export_dir`]): a failed export
//! leaves a previous one intact, and a later one replaces only the files the
//! previous one wrote.

use std::path::{Path, PathBuf};

use crate::export_dir::{self, ExportDirError};
use crate::warehouse::{self, sql_path, WarehouseError};

/// Errors of the Parquet export.
#[derive(Debug, thiserror::Error)]
pub enum ParquetExportError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("unable to write '{path}'")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unable to export '{table}' to Parquet: {message}")]
    Copy { table: String, message: String },
    #[error(transparent)]
    Dir(#[from] ExportDirError),
}

/// What was exported.
#[derive(Debug, Default, Clone)]
pub struct ParquetSummary {
    pub tables: usize,
    pub rows: i64,
}

/// Exports every table of `warehouse` into `out`.
///
/// # Errors
/// The warehouse cannot be opened, a table cannot be written, or `out`
/// cannot be replaced.
pub fn export_parquet(warehouse: &Path, out: &Path) -> Result<ParquetSummary, ParquetExportError> {
    export_dir::check(out, warehouse)?;
    let conn = warehouse::open_read_only(warehouse)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ParquetExportError::Io { path, source }
    };
    let staging = export_dir::staging(out)?;
    let temp = staging.path().to_path_buf();
    let copy_error = |table: &str| {
        let table = table.to_string();
        move |err: duckdb::Error| ParquetExportError::Copy {
            table,
            message: crate::one_line(&err.to_string()),
        }
    };
    let mut statement = conn
        .prepare(
            "select schema_name, table_name, estimated_size from duckdb_tables() \
             where database_name = current_database() \
               and schema_name in ('raw', 'config', 'analytics', 'meta') \
             order by schema_name, table_name",
        )
        .map_err(copy_error("catalog"))?;
    let tables: Vec<(String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(copy_error("catalog"))?
        .collect::<Result<_, _>>()
        .map_err(copy_error("catalog"))?;
    let result: Result<ParquetSummary, ParquetExportError> = (|| {
        let mut summary = ParquetSummary::default();
        for (schema, table) in &tables {
            let dir = temp.join(schema);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            let qualified = format!("{schema}.{table}");
            let sql = if qualified == "raw.events" {
                format!(
                    "copy (select *, cast(year(occurred_at) as varchar) || '-' || lpad(cast(month(occurred_at) as varchar), 2, '0') as event_month \
                     from raw.events) to '{}' (format parquet, partition_by (event_month))",
                    sql_path(&dir.join(table))
                )
            } else {
                format!(
                    "copy (select * from {qualified}) to '{}' (format parquet)",
                    sql_path(&dir.join(format!("{table}.parquet")))
                )
            };
            conn.execute_batch(&sql).map_err(copy_error(&qualified))?;
            let rows: i64 = conn
                .query_row(&format!("select count(*) from {qualified}"), [], |row| {
                    row.get(0)
                })
                .map_err(copy_error(&qualified))?;
            summary.rows += rows;
            summary.tables += 1;
        }
        Ok(summary)
    })();
    let summary = result?;
    staging.publish(
        out,
        &format!(
            "northstar {} export parquet of '{}'",
            env!("CARGO_PKG_VERSION"),
            warehouse.display()
        ),
    )?;
    Ok(summary)
}
