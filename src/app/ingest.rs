//! `northstar ingest`: CSV or Parquet files, or a tool's export (`--from`),
//! validated into a new warehouse or appended to the existing one.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use super::Output;
use crate::cli::IngestArgs;
use crate::config::{Config, ConfigError, Overrides};
use crate::connectors;
use crate::ingest;
use crate::warehouse::{self, PipelineRun, Staging};

/// Ends an ingest (CSV, Parquet or a tool's export): the config tables
/// (`None` seed: ingested data) and the `meta.pipeline_runs` row are written
/// and the staged warehouse is published.
pub(super) fn commit_ingest(
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

pub(super) fn ingest_command(args: &IngestArgs, output: &Output) -> Result<ExitCode> {
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
    let seed_data = std::sync::Arc::new(
        crate::seeds::Seeds::load(args.seeds.as_deref()).map_err(ConfigError::from)?,
    );
    let staging = Staging::create(&args.warehouse, args.force)?;
    let summary = ingest::ingest(staging.conn(), &files, &options)?;
    let config = ingested_data_config(
        &args.warehouse,
        summary.users_by_as_of,
        (summary.period_start, summary.as_of_date),
        seed_data,
    );
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
pub(super) fn connector_command(
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
    let seed_data = std::sync::Arc::new(
        crate::seeds::Seeds::load(args.seeds.as_deref()).map_err(ConfigError::from)?,
    );
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
    let config = Config {
        mapping,
        ..ingested_data_config(
            &args.warehouse,
            summary.users_by_as_of,
            (summary.period_start, summary.as_of_date),
            seed_data,
        )
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

/// The configuration written with ingested data: the period and as-of date
/// come from the data (`(period start, as-of date)`), the analysis
/// parameters are the defaults with the population equal to the data
/// (scale 1); `run --from-ingest --config FILE` applies a file's
/// `[analysis]` section. `users` is the sample the metrics cover: users
/// signed up by the as-of date.
fn ingested_data_config(
    warehouse: &std::path::Path,
    users: i64,
    (period_start, as_of_date): (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>),
    seed_data: std::sync::Arc<crate::seeds::Seeds>,
) -> Config {
    let defaults = Config::default();
    Config {
        users: users as u64,
        start: period_start.unwrap_or(defaults.start),
        end: as_of_date.unwrap_or(defaults.end),
        warehouse: warehouse.to_path_buf(),
        analysis: crate::config::AnalysisParams {
            population_users: users.max(1),
            ..defaults.analysis.clone()
        },
        seed_data,
        ..defaults
    }
}
