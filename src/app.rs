//! The commands: wires config, generator, warehouse and query runner, with
//! progress output on stderr and a one-line summary at the end.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, GenerateArgs, ListArgs, LockArgs, QueryArgs, RunArgs};
use crate::config::{Config, ConfigError, Overrides};
use crate::generator::{self, GenerateError};
use crate::queries::{self, QueryError};
use crate::warehouse::{self, PipelineRun, Staging, WarehouseError};
use crate::interrupt;

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
        let template = format!("{label:>10} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}})");
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
        Command::Generate(args) => generate_command(&args, &output),
        Command::Run(args) => run_command(&args, &output),
        Command::Query(args) => query_command(&args, &output),
        Command::List(args) => list_command(&args),
        Command::Lock(args) => lock_command(&args, &output),
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
    };
    Config::load(args.config.as_deref(), &overrides)
}

/// Generates raw and config tables into `staging`; returns the summary and ms.
fn generate_into(staging: &Staging, config: &Config, output: &Output) -> Result<(generator::GenerateSummary, i64)> {
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

fn run_queries(
    staging: &Staging,
    files: &[queries::QueryFile],
    output: &Output,
) -> Result<queries::RunSummary> {
    let bar = output.bar("queries", "files");
    let summary = queries::run(staging.conn(), files, &bar)?;
    bar.finish_and_clear();
    if output.verbosity == Verbosity::Verbose {
        let mut statement = staging
            .conn()
            .prepare("select query_name, row_count, elapsed_ms from meta.query_runs order by elapsed_ms desc")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (name, count, ms) = row?;
            eprintln!("  {name:<32} {count:>10} rows {ms:>6} ms");
        }
    }
    Ok(summary)
}

fn report_checks(summary: &queries::RunSummary, output: &Output) -> Result<()> {
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
    let names: Vec<&str> = summary.failed_checks.iter().map(|(name, _, _)| name.as_str()).collect();
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

fn generate_command(args: &GenerateArgs, output: &Output) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let config = load_config(args)?;
    let staging = Staging::create(&config.warehouse)?;
    let (summary, generate_ms) = generate_into(&staging, &config, output)?;
    warehouse::record_pipeline_run(
        staging.conn(),
        &PipelineRun {
            command: "generate",
            seed: Some(config.seed),
            config_toml: config.to_toml(),
            started_at,
            generate_ms: Some(generate_ms),
            query_ms: None,
            check_ms: None,
        },
    )?;
    staging.commit()?;
    output.info(&format!(
        "generated {} users, {} events in {:.2}s: {} ({})",
        summary.users,
        summary.events,
        started.elapsed().as_secs_f64(),
        config.warehouse.display(),
        file_size(&config.warehouse)
    ));
    Ok(ExitCode::SUCCESS)
}

fn load_ordered(dir: Option<&Path>) -> Result<Vec<queries::QueryFile>> {
    let files = queries::load(dir)?;
    Ok(queries::order(&files)?)
}

fn run_command(args: &RunArgs, output: &Output) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let config = load_config(&args.generate)?;
    // Read and order the queries first: a broken query file fails before any work.
    let files = load_ordered(args.queries.as_deref())?;
    let staging = Staging::create(&config.warehouse)?;
    let (summary, generate_ms) = generate_into(&staging, &config, output)?;
    let query_summary = run_queries(&staging, &files, output)?;
    warehouse::record_pipeline_run(
        staging.conn(),
        &PipelineRun {
            command: "run",
            seed: Some(config.seed),
            config_toml: config.to_toml(),
            started_at,
            generate_ms: Some(generate_ms),
            query_ms: Some(query_summary.query_ms),
            check_ms: Some(query_summary.check_ms),
        },
    )?;
    // Checks are recorded in the warehouse either way; a failure is reported
    // after the warehouse is in place so it can be inspected.
    staging.commit()?;
    output.info(&format!(
        "northstar run: {} users, {} events, {} queries, {} checks in {:.2}s: {} ({})",
        summary.users,
        summary.events,
        query_summary.analyses,
        query_summary.checks,
        started.elapsed().as_secs_f64(),
        config.warehouse.display(),
        file_size(&config.warehouse)
    ));
    report_checks(&query_summary, output)?;
    Ok(ExitCode::SUCCESS)
}

fn query_command(args: &QueryArgs, output: &Output) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let ordered = load_ordered(args.queries.as_deref())?;
    let files = match &args.only {
        Some(pattern) => queries::select(&ordered, pattern)?,
        None => ordered,
    };
    let staging = Staging::copy_existing(&args.warehouse)?;
    let summary = run_queries(&staging, &files, output)?;
    warehouse::record_pipeline_run(
        staging.conn(),
        &PipelineRun {
            command: "query",
            seed: None,
            config_toml: String::new(),
            started_at,
            generate_ms: None,
            query_ms: Some(summary.query_ms),
            check_ms: Some(summary.check_ms),
        },
    )?;
    staging.commit()?;
    output.info(&format!(
        "ran {} queries and {} checks in {:.2}s: {}",
        summary.analyses,
        summary.checks,
        started.elapsed().as_secs_f64(),
        args.warehouse.display()
    ));
    report_checks(&summary, output)?;
    Ok(ExitCode::SUCCESS)
}

fn list_command(args: &ListArgs) -> Result<ExitCode> {
    let files = load_ordered(args.queries.as_deref())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{:<30} {:>3}  {:<40} description", "name", "ver", "grain")?;
    for file in files {
        writeln!(
            stdout,
            "{:<30} {:>3}  {:<40} {}",
            file.name, file.version, file.grain, file.description
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn lock_command(args: &LockArgs, output: &Output) -> Result<ExitCode> {
    let count = queries::write_lock(&args.queries)
        .with_context(|| format!("unable to refresh '{}'", args.queries.join(queries::LOCK_FILE).display()))?;
    output.info(&format!("locked {count} query files"));
    Ok(ExitCode::SUCCESS)
}

/// True when the error is a closed stdout (`northstar list | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Maps an error to the process exit code: 2 for usage and configuration
/// errors, 130 for Ctrl-C, 1 for everything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if interrupt::requested()
        || err.chain().any(|cause| {
            matches!(cause.downcast_ref::<GenerateError>(), Some(GenerateError::Interrupted))
                || matches!(cause.downcast_ref::<QueryError>(), Some(QueryError::Interrupted))
        })
    {
        return EXIT_INTERRUPTED;
    }
    if err.chain().any(|cause| cause.downcast_ref::<ConfigError>().is_some()) {
        return EXIT_USAGE;
    }
    if err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<WarehouseError>(),
            Some(WarehouseError::Missing { .. })
        ) || matches!(cause.downcast_ref::<QueryError>(), Some(QueryError::NoMatch(_)))
    }) {
        return EXIT_USAGE;
    }
    1
}
