//! The commands: each `northstar` command in its own file, wiring config,
//! generator or ingest, warehouse, query runner, report and charts, with
//! progress output on stderr and a one-line summary at the end. This file
//! holds what several commands share: the output (progress bars, verbosity),
//! loading the configuration, generating into a staged warehouse, running
//! the queries and reporting the checks.

mod exit;
mod export;
mod generate;
mod ingest;
mod query;
mod report;
mod run;

pub use exit::{error_line, exit_code, is_broken_pipe};

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, GenerateArgs};
use crate::config::{Config, ConfigError, Overrides};
use crate::generator;
use crate::interrupt;
use crate::queries::{self, QueryError};
use crate::warehouse::{self, Staging};

/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a run stopped by Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

/// How much to print on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

struct Output {
    verbosity: Verbosity,
}

impl Output {
    fn info(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{message}");
        }
    }

    fn detail(&self, message: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{message}");
        }
    }

    /// A progress bar on stderr; hidden when quiet or when stderr is not a terminal.
    fn bar(&self, label: &str, unit: &str) -> ProgressBar {
        let target = if self.verbosity == Verbosity::Quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let template =
            format!("{label:>10} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}})");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// Any stage failure; see [`exit_code`] for the mapping to exit codes.
pub fn run(cli: Cli) -> Result<ExitCode> {
    crate::tuning::validate_env()?;
    interrupt::install();
    let output = Output {
        verbosity: if cli.quiet {
            Verbosity::Quiet
        } else if cli.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        },
    };
    match cli.command {
        Command::Generate(args) => generate::generate_command(&args, &output),
        Command::Run(args) => run::run_command(&args, &output),
        Command::Query(args) => query::query_command(&args, &output),
        Command::List(args) => query::list_command(&args),
        Command::Lock(args) => query::lock_command(&args, &output),
        Command::Ingest(args) => ingest::ingest_command(&args, &output),
        Command::Report(args) => report::report_command(&args, &output),
        Command::Export(args) => export::export_command(&args, &output),
        Command::Charts(args) => report::charts_command(&args, &output),
    }
}

fn load_config(args: &GenerateArgs) -> Result<Config, ConfigError> {
    let overrides = Overrides {
        users: args.users,
        seed: args.seed,
        start: args.start,
        end: args.end,
        warehouse: args.warehouse.clone(),
        threads: args.threads,
        seeds: args.seeds.clone(),
    };
    Config::load(args.config.as_deref(), &overrides)
}

/// Generates raw and config tables into `staging`; returns the summary and ms.
fn generate_into(
    staging: &Staging,
    config: &Config,
    output: &Output,
) -> Result<(generator::GenerateSummary, i64)> {
    let started = Instant::now();
    let bar = output.bar("generate", "users");
    let summary = generator::generate(staging.conn(), warehouse::CATALOG, config, &bar)?;
    bar.finish_and_clear();
    warehouse::write_config_tables(staging.conn(), config, Some(config.seed))?;
    let ms = started.elapsed().as_millis() as i64;
    output.detail(&format!(
        "generated {} users, {} events, {} visits, {} subscriptions in {:.2}s",
        summary.users,
        summary.events,
        summary.visits,
        summary.subscriptions,
        ms as f64 / 1000.0
    ));
    Ok((summary, ms))
}

/// Runs `files` on the staged warehouse. Queries about the synthetic data
/// (`queries/synthetic/`, the calibration) run only on generated data.
fn run_queries(
    staging: &Staging,
    files: &[queries::QueryFile],
    output: &Output,
) -> Result<queries::RunSummary> {
    let data_source: String =
        staging
            .conn()
            .query_row("select data_source from config.params", [], |row| {
                row.get(0)
            })?;
    // Only ingested data drops files: generated data runs the given list as is.
    let product: Vec<queries::QueryFile>;
    let files = if data_source == "generated" {
        files
    } else {
        product = files
            .iter()
            .filter(|file| !file.is_synthetic())
            .cloned()
            .collect();
        let skipped = files.len() - product.len();
        if skipped > 0 {
            output.detail(&format!(
                "skipped {skipped} query file(s) about synthetic data (queries/synthetic/): the data is ingested"
            ));
        }
        &product
    };
    let bar = output.bar("queries", "files");
    let summary = queries::run(staging.conn(), files, &bar)?;
    bar.finish_and_clear();
    if output.verbosity == Verbosity::Verbose {
        let mut statement = staging
            .conn()
            .prepare("select query_name, row_count, elapsed_ms from meta.query_runs order by elapsed_ms desc")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (name, count, ms) = row?;
            eprintln!("  {name:<32} {count:>10} rows {ms:>6} ms");
        }
    }
    Ok(summary)
}

fn report_checks(summary: &queries::RunSummary, output: &Output) -> Result<()> {
    for (name, count, sample) in &summary.warnings {
        output.info(&format!(
            "warning: check '{name}' found {count} row(s) (warning level: recorded in meta.check_results, not failing)"
        ));
        for row in sample {
            output.detail(&format!("    {row}"));
        }
    }
    if summary.failed_checks.is_empty() {
        output.detail(&format!("all {} checks passed", summary.checks));
        return Ok(());
    }
    for (name, count, sample) in &summary.failed_checks {
        eprintln!("check '{name}' failed: {count} offending row(s)");
        for row in sample {
            eprintln!("    {row}");
        }
    }
    let names: Vec<&str> = summary
        .failed_checks
        .iter()
        .map(|(name, _, _)| name.as_str())
        .collect();
    Err(QueryError::ChecksFailed {
        count: names.len(),
        names: names.join(", "),
    }
    .into())
}

fn file_size(path: &Path) -> String {
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
    } else {
        format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
    }
}

fn load_ordered(dir: Option<&Path>) -> Result<Vec<queries::QueryFile>> {
    let files = queries::load(dir)?;
    Ok(queries::order(&files)?)
}

/// Opens `warehouse` read-only for the report or the charts; fails with a
/// way forward when it is not a northstar warehouse or was built by older
/// query versions than this binary's.
fn open_current(warehouse: &Path) -> Result<duckdb::Connection> {
    // Synthetic-data files (calibration) are not built for ingested data.
    let versions: Vec<(String, u32)> = queries::load(None)?
        .into_iter()
        .filter(|file| file.kind == queries::QueryKind::Analysis && !file.is_synthetic())
        .map(|file| (file.name, file.version))
        .collect();
    Ok(warehouse::open_current(warehouse, &versions)?)
}
