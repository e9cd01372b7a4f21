//! One query file: its header (`-- name:`, `-- version:`, `-- depends:`,
//! `-- grain:`, `-- description:`, optional `-- severity:` for checks) and
//! body, parsed and checksummed.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::QueryError;

/// Whether a file materializes a table or checks the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    Analysis,
    Check,
}

/// What a check's offending rows mean: an error fails the run, a warning
/// is recorded and printed only (header line `-- severity: warning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The word stored in `meta.check_results.severity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One parsed query file.
#[derive(Debug, Clone)]
pub struct QueryFile {
    pub name: String,
    pub version: u32,
    pub depends: Vec<String>,
    pub grain: String,
    pub description: String,
    /// Path relative to the queries directory, with `/` separators.
    pub path: String,
    /// The whole file text (header comments included, so DuckDB's line
    /// numbers are the file's).
    pub text: String,
    /// SHA-256 of the body below the header.
    pub checksum: String,
    pub kind: QueryKind,
    /// Checks only: `error` (default) fails the run, `warning` is reported.
    pub severity: Severity,
    pub(crate) depends_line: usize,
    /// Line of the first body line (after the header).
    pub(crate) body_line: usize,
}

/// Folder of the query files about the synthetic data itself (the
/// calibration targets): they run only on generated data.
pub const SYNTHETIC_DIR: &str = "synthetic/";

impl QueryFile {
    /// True for a file under `queries/synthetic/`.
    pub fn is_synthetic(&self) -> bool {
        self.path.starts_with(SYNTHETIC_DIR)
    }

    /// The `COMMENT ON TABLE analytics.<name>` text: description, grain,
    /// source path and version (the same on DuckDB and PostgreSQL).
    pub fn table_comment(&self) -> String {
        format!(
            "{} ({}; {} v{})",
            self.description, self.grain, self.path, self.version
        )
    }
}

const HEADER_FIELDS: [&str; 5] = ["name", "version", "depends", "grain", "description"];
/// Header fields a file may leave out.
const OPTIONAL_HEADER_FIELDS: [&str; 1] = ["severity"];

/// Parses a query file's header (`-- key: value` lines at the top).
///
/// # Errors
/// A missing or malformed header field, or a body that is not one statement.
pub fn parse(path: &str, text: &str) -> Result<QueryFile, QueryError> {
    let header_error = |line: usize, message: String| QueryError::Header {
        path: path.to_string(),
        line,
        message,
    };
    let text = text.replace("\r\n", "\n");
    let mut fields: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    let mut body_start = 0;
    for (index, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            break;
        };
        let Some((key, value)) = comment.split_once(':') else {
            break;
        };
        let key = key.trim();
        if !HEADER_FIELDS.contains(&key) && !OPTIONAL_HEADER_FIELDS.contains(&key) {
            break;
        }
        if fields
            .insert(key, (index + 1, value.trim().to_string()))
            .is_some()
        {
            return Err(header_error(
                index + 1,
                format!("header field '{key}' appears twice"),
            ));
        }
        body_start = index + 1;
    }
    for key in HEADER_FIELDS {
        if !fields.contains_key(key) {
            return Err(header_error(
                body_start + 1,
                format!("missing header field '-- {key}:' (a query starts with name, version, depends, grain, description)"),
            ));
        }
    }
    let field = |key: &str| fields.get(key).cloned().unwrap_or_default();
    let (name_line, name) = field("name");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(header_error(
            name_line,
            format!("query name '{name}' must be snake_case (a-z, 0-9, _)"),
        ));
    }
    let (version_line, version_text) = field("version");
    let version: u32 = version_text
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            header_error(
                version_line,
                format!("version '{version_text}' must be a positive integer"),
            )
        })?;
    let (depends_line, depends_text) = field("depends");
    let depends: Vec<String> = depends_text
        .split(',')
        .map(str::trim)
        .filter(|dep| !dep.is_empty())
        .map(str::to_string)
        .collect();
    let (_, grain) = field("grain");
    let (_, description) = field("description");
    let body: String = text.lines().skip(body_start).collect::<Vec<_>>().join("\n");
    let trimmed = body.trim().trim_end_matches(';').trim();
    if trimmed.is_empty() {
        return Err(header_error(
            body_start + 1,
            "the query body is empty".into(),
        ));
    }
    let checksum = hex::encode(Sha256::digest(body.trim().as_bytes()));
    let kind = if path.starts_with("checks/") {
        QueryKind::Check
    } else {
        QueryKind::Analysis
    };
    let severity = match fields.get("severity") {
        None => Severity::Error,
        Some((line, value)) => match (value.as_str(), kind) {
            (_, QueryKind::Analysis) => {
                return Err(header_error(
                    *line,
                    "'-- severity:' applies to checks (queries/checks/) only".into(),
                ))
            }
            ("error", QueryKind::Check) => Severity::Error,
            ("warning", QueryKind::Check) => Severity::Warning,
            (other, QueryKind::Check) => {
                return Err(header_error(
                    *line,
                    format!("severity '{other}' must be 'error' or 'warning'"),
                ))
            }
        },
    };
    Ok(QueryFile {
        name,
        version,
        depends,
        grain,
        description,
        path: path.to_string(),
        text: text.trim_end().trim_end_matches(';').to_string(),
        checksum,
        kind,
        severity,
        depends_line,
        body_line: body_start + 1,
    })
}
