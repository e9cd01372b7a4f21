//! northstar: a product-analytics engine embedded on DuckDB.
//!
//! Stages, one module each: [`config`] (TOML + flags), [`generator`]
//! (synthetic raw data), [`warehouse`] (the DuckDB file, atomic builds),
//! [`queries`] (versioned SQL runner and checks), [`charts`] (HTML and PNG
//! charts, the dashboard), and [`app`] which wires
//! them into the commands of the CLI ([`cli`]).

pub mod app;
pub mod charts;
pub mod cli;
pub mod config;
pub mod export;
pub mod generator;
pub mod ingest;
pub mod interrupt;
pub mod parquet_export;
pub mod postgres;
pub mod queries;
pub mod report;
pub mod tuning;
pub mod warehouse;

/// Collapses a multi-line message (DuckDB's carets, a driver's chain) into
/// one line, so every error is the single line the CLI promises.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
