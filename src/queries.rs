//! The query runner: discovers versioned SQL files, parses their headers,
//! orders them by dependency and materializes each as `analytics.<name>`;
//! checks (`queries/checks/`) return offending rows and are recorded in
//! `meta.check_results`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::{params, Connection};
use include_dir::{include_dir, Dir};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use crate::interrupt;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/queries");

/// Name of the lock file that pins name, version and checksum of every query.
pub const LOCK_FILE: &str = "queries.lock";

/// Errors of the query layer; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("unable to read queries from '{path}': {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Header {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: depends on unknown query '{dependency}'")]
    UnknownDependency {
        path: String,
        line: usize,
        dependency: String,
    },
    #[error("--queries '{path}' {problem}")]
    Directory {
        path: PathBuf,
        problem: &'static str,
    },
    #[error("dependency cycle among queries: {0}")]
    Cycle(String),
    #[error("two query files are named '{name}': '{first}' and '{second}'")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
    #[error("{path}:{line}: query '{name}' failed: {message}")]
    Execute {
        path: String,
        name: String,
        line: usize,
        message: String,
    },
    #[error("no query matches --only '{0}'")]
    NoMatch(String),
    #[error("{count} data-quality check(s) failed: {names}")]
    ChecksFailed { count: usize, names: String },
    #[error("unable to record the run of '{name}': {source}")]
    Record { name: String, source: duckdb::Error },
    #[error("unable to open a connection for the query runner: {0}")]
    Connect(duckdb::Error),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Lock(String),
    #[error("{path}:{line}: a query file must be exactly one read-only SELECT (WITH ... SELECT included): {found}; nothing was run")]
    NotASelect {
        path: String,
        line: usize,
        found: String,
    },
    #[error("unable to restrict the query stage (external access off, configuration locked): {0}")]
    Restrict(String),
}

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
    depends_line: usize,
    /// Line of the first body line (after the header).
    body_line: usize,
}

impl QueryFile {
    /// The `COMMENT ON TABLE analytics.<name>` text: description, grain,
    /// source path and version (the same on DuckDB and PostgreSQL).
    pub fn table_comment(&self) -> String {
        format!(
            "{} ({}; {} v{})",
            self.description, self.grain, self.path, self.version
        )
    }
}

