//! The commands: wires config, generator, warehouse and query runner, with
//! progress output on stderr and a one-line summary at the end.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::charts;
use crate::cli::{
    ChartsArgs, Cli, Command, Engine, ExportArgs, ExportTarget, GenerateArgs, IngestArgs, ListArgs,
    LockArgs, QueryArgs, RunArgs,
};
use crate::config::{Config, ConfigError, Overrides};
use crate::connectors;
use crate::export::{self, ExportError};
use crate::generator::{self, GenerateError};
use crate::ingest;
use crate::interrupt;
use crate::parquet_export;
use crate::postgres;
use crate::queries::{self, QueryError};
use crate::report;
use crate::warehouse::{self, PipelineRun, Staging, WarehouseError};

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
        Command::Generate(args) => generate_command(&args, &output),
        Command::Run(args) => run_command(&args, &output),
        Command::Query(args) => query_command(&args, &output),
        Command::List(args) => list_command(&args),
        Command::Lock(args) => lock_command(&args, &output),
        Command::Ingest(args) => ingest_command(&args, &output),
        Command::Report(args) => report_command(&args, &output),
        Command::Export(args) => export_command(&args, &output),
        Command::Charts(args) => charts_command(&args, &output),
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

fn generate_command(args: &GenerateArgs, output: &Output) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let config = load_config(args)?;
    let staging = Staging::create(&config.warehouse, args.force)?;
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
    if args.from_ingest {
        refuse_generator_flags(&args.generate)?;
    }
    let config = load_config(&args.generate)?;
    // Read and order the queries first: a broken query file fails before any work.
    let files = load_ordered(args.queries.as_deref())?;
    let (staging, summary, generate_ms, seed) = if args.from_ingest {
        // Analyse what `northstar ingest` loaded: no generation, same queries.
        let staging = Staging::copy_existing(&config.warehouse)?;
        if let Some(ingested) = ingested_config(&args.generate, &config, &staging)? {
            warehouse::write_config_tables(staging.conn(), &ingested, None)?;
        }
        let count = |table: &str| -> Result<u64> {
            let rows: i64 = staging.conn().query_row(
                &format!("select count(*) from raw.{table}"),
                [],
                |row| row.get(0),
            )?;
            Ok(rows as u64)
        };
        let summary = generator::GenerateSummary {
            users: count("users")?,
            events: count("events")?,
            ..Default::default()
        };
        (staging, summary, None, None)
    } else {
        let staging = Staging::create(&config.warehouse, args.generate.force)?;
        let (summary, generate_ms) = generate_into(&staging, &config, output)?;
        (staging, summary, Some(generate_ms), Some(config.seed))
    };
    warehouse::ensure_run_history(staging.conn())?;
    let query_summary = run_queries(&staging, &files, output)?;
    warehouse::record_pipeline_run(
        staging.conn(),
        &PipelineRun {
            command: "run",
            seed,
            config_toml: config.to_toml(),
            started_at,
            generate_ms,
            query_ms: Some(query_summary.query_ms),
            check_ms: Some(query_summary.check_ms),
        },
    )?;
    // The headline figures of this run, for the next run to compare with.
    warehouse::record_run_history(staging.conn())?;
    // Checks are recorded in the warehouse either way; a failure is reported
    // after the warehouse is in place so it can be inspected.
    staging.commit()?;
    let (report_files, (charts_summary, charts_secs)) =
        write_report_and_charts(&config.warehouse, Path::new(DEFAULT_REPORT_DIR))?;
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
    output.info(&format!("report: {}", report_files.report.display()));
    output.info(&charts_line(
        &charts_summary,
        charts_secs,
        Path::new(DEFAULT_REPORT_DIR),
    ));
    report_checks(&query_summary, output)?;
    Ok(ExitCode::SUCCESS)
}

