//! DuckDB settings chosen for scale (goals P3 and P4 in bench/GOALS.md).
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

/// Smallest memory limit accepted: below it DuckDB cannot even create the
/// schemas and fails with a screenful of repeated errors.
pub const MIN_MEMORY_LIMIT_MIB: u64 = 64;

/// The form [`MEMORY_LIMIT_ENV`] must have, as printed in its error.
const MEMORY_LIMIT_FORM: &str =
    "a size such as 6GB, 1536MiB or 0.5TB (a positive number and one of KB, MB, GB, TB, KiB, MiB, GiB, TiB), at least 64MiB";

/// Parses a memory limit such as `6GB`, `1536 MiB` or `0.5TB` into bytes.
///
/// # Errors
/// The message says what is wrong (no number, unknown unit, too small).
pub fn parse_memory_limit(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .ok()
        .filter(|value: &f64| value.is_finite())
        .ok_or_else(|| format!("'{text}' does not start with a positive number"))?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "" => return Err(format!("'{text}' has no unit")),
        other => return Err(format!("'{other}' is not a unit")),
    };
    let bytes = number * multiplier;
    if bytes < (MIN_MEMORY_LIMIT_MIB * 1024 * 1024) as f64 {
        return Err(format!(
            "'{text}' is below the minimum of {MIN_MEMORY_LIMIT_MIB}MiB"
        ));
    }
    if bytes > u64::MAX as f64 {
        return Err(format!("'{text}' is too large"));
    }
    Ok(bytes as u64)
}

/// Checks every `NORTHSTAR_*` variable northstar reads (only
/// [`MEMORY_LIMIT_ENV`]) once at startup, so a bad value is one line naming
/// the variable and the accepted form instead of a DuckDB failure later.
///
/// # Errors
/// [`crate::config::ConfigError::Env`] (exit code 2).
pub fn validate_env() -> Result<(), crate::config::ConfigError> {
    let Some(value) = std::env::var_os(MEMORY_LIMIT_ENV) else {
        return Ok(());
    };
    let text = value.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(());
    }
    parse_memory_limit(&text)
        .map(drop)
        .map_err(|problem| crate::config::ConfigError::Env {
            name: MEMORY_LIMIT_ENV,
            problem,
            expected: MEMORY_LIMIT_FORM,
        })
}

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
            |limit| match parse_memory_limit(limit) {
                // Whole bytes: DuckDB's own parser is then never asked to read `0.5TB`.
                Ok(bytes) => format!("{bytes}B"),
                Err(_) => limit.replace('\'', ""),
            },
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
            "set memory_limit = '6000000000B'; set checkpoint_threshold = '1TB';"
        );
        assert!(settings_sql(Some("")).starts_with("set memory_limit = '1536MiB';"));
    }

    #[test]
    fn memory_limits_are_validated() {
        assert_eq!(parse_memory_limit("6GB"), Ok(6_000_000_000));
        assert_eq!(parse_memory_limit(" 1536 MiB "), Ok(1536 << 20));
        assert_eq!(parse_memory_limit("0.5tb"), Ok(500_000_000_000));
        assert_eq!(parse_memory_limit("64MiB"), Ok(64 << 20));
        for bad in [
            "bogus", "1KB", "-5GB", "5", "5XB", "", "GB", "63MiB", "1e3GB",
        ] {
            let err = parse_memory_limit(bad).expect_err(bad);
            assert!(!err.contains('\n'), "{err}");
        }
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
