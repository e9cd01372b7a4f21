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
    /// Load your own users and events (CSV or Parquet) into a new warehouse, validated.
    Ingest(IngestArgs),
    /// Render the text report (reports/report.txt) and summary.json from an existing warehouse.
    Report(ReportArgs),
    /// Export a warehouse for another engine (a bundle to run with psql).
    Export(ExportArgs),
    /// Write reports/dashboard.html and reports/charts/<name>.html + .png from the analytics tables.
    Charts(ChartsArgs),
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
    /// Replace --warehouse even when it is not a northstar warehouse (corrupt or another tool's file).
    #[arg(long)]
    pub force: bool,
    /// Folder of seed CSV files (growth levers, plans, segments, ...) replacing the built-in ones; docs/SEEDS.md.
    #[arg(long, value_name = "DIR")]
    pub seeds: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub generate: GenerateArgs,
    /// Read query files from this directory instead of the built-in copy.
    #[arg(long)]
    pub queries: Option<PathBuf>,
    /// Analyse the data already in --warehouse (from `northstar ingest`) instead of generating.
    #[arg(long)]
    pub from_ingest: bool,
}

/// Files for `northstar ingest` (README "Ingesting your own data" lists the columns).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  northstar ingest --users users.csv --events events.parquet --warehouse warehouse/mine.duckdb\n  northstar ingest --from posthog 'exports/*.jsonl.gz' --config northstar.toml --warehouse warehouse/mine.duckdb\n  northstar ingest --from posthog exports/week-12.jsonl.gz --config northstar.toml --append --warehouse warehouse/mine.duckdb\n  northstar run --from-ingest --warehouse warehouse/mine.duckdb"
)]
pub struct IngestArgs {
    /// Read an analytics tool's event export instead of CSV/Parquet tables (docs/CONNECTORS.md).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with_all = ["users", "events", "workspaces", "subscriptions", "visits", "dedupe", "no_dedupe"])]
    pub from: Option<crate::connectors::Format>,
    /// Export files of --from: paths or quoted globs ('exports/*.jsonl.gz'); .gz is read transparently.
    #[arg(value_name = "FILE", requires = "from")]
    pub files: Vec<String>,
    /// Config file whose [mapping] section maps the export (event names, workspace, attributes, revenue).
    #[arg(long, requires = "from")]
    pub config: Option<PathBuf>,
    /// Add the export to the existing --warehouse: rows whose own id is already there are skipped; the as-of date advances.
    #[arg(long, requires = "from", conflicts_with = "force")]
    pub append: bool,
    /// Users file (.csv with a header, or .parquet): user_id, signup_at, [segment, acquisition_channel, ...].
    #[arg(long, required_unless_present = "from")]
    pub users: Option<PathBuf>,
    /// Events file: user_id, event_type, occurred_at, [event_id, workspace_id].
    #[arg(long, required_unless_present = "from")]
    pub events: Option<PathBuf>,
    /// Workspaces file: workspace_id, owner_user_id, created_at, [workspace_name, workspace_type].
    #[arg(long)]
    pub workspaces: Option<PathBuf>,
    /// Subscriptions file: user_id, started_at, monthly_revenue, [subscription_id, workspace_id, plan, seats, ended_at].
    #[arg(long)]
    pub subscriptions: Option<PathBuf>,
    /// Visits file (awareness): visited_at, channel, [visit_id, landing_page, user_id].
    #[arg(long)]
    pub visits: Option<PathBuf>,
    /// First day of the analysed period, YYYY-MM-DD; earlier rows are quarantined [default: the earliest dated row].
    #[arg(long, value_parser = parse_date)]
    pub start: Option<NaiveDate>,
    /// Last complete day (the as-of date), YYYY-MM-DD; later rows are quarantined [default: the day before the latest event's date, whose rows stay in raw outside every metric].
    #[arg(long, value_parser = parse_date)]
    pub end: Option<NaiveDate>,
    /// Quarantine exact duplicate events (same user_id, event_type, occurred_at, workspace_id) as 'duplicate event' [default: on].
    #[arg(long, overrides_with = "no_dedupe")]
    pub dedupe: bool,
    /// Keep exact duplicate events (turns --dedupe off).
    #[arg(long, overrides_with = "dedupe")]
    pub no_dedupe: bool,
    /// Warehouse file to build.
    #[arg(long, default_value = "warehouse/northstar.duckdb")]
    pub warehouse: PathBuf,
    /// Replace --warehouse even when it is not a northstar warehouse.
    #[arg(long)]
    pub force: bool,
    /// Folder of seed CSV files (growth levers, plans, funnel stages, ...) replacing the built-in ones; docs/SEEDS.md.
    #[arg(long, value_name = "DIR")]
    pub seeds: Option<PathBuf>,
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
    /// Engine to run on: the DuckDB warehouse file, or a PostgreSQL database holding the raw and config tables.
    #[arg(long, value_enum, default_value_t = Engine::Duckdb)]
    pub engine: Engine,
    /// PostgreSQL connection URL (postgres://user@host:port/dbname); what it leaves out comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Where `northstar query` runs the query files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The DuckDB warehouse file (--warehouse).
    Duckdb,
    /// A PostgreSQL database (--database-url or PG* variables); --warehouse is not used.
    Postgres,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub target: ExportTarget,
}

#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// Schema (with comments), data as CSV, load and query scripts for psql, run.sh and README.md.
    Postgres(ExportPostgresArgs),
    /// Every raw, config, analytics and meta table as Parquet; events partitioned by month (hive-style).
    Parquet(ExportParquetArgs),
    /// Parquet data, registration and run.sql for spark-sql (every query file inline, in Spark's dialect), run.sh --master, README.md.
    Spark(ExportPostgresArgs),
}

#[derive(Debug, Args)]
pub struct ExportParquetArgs {
    /// Directory to write (an existing one must be empty or an earlier export, whose files alone are replaced; see its .northstar-export).
    #[arg(long)]
    pub out: PathBuf,
    /// Warehouse to export.
    #[arg(long, default_value = "warehouse/northstar.duckdb")]
    pub warehouse: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportPostgresArgs {
    /// Directory to write the bundle to (created; the files of a previous bundle there are replaced, nothing else).
    #[arg(long)]
    pub out: PathBuf,
    /// Warehouse whose raw and config tables to export.
    #[arg(long, default_value = "warehouse/northstar.duckdb")]
    pub warehouse: PathBuf,
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
pub struct ReportArgs {
    /// Warehouse file to report on.
    #[arg(long, default_value = "warehouse/northstar.duckdb")]
    pub warehouse: PathBuf,
    /// Directory to write report.txt and summary.json to (created if needed).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Directory of templates (report.txt, base.txt, macros.txt) overriding the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Directory holding the query files and queries.lock.
    #[arg(long, default_value = "queries")]
    pub queries: PathBuf,
}

#[derive(Debug, Args)]
pub struct ChartsArgs {
    /// Warehouse file to read the analytics tables from.
    #[arg(long, default_value = "warehouse/northstar.duckdb")]
    pub warehouse: PathBuf,
    /// Directory to write dashboard.html and charts/ into.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
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
        return Err(format!(
            "{value} users is more than the supported maximum of {max}"
        ));
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
