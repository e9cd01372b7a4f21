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
pub mod export_dir;
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

/// Writes `bytes` to `path` through a temporary file beside it and a rename,
/// so a reader never sees a half-written file; the temporary file is removed
/// if either step fails.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