/// Reads query files from `dir`, or the embedded copy when `dir` is None.
///
/// # Errors
/// Unreadable files or invalid headers.
pub fn load(dir: Option<&Path>) -> Result<Vec<QueryFile>, QueryError> {
    let mut sources: Vec<(String, String)> = Vec::new();
    match dir {
        Some(dir) => {
            let problem = if !dir.exists() {
                Some("does not exist")
            } else if !dir.is_dir() {
                Some("is not a directory: pass the directory holding the query files (<domain>/<name>.sql)")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(QueryError::Directory {
                    path: dir.to_path_buf(),
                    problem,
                });
            }
            collect_dir(dir, dir, &mut sources)?;
            if sources.is_empty() {
                return Err(QueryError::Directory {
                    path: dir.to_path_buf(),
                    problem: "is empty: it holds no .sql query files",
                });
            }
        }
        None => collect_embedded(&EMBEDDED, &mut sources),
    }
    sources.sort();
    let files = sources
        .iter()
        .map(|(path, text)| parse(path, text))
        .collect::<Result<Vec<_>, _>>()?;
    if dir.is_some() {
        // A directory may come from someone else; the embedded files are
        // checked once by `embedded_queries_are_single_selects`.
        ensure_single_selects(&files)?;
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for file in &files {
        if let Some(first) = seen.insert(&file.name, &file.path) {
            return Err(QueryError::Duplicate {
                name: file.name.clone(),
                first: first.to_string(),
                second: file.path.clone(),
            });
        }
    }
    Ok(files)
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|ext| ext == "sql") {
            if let Some(text) = file.contents_utf8() {
                out.push((
                    file.path().to_string_lossy().replace('\\', "/"),
                    text.to_string(),
                ));
            }
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

fn collect_dir(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), QueryError> {
    let entries = std::fs::read_dir(dir).map_err(|source| QueryError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| QueryError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_dir(root, &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "sql") {
            let text = std::fs::read_to_string(&path).map_err(|source| QueryError::Read {
                path: path.clone(),
                source,
            })?;
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            // The path is written into comments (the PostgreSQL bundle's
            // psql scripts among them): a line break there would start a
            // line of its own.
            if relative.chars().any(char::is_control) {
                return Err(QueryError::Header {
                    path: relative.escape_default().to_string(),
                    line: 1,
                    message:
                        "a query file name may not contain control characters (a line break, a tab)"
                            .into(),
                });
            }
            out.push((relative, text));
        }
    }
    Ok(())
}

/// Refuses any file whose text is not exactly one SELECT statement (a `WITH
/// ... SELECT`, a `UNION` and DuckDB's `FROM`-first form are selects): a
/// query directory may come from someone else, and the runner wraps each
/// file in its own `create table ... as` or `select count(*) from (...)`.
/// DuckDB's own parser decides (`json_serialize_sql` serializes select
/// statements only), so a second statement after a `;`, a `drop`, `copy`,
/// `attach` or `set`, or a body that closes the wrapper's parenthesis (which
/// does not parse on its own) is refused before anything runs.
///
/// # Errors
/// [`QueryError::NotASelect`] naming the file.
fn ensure_single_selects(files: &[QueryFile]) -> Result<(), QueryError> {
    let conn = Connection::open_in_memory().map_err(QueryError::Connect)?;
    for file in files {
        ensure_single_select(&conn, file)?;
    }
    Ok(())
}

fn ensure_single_select(conn: &Connection, file: &QueryFile) -> Result<(), QueryError> {
    let refuse = |line: usize, found: String| QueryError::NotASelect {
        path: file.path.clone(),
        line,
        found: crate::one_line(&found),
    };
    let serialized: String = conn
        .query_row(
            "select cast(json_serialize_sql(cast(? as varchar)) as varchar)",
            [&file.text],
            |row| row.get(0),
        )
        .map_err(|err| refuse(file.body_line, format!("DuckDB cannot parse it ({err})")))?;
    let parsed: serde_json::Value = serde_json::from_str(&serialized)
        .map_err(|err| refuse(file.body_line, format!("unreadable parse result ({err})")))?;
    if parsed.get("error").and_then(serde_json::Value::as_bool) == Some(true) {
        let message = parsed
            .get("error_message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown error");
        let kind = parsed
            .get("error_type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        return Err(if message.contains("Only SELECT statements") {
            refuse(
                file.body_line,
                "it holds a statement that is not a SELECT (such as DROP, CREATE, INSERT, COPY, ATTACH, SET)".into(),
            )
        } else if kind.eq_ignore_ascii_case("parser") {
            // DuckDB gives the character offset of a syntax error.
            let line = parsed
                .get("position")
                .and_then(serde_json::Value::as_str)
                .and_then(|position| position.parse::<usize>().ok())
                .map_or(file.body_line, |position| {
                    let bytes = file.text.as_bytes();
                    let before = &bytes[..position.min(bytes.len())];
                    before.iter().filter(|byte| **byte == b'\n').count() + 1
                });
            refuse(line, format!("it does not parse on its own ({message})"))
        } else {
            refuse(file.body_line, message.to_string())
        });
    }
    let count = parsed
        .get("statements")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    if count != 1 {
        return Err(refuse(
            file.body_line,
            format!("it holds {count} statements"),
        ));
    }
    // A select can still hold a data-modifying part (`with gone as (delete
    // from raw.users returning *) select ...`, a subquery around an insert):
    // every query node in it must be a select, a set operation or a CTE.
    if let Some(node) = modifying_node(&parsed) {
        let what = match node.as_str() {
            "UPDATE_QUERY_NODE" => "an UPDATE".to_string(),
            "DELETE_QUERY_NODE" => "a DELETE".to_string(),
            "INSERT_QUERY_NODE" => "an INSERT".to_string(),
            "MERGE_QUERY_NODE" => "a MERGE".to_string(),
            "COPY_QUERY_NODE" => "a COPY".to_string(),
            other => format!("a statement that is not a SELECT ({other})"),
        };
        return Err(refuse(
            file.body_line,
            format!("it holds {what} inside the select (in a WITH or a subquery)"),
        ));
    }
    Ok(())
}

/// Query node types a read-only select is made of.
const READ_ONLY_NODES: [&str; 4] = [
    "SELECT_NODE",
    "SET_OPERATION_NODE",
    "RECURSIVE_CTE_NODE",
    "CTE_NODE",
];

/// The first query node in DuckDB's serialized parse tree that is not part
/// of a read-only select (an UPDATE, DELETE, INSERT, MERGE or COPY node,
/// or a statement node wrapping anything else).
fn modifying_node(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(kind)) = map.get("type") {
                if kind.ends_with("_NODE") && !READ_ONLY_NODES.contains(&kind.as_str()) {
                    return Some(kind.clone());
                }
            }
            map.values().find_map(modifying_node)
        }
        serde_json::Value::Array(items) => items.iter().find_map(modifying_node),
        _ => None,
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

