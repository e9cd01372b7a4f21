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
pub mod connectors;
pub mod engine;
pub mod export;
pub mod export_dir;
pub mod generator;
pub mod ingest;
pub mod interrupt;
pub mod parquet_export;
pub mod queries;
/// The PostgreSQL engine, also reachable as `northstar::postgres`.
pub use engine::postgres;
pub mod report;
pub mod seeds;
pub mod spark;
pub mod tuning;
pub mod warehouse;

/// Collapses a multi-line message (DuckDB's carets, a driver's chain) into
/// one line, so every error is the single line the CLI promises.
/// `at` as the UTC timestamp text every engine casts to `timestamp`
/// (`2026-11-29 23:46:49.123456`): recorded times are UTC, taken by the
/// runner, not from an engine's clock or time-zone setting.
pub(crate) fn utc_timestamp_text(at: chrono::DateTime<chrono::Utc>) -> String {
    at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Creates the output directory `dir` (`--out`) with its parents; a path
/// that exists but is not a directory is an error saying so.
pub(crate) fn create_out_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it exists and is not a directory",
        ));
    }
    std::fs::create_dir_all(dir)
}

/// The temporary file beside `path` that [`write_files_atomically`] writes first.
fn temp_beside(path: &std::path::Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes several files so that either all of them are replaced or none:
/// every file is written to a temporary file beside it first (a full disk
/// fails here, before anything is replaced, and the temporary files are
/// removed), then each is renamed into place.
///
/// # Errors
/// The path that failed and the I/O error.
pub(crate) fn write_files_atomically(
    files: &[(&std::path::Path, &[u8])],
) -> Result<(), (std::path::PathBuf, std::io::Error)> {
    let mut written = Vec::new();
    let remove = |temps: &[std::path::PathBuf]| {
        for temp in temps {
            let _ = std::fs::remove_file(temp);
        }
    };
    for (path, bytes) in files {
        let temp = temp_beside(path);
        let result = std::fs::File::create(&temp).and_then(|mut file| {
            std::io::Write::write_all(&mut file, bytes)?;
            file.sync_all()
        });
        written.push(temp);
        if let Err(source) = result {
            remove(&written);
            return Err((path.to_path_buf(), source));
        }
    }
    for ((path, _), temp) in files.iter().zip(&written) {
        if let Err(source) = std::fs::rename(temp, path) {
            remove(&written);
            return Err((path.to_path_buf(), source));
        }
    }
    Ok(())
}
