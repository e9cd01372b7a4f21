//! `northstar query` (re-run query files on DuckDB or PostgreSQL), `list` and
//! `lock` (the query files and `queries.lock`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};

use super::{load_ordered, report_checks, run_queries, Output};
use crate::cli::{Engine, ListArgs, LockArgs, QueryArgs};
use crate::postgres;
use crate::queries::{self};
use crate::warehouse::{self, PipelineRun, Staging};

pub(super) fn query_command(args: &QueryArgs, output: &Output) -> Result<ExitCode> {
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
    warehouse::ensure_seed_tables(staging.conn())?;
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
pub(super) fn query_postgres(
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

pub(super) fn list_command(args: &ListArgs) -> Result<ExitCode> {
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

pub(super) fn lock_command(args: &LockArgs, output: &Output) -> Result<ExitCode> {
    let count = queries::write_lock(&args.queries).with_context(|| {
        format!(
            "unable to refresh '{}'",
            args.queries.join(queries::LOCK_FILE).display()
        )
    })?;
    output.info(&format!("locked {count} query files"));
    Ok(ExitCode::SUCCESS)
}
