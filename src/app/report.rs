//! `northstar report` and `northstar charts`, and the end of `run` that
//! writes both side by side.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use super::*;
use crate::charts;
use crate::cli::ChartsArgs;
use crate::report;
use crate::warehouse::{self};

/// Where `northstar run` writes the report (`northstar report --out` changes it).
pub(super) const DEFAULT_REPORT_DIR: &str = "reports";

/// What the report is rendered from and to.
pub(super) fn report_options<'a>(
    warehouse: &'a Path,
    out_dir: &'a Path,
    templates: Option<&'a Path>,
) -> report::ReportOptions<'a> {
    report::ReportOptions {
        warehouse,
        out_dir,
        templates,
        generated_at: chrono::Utc::now(),
    }
}

pub(super) fn report_command(args: &crate::cli::ReportArgs, output: &Output) -> Result<ExitCode> {
    if let Some(templates) = &args.templates {
        report::check_templates(templates)?;
    }
    let conn = open_current(&args.warehouse)?;
    let files = report::write_report_from(
        &conn,
        &report_options(&args.warehouse, &args.out, args.templates.as_deref()),
    )?;
    output.info(&format!(
        "report: {} (headline figures: {})",
        files.report.display(),
        files.summary.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Writes the dashboard and charts of `warehouse` (open on `conn`) under
/// `out`; returns the summary and the seconds it took.
pub(super) fn write_charts(
    conn: &duckdb::Connection,
    warehouse: &Path,
    out: &Path,
) -> Result<(charts::ChartsSummary, f64), charts::ChartError> {
    let started = Instant::now();
    charts::write_reports(conn, warehouse, out)
        .map(|summary| (summary, started.elapsed().as_secs_f64()))
}

pub(super) fn charts_line(summary: &charts::ChartsSummary, seconds: f64, out: &Path) -> String {
    format!(
        "charts: {} charts in {:.2}s: {} ({:.1} MiB) and {}",
        summary.charts,
        seconds,
        summary.dashboard.display(),
        summary.dashboard_bytes as f64 / f64::from(1u32 << 20),
        out.join("charts").display()
    )
}

/// The end of `run`: the report and the charts, side by side on two
/// connections of one read-only open of the new warehouse (each takes about
/// a quarter of a second at 50,000 users). Returns the report files, the
/// charts summary and the seconds the charts took.
pub(super) fn write_report_and_charts(
    warehouse: &Path,
    out: &Path,
) -> Result<(report::ReportFiles, (charts::ChartsSummary, f64))> {
    let conn = warehouse::open_read_only(warehouse)?;
    let charts_conn = conn.try_clone()?;
    charts_conn.execute_batch(&format!("use {}", warehouse::CATALOG))?;
    let (report_files, charts) = std::thread::scope(|scope| {
        let charts = scope.spawn(move || write_charts(&charts_conn, warehouse, out));
        let report_files = report::write_report_from(&conn, &report_options(warehouse, out, None));
        let charts = charts
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (report_files, charts)
    });
    Ok((report_files?, charts?))
}

pub(super) fn charts_command(args: &ChartsArgs, output: &Output) -> Result<ExitCode> {
    let conn = open_current(&args.warehouse)?;
    let (summary, seconds) = write_charts(&conn, &args.warehouse, &args.out)?;
    output.info(&charts_line(&summary, seconds, &args.out));
    Ok(ExitCode::SUCCESS)
}