/// Orders files so each comes after its dependencies (ties by path).
///
/// # Errors
/// An unknown dependency or a cycle.
pub fn order(files: &[QueryFile]) -> Result<Vec<QueryFile>, QueryError> {
    let by_name: BTreeMap<&str, &QueryFile> = files.iter().map(|f| (f.name.as_str(), f)).collect();
    for file in files {
        for dep in &file.depends {
            if !by_name.contains_key(dep.as_str()) {
                return Err(QueryError::UnknownDependency {
                    path: file.path.clone(),
                    line: file.depends_line,
                    dependency: dep.clone(),
                });
            }
        }
    }
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(files.len());
    let mut remaining: Vec<&QueryFile> = files.iter().collect();
    remaining.sort_by(|a, b| a.path.cmp(&b.path));
    while !remaining.is_empty() {
        let before = remaining.len();
        let mut index = 0;
        while index < remaining.len() {
            if remaining[index]
                .depends
                .iter()
                .all(|dep| done.contains(dep.as_str()))
            {
                let file = remaining.remove(index);
                done.insert(&file.name);
                ordered.push(file.clone());
                index = 0;
            } else {
                index += 1;
            }
        }
        if remaining.len() == before {
            let names: Vec<&str> = remaining.iter().map(|f| f.name.as_str()).collect();
            return Err(QueryError::Cycle(names.join(", ")));
        }
    }
    Ok(ordered)
}

/// Selects the files matching `pattern` (a name, or a glob with `*`) and
/// everything they depend on, in dependency order.
///
/// # Errors
/// Nothing matches.
pub fn select(ordered: &[QueryFile], pattern: &str) -> Result<Vec<QueryFile>, QueryError> {
    let by_name: BTreeMap<&str, &QueryFile> =
        ordered.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = ordered
        .iter()
        .filter(|f| glob_match(pattern, &f.name))
        .map(|f| f.name.clone())
        .collect();
    if stack.is_empty() {
        return Err(QueryError::NoMatch(pattern.to_string()));
    }
    while let Some(name) = stack.pop() {
        if wanted.insert(name.clone()) {
            if let Some(file) = by_name.get(name.as_str()) {
                stack.extend(file.depends.iter().cloned());
            }
        }
    }
    Ok(ordered
        .iter()
        .filter(|f| wanted.contains(&f.name))
        .cloned()
        .collect())
}

fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            match rest.strip_prefix(part) {
                Some(tail) => rest = tail,
                None => return false,
            }
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// DuckDB reports `LINE n:`; map it to the file's line (the statement is the
/// file text with `create table ... as ` prepended on the same first line).
fn error_line(message: &str) -> usize {
    message
        .split("LINE ")
        .nth(1)
        .and_then(|tail| tail.split(':').next())
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or(1)
}

/// Outcome of a runner pass.
#[derive(Debug, Default, Clone)]
pub struct RunSummary {
    pub analyses: usize,
    pub checks: usize,
    /// Error-level checks that found offending rows: (name, rows, sample).
    pub failed_checks: Vec<(String, i64, Vec<String>)>,
    /// Warning-level checks that found offending rows (recorded, not failing).
    pub warnings: Vec<(String, i64, Vec<String>)>,
    /// Wall-clock milliseconds of the whole stage (query files and checks,
    /// which run side by side).
    pub query_ms: i64,
    /// Milliseconds the checks took, summed (they overlap the query files).
    pub check_ms: i64,
}

/// How many query files run at once: DuckDB already runs each query on all
/// cores, but most of ours are small and spend their time in single-threaded
/// phases (planning, the final merge, writing the table), so two at a time
/// fill the cores better (goal P1, bench/GOALS.md). Results do not depend on it.
pub const PARALLEL_QUERIES: usize = 2;

/// What one file produced.
enum Outcome {
    Analysis { rows: i64 },
    Check { offending: i64, sample: Vec<String> },
}

