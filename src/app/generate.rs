//! `northstar generate`: synthetic users into a new warehouse (no queries).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use super::*;
use crate::cli::GenerateArgs;
use crate::warehouse::{self, PipelineRun, Staging};

pub(super) fn generate_command(args: &GenerateArgs, output: &Output) -> Result<ExitCode> {
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
