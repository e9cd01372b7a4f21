//! Command-line interface (clap derive).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

/// northstar: a product-analytics engine embedded on DuckDB.
///
/// Builds a warehouse of users and events (synthetic), computes every metric,
/// funnel, cohort and growth model with versioned SQL inside DuckDB, and
/// checks the data.
#[derive(Debug, Parser)]
#[command(
    name = "northstar",
    version,
    after_help = "Examples:\n  northstar run                          # 50,000 users, all queries and checks\n  northstar generate --users 1000000 --seed 7\n  northstar query --only 'funnel*'       # re-run the funnel queries and their dependencies\n  northstar list                         # every query with its version and grain"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print each stage and query with its timing.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic warehouse (raw and config tables only).
    Generate(GenerateArgs),
    /// The whole pipeline: generate, run every query, run the checks.
    Run(RunArgs),
    /// Run query files against an existing warehouse (all, or --only a subset).
    Query(QueryArgs),
    /// List the query files: name, version, grain and description.
    List(ListArgs),
    /// Rewrite queries/queries.lock after a query changed (refuses a changed body without a version bump).
    Lock(LockArgs),
}

/// Flags shared by `generate` and `run`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of synthetic users [default: 50000].
    #[arg(long, value_parser = parse_users, allow_hyphen_values = true)]
    pub users: Option<u64>,
    /// Random seed; the same seed and config give identical tables [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// First day of the simulated period, YYYY-MM-DD [default: 2023-01-01].
    #[arg(long, value_parser = parse_date)]
    pub start: Option<NaiveDate>,
    /// Last day of the simulated period, YYYY-MM-DD, inclusive [default: 2025-12-31].
    #[arg(long, value_parser = parse_date)]
    pub end: Option<NaiveDate>,
    /// Warehouse file to (re)build [default: warehouse/northstar.duckdb].
    #[arg(long)]
    pub warehouse: Option<PathBuf>,
    /// TOML file with the same keys plus [analysis] and [behaviour] parameters; flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Simulation threads (0 = all cores); the output does not depend on it [default: 0].
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub generate: GenerateArgs,
    /// Read query files from this directory instead of the built-in copy.
    #[arg(long)]
    pub queries: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Warehouse file to run the queries on.
    #[arg(long, default_value = "warehouse/northstar.duckdb")]
    pub warehouse: PathBuf,
    /// Run only queries whose name matches (a name or a glob like 'funnel*'), with their dependencies.
    #[arg(long)]
    pub only: Option<String>,
    /// Read query files from this directory instead of the built-in copy.
    #[arg(long)]
    pub queries: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Read query files from this directory instead of the built-in copy.
    #[arg(long)]
    pub queries: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Directory holding the query files and queries.lock.
    #[arg(long, default_value = "queries")]
    pub queries: PathBuf,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|err| format!("'{text}' is not a date in YYYY-MM-DD form ({err})"))
}

fn parse_users(text: &str) -> Result<u64, String> {
    let value: i128 = text
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number of users"))?;
    if value < 1 {
        return Err(format!("{value} users: need at least 1"));
    }
    let max = crate::config::MAX_USERS;
    if value > i128::from(max) {
        return Err(format!("{value} users is more than the supported maximum of {max}"));
    }
    Ok(value as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn users_must_be_positive_and_sane() {
        assert!(parse_users("0").is_err());
        assert!(parse_users("-5").is_err());
        assert!(parse_users("1000000000000").is_err());
        assert_eq!(parse_users("50_000"), Ok(50_000));
    }
}