/// Materializes one analysis (table, row count, table comment) or runs one
/// check (offending count and up to five sample rows) on `conn`.
fn execute(conn: &Connection, file: &QueryFile) -> Result<Outcome, QueryError> {
    let execute_error = |err: duckdb::Error| {
        let message = err.to_string();
        QueryError::Execute {
            path: file.path.clone(),
            name: file.name.clone(),
            line: error_line(&message),
            message: crate::one_line(&message),
        }
    };
    match file.kind {
        QueryKind::Analysis => {
            // Table, row count and comment in one transaction: one commit.
            let rows = crate::warehouse::in_transaction(conn, execute_error, || {
                // One prepared statement: DuckDB refuses to prepare two.
                conn.execute(
                    &format!(
                        "create or replace table analytics.{} as {}",
                        file.name, file.text
                    ),
                    [],
                )
                .map_err(execute_error)?;
                let rows: i64 = conn
                    .query_row(
                        &format!("select count(*) from analytics.{}", file.name),
                        [],
                        |row| row.get(0),
                    )
                    .map_err(execute_error)?;
                conn.execute(
                    &format!(
                        "comment on table analytics.{} is '{}'",
                        file.name,
                        file.table_comment().replace('\'', "''")
                    ),
                    [],
                )
                .map_err(execute_error)?;
                Ok(rows)
            })?;
            Ok(Outcome::Analysis { rows })
        }
        QueryKind::Check => {
            let offending: i64 = conn
                .query_row(
                    &format!("select count(*) from ({}\n) as offending", file.text),
                    [],
                    |row| row.get(0),
                )
                .map_err(execute_error)?;
            let mut sample = Vec::new();
            if offending > 0 {
                // Every value as DuckDB's own text (what a SQL client shows:
                // 60, 2024-01-01, 2024-01-01 10:00:00), NULL as NULL.
                let mut statement = conn
                    .prepare(&format!(
                        "select cast(columns(*) as varchar) from ({}\n) as offending limit 5",
                        file.text
                    ))
                    .map_err(execute_error)?;
                let mut rows = statement.query([]).map_err(execute_error)?;
                let columns = rows
                    .as_ref()
                    .map_or(0, |statement| statement.column_count());
                while let Some(row) = rows.next().map_err(execute_error)? {
                    let values: Vec<String> = (0..columns)
                        .map(|index| match row.get_ref(index) {
                            Ok(value) => format_value(value),
                            Err(_) => "?".into(),
                        })
                        .collect();
                    sample.push(values.join(", "));
                }
            }
            Ok(Outcome::Check { offending, sample })
        }
    }
}

/// Records a finished file in `meta.query_runs` or `meta.check_results`.
fn record(
    conn: &Connection,
    file: &QueryFile,
    outcome: &Outcome,
    elapsed: i64,
) -> Result<(), QueryError> {
    let record_error = |source| QueryError::Record {
        name: file.name.clone(),
        source,
    };
    crate::warehouse::in_transaction(conn, record_error, || {
        record_rows(conn, file, outcome, elapsed)
    })
}

fn record_rows(
    conn: &Connection,
    file: &QueryFile,
    outcome: &Outcome,
    elapsed: i64,
) -> Result<(), QueryError> {
    let record_error = |source| QueryError::Record {
        name: file.name.clone(),
        source,
    };
    match outcome {
        Outcome::Analysis { rows } => {
            conn.execute(
                "delete from meta.query_runs where query_name = ?",
                params![file.name],
            )
            .map_err(record_error)?;
            conn.execute(
                "insert into meta.query_runs values (?, ?, ?, ?, ?, ?, current_timestamp::timestamp)",
                params![file.name, file.version, file.checksum, file.path, rows, elapsed],
            )
            .map_err(record_error)?;
        }
        Outcome::Check { offending, sample } => {
            conn.execute(
                "delete from meta.check_results where check_name = ?",
                params![file.name],
            )
            .map_err(record_error)?;
            conn.execute(
                "insert into meta.check_results (check_name, check_version, description, passed, offending_rows, sample, ran_at, severity) \
                 values (?, ?, ?, ?, ?, ?, current_timestamp::timestamp, ?)",
                params![file.name, file.version, file.description, *offending == 0, offending, sample.join("\n"), file.severity.as_str()],
            )
            .map_err(record_error)?;
        }
    }
    Ok(())
}

/// Adds `meta.check_results.severity` to a warehouse written before checks
/// had one (its rows were all error-level).
pub const MIGRATE_CHECK_RESULTS: &str =
    "alter table meta.check_results add column if not exists severity varchar default 'error'";

/// Turns off DuckDB's access to anything outside the attached databases
/// (files, `ATTACH`, `COPY`, extensions) and locks the configuration so no
/// statement can turn it back on, for the rest of this database instance's
/// life: the query files run with only the warehouse in reach. The runner's
/// own work afterwards (recording runs, checkpoint, detach) needs neither.
/// Idempotent: a second pass on the same instance finds it locked.
///
/// # Errors
/// DuckDB refuses a setting, or the instance is locked with external access on.
pub fn restrict(conn: &Connection) -> Result<(), QueryError> {
    let setting = |name: &str| -> Result<String, QueryError> {
        conn.query_row(
            &format!("select cast(current_setting('{name}') as varchar)"),
            [],
            |row| row.get(0),
        )
        .map_err(|err| QueryError::Restrict(crate::one_line(&err.to_string())))
    };
    if !setting("lock_configuration")?.eq_ignore_ascii_case("true") {
        conn.execute_batch("set enable_external_access = false; set lock_configuration = true;")
            .map_err(|err| QueryError::Restrict(crate::one_line(&err.to_string())))?;
    }
    if setting("enable_external_access")?.eq_ignore_ascii_case("true") {
        return Err(QueryError::Restrict(
            "enable_external_access is locked on for this database instance".into(),
        ));
    }
    Ok(())
}