fn query_command(args: &QueryArgs, output: &Output) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    if args.engine == Engine::Duckdb && args.database_url.is_some() {
        return Err(
            postgres::PgError::Usage("--database-url needs --engine postgres".into()).into(),
        );
    }
    let ordered = load_ordered(args.queries.as_deref())?;
    let files = match &args.only {
        Some(pattern) => queries::select(&ordered, pattern)?,
        None => ordered,
    };
    if args.engine == Engine::Postgres {
        return query_postgres(args, &files, output, started);
    }
    let staging = Staging::copy_existing(&args.warehouse)?;
    warehouse::ensure_run_history(staging.conn())?;
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

/// `northstar query --engine postgres`: the same files on a PostgreSQL database.
fn query_postgres(
    args: &QueryArgs,
    files: &[queries::QueryFile],
    output: &Output,
    started: Instant,
) -> Result<ExitCode> {
    let target = postgres::Target::from_url_and_env(args.database_url.as_deref())?;
    output.detail(&format!("running on PostgreSQL {}", target.server()));
    let bar = output.bar("queries", "files");
    let summary = postgres::run(&target, files, &bar)?;
    bar.finish_and_clear();
    output.info(&format!(
        "ran {} queries and {} checks on PostgreSQL in {:.2}s (queries {:.2}s): {}",
        summary.analyses,
        summary.checks,
        started.elapsed().as_secs_f64(),
        summary.query_ms as f64 / 1000.0,
        target.server()
    ));
    report_checks(&summary, output)?;
    Ok(ExitCode::SUCCESS)
}

