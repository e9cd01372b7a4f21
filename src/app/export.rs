//! `northstar export postgres|parquet|spark`: the warehouse for another engine.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use super::*;
use crate::cli::{ExportArgs, ExportTarget};
use crate::export::{self};
use crate::parquet_export;

pub(super) fn export_command(args: &ExportArgs, output: &Output) -> Result<ExitCode> {
    let started = Instant::now();
    match &args.target {
        ExportTarget::Parquet(args) => {
            let summary = parquet_export::export_parquet(&args.warehouse, &args.out)?;
            output.info(&format!(
                "exported {} tables ({} rows) as Parquet in {:.2}s: {}",
                summary.tables,
                summary.rows,
                started.elapsed().as_secs_f64(),
                args.out.display()
            ));
        }
        ExportTarget::Postgres(args) => {
            let files = load_ordered(args.queries.as_deref())?;
            let summary = export::export_postgres(&args.warehouse, &args.out, &files)?;
            output.info(&format!(
                "exported {} tables ({} rows), {} queries and {} checks for PostgreSQL in {:.2}s: {} (run.sh, README.md)",
                summary.tables,
                summary.rows,
                summary.analyses,
                summary.checks,
                started.elapsed().as_secs_f64(),
                args.out.display()
            ));
        }
        ExportTarget::Spark(args) => {
            let files = load_ordered(args.queries.as_deref())?;
            let summary = crate::spark::export_spark(&args.warehouse, &args.out, &files)?;
            output.info(&format!(
                "exported {} tables ({} rows), {} queries and {} checks for Spark in {:.2}s: {} (run.sh, README.md)",
                summary.tables,
                summary.rows,
                summary.analyses,
                summary.checks,
                started.elapsed().as_secs_f64(),
                args.out.display()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