/// A second connection to `conn`'s database, using the same catalog and schema.
fn worker_connection(conn: &Connection) -> duckdb::Result<Connection> {
    let (catalog, schema): (String, String) =
        conn.query_row("select current_database(), current_schema()", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let worker = conn.try_clone()?;
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    worker.execute_batch(&format!("use {}.{}", quote(&catalog), quote(&schema)))?;
    Ok(worker)
}

/// How many files depend on file `index`, directly or through others.
fn transitive_dependents(dependents: &[Vec<usize>], index: usize) -> usize {
    let mut seen = BTreeSet::new();
    let mut stack = vec![index];
    while let Some(next) = stack.pop() {
        for &dependent in &dependents[next] {
            if seen.insert(dependent) {
                stack.push(dependent);
            }
        }
    }
    seen.len()
}

/// Materializes the analyses and runs the checks among `files` (already
/// ordered) on `conn`, recording `meta.query_runs` and `meta.check_results`.
/// Up to [`PARALLEL_QUERIES`] files run at once, each on its own connection,
/// a file as soon as the files it depends on are done; dependencies outside
/// `files` must already be in the warehouse. Failed checks are recorded and
/// reported in the summary (in file order); the caller decides what a
/// failure means.
///
/// # Errors
/// A query that DuckDB rejects (file and line named; after it, no new file
/// starts and the running ones finish), or an interrupt.
pub fn run(
    conn: &Connection,
    files: &[QueryFile],
    progress: &ProgressBar,
) -> Result<RunSummary, QueryError> {
    let stage = Instant::now();
    restrict(conn)?;
    let mut summary = RunSummary::default();
    progress.set_length(files.len() as u64);
    // A warehouse written before checks had a severity gains the column.
    conn.execute_batch(MIGRATE_CHECK_RESULTS)
        .map_err(|source| QueryError::Record {
            name: "meta.check_results".into(),
            source,
        })?;
    let index_of: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.name.as_str(), index))
        .collect();
    let mut missing = vec![0usize; files.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (index, file) in files.iter().enumerate() {
        for dependency in &file.depends {
            if let Some(&before) = index_of.get(dependency.as_str()) {
                missing[index] += 1;
                dependents[before].push(index);
            }
        }
    }
    // Files that more files wait on start first (the staging tables before
    // the checks, which nothing waits on); the given order breaks ties.
    let waiting_on: Vec<usize> = (0..files.len())
        .map(|index| transitive_dependents(&dependents, index))
        .collect();
    let priority = |index: usize| (std::cmp::Reverse(waiting_on[index]), index);
    let mut ready: BTreeSet<(std::cmp::Reverse<usize>, usize)> = (0..files.len())
        .filter(|&i| missing[i] == 0)
        .map(priority)
        .collect();
    let worker_count = PARALLEL_QUERIES.min(files.len()).max(1);
    let workers = (0..worker_count)
        .map(|_| worker_connection(conn))
        .collect::<duckdb::Result<Vec<_>>>()
        .map_err(QueryError::Connect)?;
    // Ctrl-C cancels the running statements rather than waiting for them
    // (at 10M users one file can take over a minute).
    let cancel: Vec<_> = workers.iter().map(Connection::interrupt_handle).collect();
    let mut failed: Vec<(usize, i64, Vec<String>)> = Vec::new();
    let mut warned: Vec<(usize, i64, Vec<String>)> = Vec::new();
    let mut first_error: Option<QueryError> = None;

    let (job_sender, job_receiver) = std::sync::mpsc::channel::<usize>();
    let job_receiver = std::sync::Mutex::new(job_receiver);
    let (done_sender, done_receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for worker in workers {
            let job_receiver = &job_receiver;
            let done_sender = done_sender.clone();
            scope.spawn(move || loop {
                let next = job_receiver.lock().map(|receiver| receiver.recv());
                let Ok(Ok(index)) = next else {
                    return;
                };
                let file: &QueryFile = &files[index];
                let started = Instant::now();
                // A panic must not leave the coordinator waiting for this file.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    execute(&worker, file)
                }))
                .unwrap_or_else(|_| {
                    Err(QueryError::Execute {
                        path: file.path.clone(),
                        name: file.name.clone(),
                        line: 1,
                        message: "the query runner panicked".into(),
                    })
                });
                let elapsed = started.elapsed().as_millis() as i64;
                if done_sender.send((index, outcome, elapsed)).is_err() {
                    return;
                }
            });
        }
        drop(done_sender);
        let mut running = 0usize;
        loop {
            while running < worker_count && first_error.is_none() {
                if interrupt::requested() {
                    first_error = Some(QueryError::Interrupted);
                    break;
                }
                let Some((_, index)) = ready.pop_first() else {
                    break;
                };
                progress.set_message(files[index].name.clone());
                if job_sender.send(index).is_err() {
                    break;
                }
                running += 1;
            }
            if running == 0 {
                break;
            }
            let (index, outcome, elapsed) =
                match done_receiver.recv_timeout(std::time::Duration::from_millis(100)) {
                    Ok(done) => done,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if interrupt::requested() {
                            // repeated until the files stop: a file that had
                            // not started its statement yet is caught next time
                            first_error.get_or_insert(QueryError::Interrupted);
                            cancel.iter().for_each(|handle| handle.interrupt());
                        }
                        continue;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                };
            running -= 1;
            let file = &files[index];
            let outcome = match outcome
                .and_then(|outcome| record(conn, file, &outcome, elapsed).map(|()| outcome))
            {
                Ok(outcome) => outcome,
                Err(err) => {
                    first_error.get_or_insert(err);
                    continue;
                }
            };
            match outcome {
                Outcome::Analysis { .. } => {
                    summary.analyses += 1;
                }
                Outcome::Check { offending, sample } => {
                    summary.check_ms += elapsed;
                    summary.checks += 1;
                    if offending > 0 {
                        match file.severity {
                            Severity::Error => failed.push((index, offending, sample)),
                            Severity::Warning => warned.push((index, offending, sample)),
                        }
                    }
                }
            }
            for &dependent in &dependents[index] {
                missing[dependent] -= 1;
                if missing[dependent] == 0 {
                    ready.insert(priority(dependent));
                }
            }
            progress.inc(1);
        }
        drop(job_sender);
    });
    if let Some(err) = first_error {
        return Err(err);
    }
    summary.query_ms = stage.elapsed().as_millis() as i64;
    let named = |mut list: Vec<(usize, i64, Vec<String>)>| {
        list.sort_by_key(|(index, _, _)| *index);
        list.into_iter()
            .map(|(index, offending, sample)| (files[index].name.clone(), offending, sample))
            .collect::<Vec<_>>()
    };
    summary.failed_checks = named(failed);
    summary.warnings = named(warned);
    Ok(summary)
}

