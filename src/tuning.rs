//! DuckDB settings chosen for scale (TARGETS.md section 2, P3 and P4).
//!
//! DuckDB's defaults are one worker thread per core, a memory limit of 80% of
//! physical memory and order-preserving sinks. The memory limit is the one
//! that matters: on a 24 GiB machine the 10,000,000-user run let the buffer
//! pool and `user_days`' hash aggregate (about 100 million groups) grow past
//! 19 GiB of RSS instead of spilling. A fixed limit makes large operators
//! spill to the warehouse's `.tmp` directory (DuckDB's default temp
//! directory beside the file) and keeps the process under the 8 GiB goal.
//!
//! The automatic checkpoint is turned off (`checkpoint_threshold`): DuckDB
//! checkpoints whenever the write-ahead log passes 16 MiB, which during a
//! run rewrote tables half-way (one query of the default run took 400 ms
//! instead of 140 ms because a checkpoint fell inside it), although the
//! staged file is checkpointed once anyway when it is committed
//! (`Staging::commit`) and is deleted if the run fails. About 5% of a
//! default run.
//!
//! Call [`apply`] once on a connection right after it is opened (settings
//! are per database instance, so one call covers every attached catalog).

use duckdb::Connection;

/// Environment variable overriding the memory limit, in DuckDB's syntax
/// (`"6GB"`, `"1500MiB"`).
pub const MEMORY_LIMIT_ENV: &str = "NORTHSTAR_MEMORY_LIMIT";

/// Default memory limit in MiB: spills at 10M users rather than growing,
/// leaves room under the 2 GiB (1M users) and 8 GiB (10M users) RSS goals for
/// what DuckDB allocates outside its buffer pool and for the generator.
pub const DEFAULT_MEMORY_LIMIT_MIB: u64 = 1536;

/// The settings [`apply`] runs, as SQL (shown by `--verbose` if wanted).
///
/// `memory_limit`: DuckDB syntax, `None` for the default. DuckDB keeps its
/// default of one worker thread per core.
fn settings_sql(memory_limit: Option<&str>) -> String {
    let limit = memory_limit
        .map(str::trim)
        .filter(|limit| !limit.is_empty())
        .map_or_else(
            || format!("{DEFAULT_MEMORY_LIMIT_MIB}MiB"),
            |limit| limit.replace('\'', ""),
        );
    format!("set memory_limit = '{limit}'; set checkpoint_threshold = '1TB';")
}

/// Applies [`settings_sql`] with the memory limit from
/// [`MEMORY_LIMIT_ENV`] (or [`DEFAULT_MEMORY_LIMIT_MIB`]).
///
/// # Errors
/// DuckDB rejects a setting (an unparsable `NORTHSTAR_MEMORY_LIMIT`).
pub fn apply(conn: &Connection) -> duckdb::Result<()> {
    let limit = std::env::var(MEMORY_LIMIT_ENV).ok();
    conn.execute_batch(&settings_sql(limit.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_given_limit() {
        assert_eq!(
            settings_sql(None),
            "set memory_limit = '1536MiB'; set checkpoint_threshold = '1TB';"
        );
        assert_eq!(
            settings_sql(Some(" 6GB ")),
            "set memory_limit = '6GB'; set checkpoint_threshold = '1TB';"
        );
        assert!(settings_sql(Some("")).starts_with("set memory_limit = '1536MiB';"));
    }

    #[test]
    fn settings_are_accepted_by_duckdb() {
        let conn = Connection::open_in_memory().expect("in-memory duckdb");
        conn.execute_batch(&settings_sql(Some("1GB")))
            .expect("settings apply");
        let limit: String = conn
            .query_row("select current_setting('memory_limit')", [], |row| {
                row.get(0)
            })
            .expect("memory_limit");
        assert!(limit.contains("953") || limit.contains("1.0"), "{limit}");
        assert!(settings_sql(Some("bogus'")).contains("'bogus'"));
        assert!(conn.execute_batch(&settings_sql(Some("bogus"))).is_err());
    }
}