fn export_command(args: &ExportArgs, output: &Output) -> Result<ExitCode> {
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

/// Where `northstar run` writes the report (`northstar report --out` changes it).
const DEFAULT_REPORT_DIR: &str = "reports";

/// What the report is rendered from and to.
fn report_options<'a>(
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

/// Opens `warehouse` read-only for the report or the charts; fails with a
/// way forward when it is not a northstar warehouse or was built by older
/// query versions than this binary's.
fn open_current(warehouse: &Path) -> Result<duckdb::Connection> {
    let versions: Vec<(String, u32)> = queries::load(None)?
        .into_iter()
        .filter(|file| file.kind == queries::QueryKind::Analysis)
        .map(|file| (file.name, file.version))
        .collect();
    Ok(warehouse::open_current(warehouse, &versions)?)
}

fn report_command(args: &crate::cli::ReportArgs, output: &Output) -> Result<ExitCode> {
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
fn write_charts(
    conn: &duckdb::Connection,
    warehouse: &Path,
    out: &Path,
) -> Result<(charts::ChartsSummary, f64), charts::ChartError> {
    let started = Instant::now();
    charts::write_reports(conn, warehouse, out)
        .map(|summary| (summary, started.elapsed().as_secs_f64()))
}

fn charts_line(summary: &charts::ChartsSummary, seconds: f64, out: &Path) -> String {
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
fn write_report_and_charts(
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

fn charts_command(args: &ChartsArgs, output: &Output) -> Result<ExitCode> {
    let conn = open_current(&args.warehouse)?;
    let (summary, seconds) = write_charts(&conn, &args.warehouse, &args.out)?;
    output.info(&charts_line(&summary, seconds, &args.out));
    Ok(ExitCode::SUCCESS)
}

fn list_command(args: &ListArgs) -> Result<ExitCode> {
    let files = load_ordered(args.queries.as_deref())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{:<30} {:>3}  {:<40} description",
        "name", "ver", "grain"
    )?;
    for file in files {
        writeln!(
            stdout,
            "{:<30} {:>3}  {:<40} {}",
            file.name, file.version, file.grain, file.description
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Ends an ingest (CSV, Parquet or a tool's export): the config tables
/// (`None` seed: ingested data) and the `meta.pipeline_runs` row are written
/// and the staged warehouse is published.
fn commit_ingest(
    staging: Staging,
    config: &Config,
    started_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
) -> Result<()> {
    warehouse::write_config_tables(staging.conn(), config, None)?;
    warehouse::record_pipeline_run(
        staging.conn(),
        &PipelineRun {
            command: "ingest",
            seed: None,
            config_toml: config.to_toml(),
            started_at,
            generate_ms: Some(started.elapsed().as_millis() as i64),
            query_ms: None,
            check_ms: None,
        },
    )?;
    staging.commit()?;
    Ok(())
}

fn ingest_command(args: &IngestArgs, output: &Output) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    if let Some(format) = args.from {
        return connector_command(args, format, output);
    }
    let (Some(users), Some(events)) = (&args.users, &args.events) else {
        return Err(ConfigError::Invalid {
            key: "ingest",
            message: "--users and --events are required without --from".into(),
        }
        .into());
    };
    let files = ingest::IngestFiles {
        users: users.clone(),
        events: events.clone(),
        workspaces: args.workspaces.clone(),
        visits: args.visits.clone(),
        subscriptions: args.subscriptions.clone(),
    };
    let options = ingest::IngestOptions {
        start: args.start,
        end: args.end,
        dedupe: !args.no_dedupe,
        today: started_at.date_naive(),
    };
    let staging = Staging::create(&args.warehouse, args.force)?;
    let summary = ingest::ingest(staging.conn(), &files, &options)?;
    // The period and as-of date come from the data; analysis parameters are
    // the defaults, with the population equal to the data (scale 1):
    // `run --from-ingest --config FILE` applies a file's [analysis] section.
    let defaults = Config::default();
    // The sample is the users the metrics cover: signed up by the as-of date.
    let users = summary.users_by_as_of;
    let config = Config {
        users: users as u64,
        start: summary.period_start.unwrap_or(defaults.start),
        end: summary.as_of_date.unwrap_or(defaults.end),
        warehouse: args.warehouse.clone(),
        analysis: crate::config::AnalysisParams {
            population_users: users.max(1),
            ..defaults.analysis.clone()
        },
        ..defaults
    };
    if config.end < config.start {
        return Err(ConfigError::Invalid {
            key: "end",
            message: format!(
                "end date {} is before start date {}",
                config.end, config.start
            ),
        }
        .into());
    }
    commit_ingest(staging, &config, started_at, started)?;
    for (table, loaded, quarantined) in &summary.tables {
        if *quarantined > 0 {
            let reasons: Vec<String> = summary
                .quarantined
                .iter()
                .filter(|(source, _, _)| source == table)
                .map(|(_, reason, rows)| format!("{reason}: {rows}"))
                .collect();
            output.info(&format!(
                "raw.{table}: {quarantined} row(s) quarantined in meta.rejected_rows ({})",
                reasons.join("; ")
            ));
        }
        output.detail(&format!("raw.{table}: {loaded} rows loaded"));
    }
    if summary.rows_after_as_of > 0 {
        output.info(&format!(
            "{} row(s) dated after the as-of date {} (taken as a partial last day) are kept in raw, outside every metric; pass --end to include that day",
            summary.rows_after_as_of, config.end
        ));
    }
    let loaded: Vec<String> = summary
        .tables
        .iter()
        .map(|(table, loaded, _)| format!("{loaded} {table}"))
        .collect();
    output.info(&format!(
        "ingested {} (period {}..{}, the last day the as-of date) in {:.2}s: {}; next: northstar run --from-ingest --warehouse {}",
        loaded.join(", "),
        config.start,
        config.end,
        started.elapsed().as_secs_f64(),
        args.warehouse.display(),
        args.warehouse.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `northstar ingest --from FORMAT FILE...`: an analytics tool's export into
/// a new warehouse, or added to the existing one with `--append`.
fn connector_command(
    args: &IngestArgs,
    format: connectors::Format,
    output: &Output,
) -> Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    if args.files.is_empty() {
        return Err(ConfigError::Invalid {
            key: "ingest",
            message: format!("--from {} needs at least one export FILE", format.name()),
        }
        .into());
    }
    let mapping = match &args.config {
        Some(path) => Config::load(Some(path), &Overrides::default())?.mapping,
        None => crate::config::Mapping::default(),
    };
    let staging = if args.append {
        Staging::copy_existing(&args.warehouse)?
    } else {
        Staging::create(&args.warehouse, args.force)?
    };
    let options = connectors::ConnectorOptions {
        format,
        files: args.files.clone(),
        today: started_at.date_naive(),
        start: args.start,
        end: args.end,
    };
    let summary = connectors::ingest_export(staging.conn(), &mapping, &options)?;
    let defaults = Config::default();
    let users = summary.users_by_as_of;
    let config = Config {
        users: users as u64,
        start: summary.period_start.unwrap_or(defaults.start),
        end: summary.as_of_date.unwrap_or(defaults.end),
        warehouse: args.warehouse.clone(),
        analysis: crate::config::AnalysisParams {
            population_users: users.max(1),
            ..defaults.analysis.clone()
        },
        mapping,
        ..defaults
    };
    commit_ingest(staging, &config, started_at, started)?;
    for (table, reason, rows) in &summary.quarantined {
        output.info(&format!(
            "raw.{table}: {rows} row(s) quarantined in meta.rejected_rows ({reason})"
        ));
    }
    if summary.already_ingested > 0 || summary.repeated_ids > 0 {
        output.info(&format!(
            "skipped {} row(s) ingested before and {} repeating an id earlier in the files",
            summary.already_ingested, summary.repeated_ids
        ));
    }
    if !summary.unmapped.is_empty() {
        let names: Vec<String> = summary
            .unmapped
            .iter()
            .map(|(name, rows)| format!("'{}' {rows}", crate::ingest::shown(name)))
            .collect();
        output.info(&format!(
            "{} unmapped event name(s) kept as their own event types: {}",
            names.len(),
            names.join(", ")
        ));
    }
    if summary.rows_after_as_of > 0 {
        output.info(&format!(
            "{} row(s) dated after the as-of date {} (taken as a partial last day) are kept in raw, outside every metric",
            summary.rows_after_as_of, config.end
        ));
    }
    output.info(&format!(
        "ingested {} rows from {} {} file(s): {} new users ({} anonymous ids merged), {} workspaces, {} events, {} subscriptions ({} ended), {} anonymous visitors ({} of their events not loaded); period {}..{} (the last day the as-of date) in {:.2}s: {}; next: northstar run --from-ingest --warehouse {}",
        summary.rows,
        summary.files,
        format.name(),
        summary.new_users,
        summary.merged_ids,
        summary.new_workspaces,
        summary.new_events,
        summary.new_subscriptions,
        summary.ended_subscriptions,
        summary.visits,
        summary.visitor_events,
        config.start,
        config.end,
        started.elapsed().as_secs_f64(),
        args.warehouse.display(),
        args.warehouse.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `run --from-ingest` analyses the data as ingested: generator flags and
/// config keys do not apply and are refused; a config file's `[analysis]`
/// section is applied, with the population equal to the data unless the file
/// sets `population_users`.
fn refuse_generator_flags(args: &GenerateArgs) -> Result<(), ConfigError> {
    let flags = [
        ("--users", args.users.is_some()),
        ("--seed", args.seed.is_some()),
        ("--start", args.start.is_some()),
        ("--end", args.end.is_some()),
        ("--threads", args.threads.is_some()),
        ("--force", args.force),
    ];
    if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
        return Err(ConfigError::NotForIngested {
            what: format!("flag {flag}"),
        });
    }
    Ok(())
}

/// The configuration of `run --from-ingest`: the period, as-of date and
/// sample of the ingest, with the `[analysis]` of `loaded` (the config file,
/// already parsed and validated by [`load_config`]). `None` without a file.
fn ingested_config(
    args: &GenerateArgs,
    loaded: &Config,
    staging: &Staging,
) -> Result<Option<Config>> {
    let Some(path) = &args.config else {
        return Ok(None);
    };
    // Which keys the file sets: the parsed Config cannot tell a default from
    // a value the user wrote.
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|err: toml::de::Error| ConfigError::Parse {
            path: path.clone(),
            message: crate::one_line(err.message()),
        })?;
    if let Some(key) = table
        .keys()
        .find(|key| !matches!(key.as_str(), "analysis" | "warehouse" | "mapping"))
    {
        return Err(ConfigError::NotForIngested {
            what: format!("key '{key}' of config file '{}'", path.display()),
        }
        .into());
    }
    let sets_population = table
        .get("analysis")
        .and_then(toml::Value::as_table)
        .is_some_and(|analysis| analysis.contains_key("population_users"));
    let (start, end, sample_users): (chrono::NaiveDate, chrono::NaiveDate, i64) =
        staging.conn().query_row(
            "select period_start, as_of_date, sample_users from config.params",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
    let mut analysis = loaded.analysis.clone();
    if !sets_population {
        analysis.population_users = sample_users.max(1);
    }
    Ok(Some(Config {
        users: sample_users.max(0) as u64,
        start,
        end,
        analysis,
        ..Config::default()
    }))
}

fn lock_command(args: &LockArgs, output: &Output) -> Result<ExitCode> {
    let count = queries::write_lock(&args.queries).with_context(|| {
        format!(
            "unable to refresh '{}'",
            args.queries.join(queries::LOCK_FILE).display()
        )
    })?;
    output.info(&format!("locked {count} query files"));
    Ok(ExitCode::SUCCESS)
}

/// The one line printed for `err`, by `main` and nowhere else: the error and
/// each cause, separated by `": "`. Our error types never format their
/// `source` into their own message (the chain prints it), so each cause
/// appears once; a foreign error that repeats its cause's text is still
/// printed once. Whitespace (DuckDB's multi-line messages) collapses to
/// single spaces.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = crate::one_line(&cause.to_string());
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
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
            matches!(
                cause.downcast_ref::<GenerateError>(),
                Some(GenerateError::Interrupted)
            ) || matches!(
                cause.downcast_ref::<QueryError>(),
                Some(QueryError::Interrupted)
            ) || matches!(
                cause.downcast_ref::<postgres::PgError>(),
                Some(postgres::PgError::Interrupted)
            ) || matches!(
                cause.downcast_ref::<connectors::ConnectorError>(),
                Some(connectors::ConnectorError::Interrupted)
            )
        })
    {
        return EXIT_INTERRUPTED;
    }
    if err
        .chain()
        .any(|cause| cause.downcast_ref::<ConfigError>().is_some())
    {
        return EXIT_USAGE;
    }
    if err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<WarehouseError>(),
            Some(
                WarehouseError::Missing { .. }
                    | WarehouseError::IsDirectory { .. }
                    | WarehouseError::NotRegular { .. }
            )
        ) || matches!(
            cause.downcast_ref::<QueryError>(),
            Some(QueryError::NoMatch(_) | QueryError::Directory { .. })
        ) || matches!(
            cause.downcast_ref::<report::ReportError>(),
            Some(report::ReportError::Templates { .. })
        ) || matches!(
            cause.downcast_ref::<postgres::PgError>(),
            Some(postgres::PgError::Usage(_) | postgres::PgError::Url { .. })
        ) || matches!(
            cause.downcast_ref::<ExportError>(),
            Some(ExportError::Warehouse(WarehouseError::Missing { .. }))
        ) || matches!(
            cause.downcast_ref::<ExportError>(),
            Some(ExportError::Dir(dir)) if dir.is_usage()
        ) || matches!(
            cause.downcast_ref::<parquet_export::ParquetExportError>(),
            Some(parquet_export::ParquetExportError::Dir(dir)) if dir.is_usage()
        ) || cause
            .downcast_ref::<crate::spark::SparkError>()
            .is_some_and(crate::spark::SparkError::is_usage)
    }) {
        return EXIT_USAGE;
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_printed_once_on_one_line() {
        let io = std::io::Error::from_raw_os_error(21);
        let inner = WarehouseError::CreateDir {
            path: "blocker".into(),
            source: io,
        };
        let err = anyhow::Error::new(inner).context("unable to start\nthe run");
        let line = error_line(&err);
        assert_eq!(line.matches("os error 21").count(), 1, "{line}");
        assert!(
            line.starts_with(
                "unable to start the run: unable to create warehouse directory 'blocker': "
            ),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
        // A cause not already in the message is kept.
        let err = anyhow::Error::new(std::io::Error::from_raw_os_error(2)).context("reading 'x'");
        assert_eq!(
            error_line(&err),
            format!("reading 'x': {}", std::io::Error::from_raw_os_error(2))
        );
    }
}