/// One value of a check's sample row (cast to text by the query): text
/// unquoted, NULL as `NULL`; control characters escaped so a row stays on
/// one line.
fn format_value(value: duckdb::types::ValueRef<'_>) -> String {
    use duckdb::types::ValueRef;
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes)
            .chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect(),
        // unreachable while the sample query casts every column to varchar
        other => format!("{other:?}"),
    }
}

/// The lock file text for `files`: one `name version checksum` line each.
pub fn lock_text(files: &[QueryFile]) -> String {
    let mut lines: Vec<String> = files
        .iter()
        .map(|f| format!("{} {} {}", f.name, f.version, f.checksum))
        .collect();
    lines.sort();
    let mut text = String::from("# name version sha256(body): regenerate with `northstar lock`; a changed body needs a new version\n");
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// Compares `files` with a lock file's text. Returns the problems found:
/// a body changed without a version bump is an error; a new file or a bumped
/// version only needs the lock refreshed.
pub fn lock_problems(files: &[QueryFile], lock: &str) -> (Vec<String>, Vec<String>) {
    let mut locked: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
    for line in lock
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [name, version, checksum] = parts[..] {
            locked.insert(name, (version.parse().unwrap_or(0), checksum));
        }
    }
    let mut errors = Vec::new();
    let mut stale = Vec::new();
    for file in files {
        match locked.get(file.name.as_str()) {
            Some((version, checksum)) if *version == file.version && *checksum != file.checksum => {
                errors.push(format!(
                    "{}: the body of '{}' changed but its version is still {}; bump '-- version:'",
                    file.path, file.name, file.version
                ))
            }
            Some((version, _)) if *version > file.version => errors.push(format!(
                "{}: version of '{}' went down from {} to {}",
                file.path, file.name, version, file.version
            )),
            Some((version, checksum)) if *version == file.version && *checksum == file.checksum => {
            }
            Some(_) => stale.push(format!("{}: version bumped; refresh the lock", file.name)),
            None => stale.push(format!("{}: not in the lock yet", file.name)),
        }
    }
    for name in locked.keys() {
        if !files.iter().any(|f| f.name == *name) {
            stale.push(format!("{name}: in the lock but no file has that name"));
        }
    }
    (errors, stale)
}

