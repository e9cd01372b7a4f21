//! `northstar run`: generate (or take the ingested data with `--from-ingest`),
//! run every query and check, then write the report and the charts.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use super::report::{charts_line, write_report_and_charts, DEFAULT_REPORT_DIR};
use super::{
    file_size, generate_into, load_config, load_ordered, report_checks, run_queries, Output,
};
use crate::cli::{GenerateArgs, RunArgs};
use crate::config::{Config, ConfigError};
use crate::generator::{self};
use crate::warehouse::{self, PipelineRun, Staging};

pub(super) fn run_command(args: &RunArgs, output: &Output) -> Result<ExitCode> {
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

/// `run --from-ingest` analyses the data as ingested: generator flags and
/// config keys do not apply and are refused; a config file's `[analysis]`
/// section is applied, with the population equal to the data unless the file
/// sets `population_users`.
pub(super) fn refuse_generator_flags(args: &GenerateArgs) -> Result<(), ConfigError> {
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
/// already parsed and validated by [`load_config`]) and its seeds. `None`
/// without a file or `--seeds`.
pub(super) fn ingested_config(
    args: &GenerateArgs,
    loaded: &Config,
    staging: &Staging,
) -> Result<Option<Config>> {
    // Which keys the file sets: the parsed Config cannot tell a default from
    // a value the user wrote. Without a file, only `--seeds` rewrites the
    // config tables.
    let table: toml::Table = match &args.config {
        Some(path) => config_file_keys(path)?,
        None if args.seeds.is_some() => toml::Table::new(),
        None => return Ok(None),
    };
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
        seeds: loaded.seeds.clone(),
        seed_data: loaded.seed_data.clone(),
        ..Config::default()
    }))
}

/// The top-level keys of the config file of `run --from-ingest`, refusing
/// a key that does not apply to ingested data.
fn config_file_keys(path: &std::path::Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|err: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: crate::one_line(err.message()),
        })?;
    if let Some(key) = table
        .keys()
        .find(|key| !matches!(key.as_str(), "analysis" | "warehouse" | "mapping" | "seeds"))
    {
        return Err(ConfigError::NotForIngested {
            what: format!("key '{key}' of config file '{}'", path.display()),
        }
        .into());
    }
    Ok(table)
}