/// Writes `queries/queries.lock` for the files in `dir`, refusing when a
/// body changed without a version bump.
///
/// # Errors
/// Read failures or changed bodies.
pub fn write_lock(dir: &Path) -> Result<usize, QueryError> {
    let files = load(Some(dir))?;
    let lock_path = dir.join(LOCK_FILE);
    let existing = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let (errors, _) = lock_problems(&files, &existing);
    if !errors.is_empty() {
        return Err(QueryError::Lock(errors.join("; ")));
    }
    std::fs::write(&lock_path, lock_text(&files)).map_err(|source| QueryError::Read {
        path: lock_path.clone(),
        source,
    })?;
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, depends: &str) -> String {
        format!("-- name: {name}\n-- version: 1\n-- depends: {depends}\n-- grain: one row\n-- description: test\nselect 1 as one\n")
    }

    #[test]
    fn transitive_dependents_counts_every_file_downstream() {
        // 0 <- 1 <- 2, 0 <- 3, 4 alone
        let dependents = vec![vec![1, 3], vec![2], vec![], vec![], vec![]];
        assert_eq!(transitive_dependents(&dependents, 0), 3);
        assert_eq!(transitive_dependents(&dependents, 1), 1);
        assert_eq!(transitive_dependents(&dependents, 4), 0);
    }

    #[test]
    fn parallel_run_follows_dependencies_and_reports_the_failure() {
        // c reads b, which reads a: run two at a time, c must still see b's rows.
        let texts = [
            ("a", "", "select 1 as x union all select 2"),
            ("b", "a", "select x * 10 as x from analytics.a"),
            ("c", "b", "select sum(x) as total from analytics.b"),
            ("d", "", "select 4 as x"),
        ];
        let files: Vec<QueryFile> = texts
            .iter()
            .map(|(name, depends, body)| {
                let text = format!(
                    "-- name: {name}\n-- version: 1\n-- depends: {depends}\n-- grain: one row\n-- description: test\n{body}\n"
                );
                parse(&format!("x/{name}.sql"), &text).expect("valid header")
            })
            .collect();
        let files = order(&files).expect("acyclic");
        let conn = Connection::open_in_memory().expect("duckdb");
        crate::warehouse::create_schema(&conn).expect("schema");
        let summary = run(&conn, &files, &ProgressBar::hidden()).expect("runs");
        assert_eq!(summary.analyses, 4);
        let total: i64 = conn
            .query_row("select total from analytics.c", [], |row| row.get(0))
            .expect("c");
        assert_eq!(total, 30);
        let recorded: i64 = conn
            .query_row("select count(*) from meta.query_runs", [], |row| row.get(0))
            .expect("meta");
        assert_eq!(recorded, 4);

        // a failing file is named, and nothing that depends on it runs
        let mut broken = files.clone();
        broken[0].text = broken[0]
            .text
            .replace("select 1 as x", "select no_such_column as x");
        conn.execute_batch("drop table analytics.c").expect("drop");
        let err = run(&conn, &broken, &ProgressBar::hidden()).expect_err("a fails");
        assert!(err.to_string().contains("x/a.sql"), "{err}");
        assert!(conn
            .query_row("select count(*) from analytics.c", [], |row| row
                .get::<_, i64>(0))
            .is_err());
    }

    #[test]
    fn header_is_parsed() -> Result<(), QueryError> {
        let parsed = parse("a/x.sql", &file("x", "y, z"))?;
        assert_eq!(parsed.name, "x");
        assert_eq!(parsed.version, 1);
        assert_eq!(parsed.depends, vec!["y", "z"]);
        Ok(())
    }

    #[test]
    fn severity_is_an_optional_header_of_checks() -> Result<(), QueryError> {
        let check = |severity: &str| {
            format!("-- name: c\n-- version: 1\n-- depends:\n{severity}-- grain: one row\n-- description: d\nselect 1 as one\n")
        };
        assert_eq!(parse("checks/c.sql", &check(""))?.severity, Severity::Error);
        let warning = parse("checks/c.sql", &check("-- severity: warning\n"))?;
        assert_eq!(warning.severity, Severity::Warning);
        assert_eq!(
            warning.grain, "one row",
            "fields after severity are still read"
        );
        let err =
            parse("checks/c.sql", &check("-- severity: fatal\n")).expect_err("unknown severity");
        assert!(
            err.to_string().contains("checks/c.sql:4: severity 'fatal'"),
            "{err}"
        );
        let err = parse("x/c.sql", &check("-- severity: warning\n")).expect_err("analysis");
        assert!(
            err.to_string().contains("checks (queries/checks/) only"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn missing_field_names_file_and_field() {
        let err = parse("a/x.sql", "-- name: x\n-- version: 1\nselect 1").expect_err("must fail");
        let message = err.to_string();
        assert!(message.starts_with("a/x.sql:"), "{message}");
        assert!(message.contains("'-- depends:'"), "{message}");
    }

    #[test]
    fn cycle_and_unknown_dependency_are_errors() -> Result<(), QueryError> {
        let a = parse("a.sql", &file("a", "b"))?;
        let b = parse("b.sql", &file("b", "a"))?;
        assert!(matches!(order(&[a.clone(), b]), Err(QueryError::Cycle(_))));
        let err = order(&[a]).expect_err("unknown dependency");
        assert!(err.to_string().contains("unknown query 'b'"), "{err}");
        Ok(())
    }

    #[test]
    fn order_puts_dependencies_first_and_select_pulls_them() -> Result<(), QueryError> {
        let files = vec![
            parse("z.sql", &file("top", "mid"))?,
            parse("y.sql", &file("mid", "base"))?,
            parse("x.sql", &file("base", ""))?,
            parse("w.sql", &file("other", ""))?,
        ];
        let ordered = order(&files)?;
        let names: Vec<&str> = ordered.iter().map(|f| f.name.as_str()).collect();
        let position = |name: &str| names.iter().position(|n| *n == name);
        assert!(position("base") < position("mid") && position("mid") < position("top"));
        let selected = select(&ordered, "to*")?;
        let selected: Vec<&str> = selected.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(selected, vec!["base", "mid", "top"]);
        Ok(())
    }

    #[test]
    fn changed_body_without_bump_is_an_error() -> Result<(), QueryError> {
        let original = parse("x.sql", &file("x", ""))?;
        let lock = lock_text(&[original]);
        let changed = parse("x.sql", &file("x", "").replace("select 1", "select 2"))?;
        let (errors, _) = lock_problems(&[changed], &lock);
        assert_eq!(errors.len(), 1, "{errors:?}");
        Ok(())
    }

    #[test]
    fn error_line_is_read_from_duckdb_message() {
        assert_eq!(
            error_line("Parser Error: syntax error at or near \"form\"\n\nLINE 7: select * form x"),
            7
        );
    }

    #[test]
    fn embedded_queries_are_single_selects() -> Result<(), QueryError> {
        let files = load(None)?;
        assert!(files.len() > 30);
        ensure_single_selects(&files)
    }

    #[test]
    fn only_a_single_select_is_accepted() -> Result<(), QueryError> {
        let header = "-- name: x\n-- version: 1\n-- depends:\n-- grain: g\n-- description: d\n";
        let check = |path: &str, body: &str| {
            let file = parse(path, &format!("{header}{body}\n"))?;
            ensure_single_selects(&[file])
        };
        for body in [
            "select 1 as x",
            "select 1 as x;",
            "with t as (select 1 as x) select x from t",
            "select 1 as x union all select 2",
            "from raw.users select user_id",
            "select ';' as x -- ; drop table raw.users",
            "with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select n from r",
            "select 'with d as (delete from raw.users returning *)' as text_only",
        ] {
            check("a/x.sql", body)?;
        }
        for body in [
            "select 1 as x; drop table raw.users; create table raw.users as select 1 as user_id",
            "select 1; select 2",
            "drop table raw.users",
            "create table analytics.x as select 1",
            "insert into raw.users select * from raw.users",
            "attach 'other.duckdb' as other",
            "copy raw.users to 'users.csv'",
            "set enable_external_access = true",
            "pragma enable_profiling",
            "select 1 as x where false) as o; drop table raw.users; select * from (select 1 as x",
            "with gone as (delete from raw.users returning *) select * from gone",
            "with u as (update raw.users set email = '' returning *) select count(*) from u",
            "with i as (insert into raw.users select * from raw.users returning *) select 1",
            "select (with d as (delete from raw.users returning user_id) select count(*) from d) as n",
            "select 1 as x union all (with d as (delete from raw.users returning 1) select * from d)",
        ] {
            let err = check("checks/x.sql", body).expect_err(body);
            assert!(matches!(err, QueryError::NotASelect { .. }), "{body}: {err}");
            let message = err.to_string();
            assert!(message.starts_with("checks/x.sql:"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
        Ok(())
    }

    #[test]
    fn the_query_stage_reaches_nothing_outside_the_database() -> Result<(), QueryError> {
        let conn = Connection::open_in_memory().map_err(QueryError::Connect)?;
        conn.execute_batch("create table t as select 1 as x")
            .map_err(QueryError::Connect)?;
        restrict(&conn)?;
        // idempotent on the same instance
        restrict(&conn)?;
        let dir = std::env::temp_dir().join(format!("northstar-restrict-{}", std::process::id()));
        let target = dir.join("out.csv");
        for sql in [
            format!("copy t to '{}'", target.display()),
            format!("attach '{}' as other", dir.join("other.duckdb").display()),
            "select * from read_csv('/etc/hostname')".to_string(),
            "select * from glob('/*')".to_string(),
            "set enable_external_access = true".to_string(),
            "set lock_configuration = false".to_string(),
        ] {
            assert!(conn.execute_batch(&sql).is_err(), "{sql} ran");
        }
        assert!(!target.exists());
        // the warehouse itself is still in reach
        let x: i64 = conn
            .query_row("select x from t", [], |row| row.get(0))
            .map_err(QueryError::Connect)?;
        assert_eq!(x, 1);
        Ok(())
    }

    #[test]
    fn embedded_queries_parse_and_order() -> Result<(), QueryError> {
        let files = load(None)?;
        order(&files)?;
        Ok(())
    }
}
