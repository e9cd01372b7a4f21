//! Connectors: `northstar ingest --from FORMAT FILE...` reads the event
//! exports of PostHog, Amplitude, Segment and Mixpanel into the same `raw.*`
//! tables as the CSV ingest (docs/CONNECTORS.md).
//!
//! Each file (a path or a glob; `.gz` read transparently) is streamed line by
//! line: a line is parsed as JSON, turned into one [`Record`] by the tool's
//! module (its documented export schema and identity rule), the `[mapping]`
//! sources are looked up, and the row is appended (Arrow batches) to a
//! staging table with its file and line. [`mapping`] then validates the
//! values in SQL (one message naming file, line, field and value), merges
//! anonymous ids into identified users, assigns the integer keys the queries
//! join on (string ids kept in `raw.user_ids`, `raw.workspace_ids`,
//! `raw.event_ids`), quarantines rows by the CSV ingest's policy and
//! derives members and the period with its functions.
//!
//! Policy (the same table as the CSV ingest, README "Ingesting your own
//! data"): a missing, empty or unreadable file, a malformed JSON line, a
//! required field missing, or a value that does not parse (timestamp,
//! revenue, seats) rejects the whole ingest and names file, line, field and
//! value; blank lines are skipped; events dated before their user's signup
//! are quarantined into `meta.rejected_rows`; a row whose own id was
//! ingested before (or earlier in the same files) is skipped, which makes
//! `--append` idempotent.

mod amplitude;
pub mod mapping;
mod mixpanel;
mod posthog;
mod segment;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use duckdb::arrow::array::{ArrayRef, Int64Array, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;
use serde_json::Value;

use crate::config::Mapping;
use crate::ingest::IngestError;
use crate::interrupt;
use crate::warehouse::sql_path;

/// The export formats `--from` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// PostHog events export: JSON lines or CSV, or batch-export Parquet.
    Posthog,
    /// Amplitude Export API: (gzipped) JSON lines.
    Amplitude,
    /// Segment track/identify calls: JSON lines.
    Segment,
    /// Mixpanel raw event export: JSON lines.
    Mixpanel,
}

impl Format {
    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Posthog => "posthog",
            Format::Amplitude => "amplitude",
            Format::Segment => "segment",
            Format::Mixpanel => "mixpanel",
        }
    }

    /// The export's field holding the event time (messages name it).
    pub fn time_field(self) -> &'static str {
        match self {
            Format::Posthog | Format::Segment => "timestamp",
            Format::Amplitude => "event_time",
            Format::Mixpanel => "properties.time",
        }
    }

    fn record(self, value: &Value) -> Result<Option<Record>, RecordError> {
        match self {
            Format::Posthog => posthog::record(value).map(Some),
            Format::Amplitude => amplitude::record(value).map(Some),
            Format::Segment => segment::record(value),
            Format::Mixpanel => mixpanel::record(value).map(Some),
        }
    }
}

/// What a row of an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A user action (an event).
    Track,
    /// An identity call: merges `anonymous` into `user`, carries traits.
    Identify,
}

/// One row of an export in the tool-independent shape.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The event's own id (idempotent appends).
    pub event_id: String,
    /// The event name as exported.
    pub name: String,
    pub kind: Kind,
    /// Identified id on the row, if any.
    pub user: Option<String>,
    /// Anonymous (device, distinct) id on the row, if any.
    pub anonymous: Option<String>,
    /// Event time as text (validated and parsed in SQL).
    pub time: String,
    pub properties: Option<Value>,
    pub traits: Option<Value>,
    pub groups: Option<Value>,
}

/// A field of one row that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordError {
    Missing(&'static str),
    Invalid {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// A JSON value as text: strings as they are, numbers and booleans printed,
/// NULL for null, an empty string or a missing value; objects and arrays
/// as JSON (an array of one value: that value, as Amplitude writes groups).
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) if text.is_empty() => None,
        Value::String(text) => Some(text.clone()),
        Value::Array(items) if items.len() == 1 => as_text(&items[0]),
        other => Some(other.to_string()),
    }
}

/// The text at a path of keys below `value`.
pub(crate) fn text_at(value: &Value, path: &[&str]) -> Option<String> {
    let mut current = value;
    for key in path {
        current = current.get(key)?;
    }
    as_text(current)
}

/// The object at a path of keys below `value`.
pub(crate) fn object_at<'a>(
    value: &'a Value,
    path: &[&str],
) -> Option<&'a serde_json::Map<String, Value>> {
    let mut current = value;
    for key in path {
        current = current.get(key)?;
    }
    current.as_object()
}

/// A top-level text field that may be absent; an object or array is refused.
pub(crate) fn optional_text(
    value: &Value,
    field: &'static str,
) -> Result<Option<String>, RecordError> {
    match value.get(field) {
        Some(Value::Object(_)) | Some(Value::Array(_)) => Err(RecordError::Invalid {
            field,
            value: value.get(field).map(Value::to_string).unwrap_or_default(),
            expected: "text or a number",
        }),
        Some(found) => Ok(as_text(found)),
        None => Ok(None),
    }
}

/// A top-level text field that must be present and not empty.
pub(crate) fn required_text(value: &Value, field: &'static str) -> Result<String, RecordError> {
    optional_text(value, field)?.ok_or(RecordError::Missing(field))
}

/// Errors of a connector ingest; each names the file (and line and field
/// when the problem is in a row). Nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("--from {format}: no file matches '{pattern}'")]
    NoMatch {
        format: &'static str,
        pattern: String,
    },
    #[error("--from {format}: file '{path}' does not exist")]
    Missing { format: &'static str, path: PathBuf },
    #[error("--from {format}: '{path}' is a directory, not a file")]
    IsDirectory { format: &'static str, path: PathBuf },
    #[error("--from {format}: '{path}' is not a regular file (a pipe, socket or device): save it to a file first")]
    NotRegular { format: &'static str, path: PathBuf },
    #[error("--from {format}: file '{path}' is empty (0 bytes)")]
    ZeroBytes { format: &'static str, path: PathBuf },
    #[error("--from {format}: file '{path}' is not {expected}")]
    WrongKind {
        format: &'static str,
        path: PathBuf,
        expected: &'static str,
    },
    #[error("--from {format}: file '{path}' cannot be read: {message}")]
    Unreadable {
        format: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("--from {format}: file '{path}' line {line}: malformed JSON ({message}): '{value}'")]
    Malformed {
        format: &'static str,
        path: PathBuf,
        line: i64,
        message: String,
        value: String,
    },
    #[error("--from {format}: file '{path}' {unit} {line} field '{field}': {problem}")]
    Field {
        format: &'static str,
        path: PathBuf,
        unit: &'static str,
        line: i64,
        field: String,
        problem: String,
    },
    #[error("--from {format}: the files hold no event ({files} file(s))")]
    NoRows { format: &'static str, files: usize },
    #[error("--from {format}: no user in the export: every person is an anonymous visitor ({visits} visits; map the signup event in [mapping.events], or export identified users)")]
    NoUsers { format: &'static str, visits: i64 },
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("connector SQL failed ({context}): {message}")]
    Sql { context: String, message: String },
}

pub(crate) fn sql_error(
    context: impl Into<String>,
) -> impl FnOnce(duckdb::Error) -> ConnectorError {
    let context = context.into();
    move |source| ConnectorError::Sql {
        context,
        message: crate::one_line(&source.to_string()),
    }
}

/// Environment variable that prints the time of each connector stage on
/// stderr (`NORTHSTAR_TIMINGS=1`), for `bench/connectors.sh`.
pub const TIMINGS_ENV: &str = "NORTHSTAR_TIMINGS";

/// Times one stage (wall and process CPU time); prints it when
/// [`TIMINGS_ENV`] is set.
pub(crate) struct Timer(Option<(std::time::Instant, f64)>);

/// CPU time of this process (user + system) in seconds, from
/// /proc/self/stat on Linux; 0 elsewhere.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

impl Timer {
    pub(crate) fn start() -> Self {
        Self(std::env::var_os(TIMINGS_ENV).map(|_| (std::time::Instant::now(), cpu_seconds())))
    }

    pub(crate) fn log(&self, stage: &str) {
        if let Some((started, cpu)) = self.0 {
            eprintln!(
                "timing: {stage:<40} {:>9.3} s wall {:>8.2} s CPU",
                started.elapsed().as_secs_f64(),
                cpu_seconds() - cpu
            );
        }
    }
}

/// Options of one connector ingest.
#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    pub format: Format,
    /// Paths or glob patterns as given.
    pub files: Vec<String>,
    /// Today (UTC): later dates are refused as implausible.
    pub today: NaiveDate,
    /// `--start`: the period's first day; earlier events and subscription
    /// starts are quarantined (default: the earliest dated row).
    pub start: Option<NaiveDate>,
    /// `--end`: the as-of date; later events and subscription starts are
    /// quarantined (default: the day before the latest event's date).
    pub end: Option<NaiveDate>,
}

/// What a connector ingest read and loaded.
#[derive(Debug, Clone, Default)]
pub struct ConnectorSummary {
    pub files: usize,
    /// Rows read (blank lines and Segment group calls excluded).
    pub rows: i64,
    /// Rows whose own id was ingested before (`--append` of the same file).
    pub already_ingested: i64,
    /// Rows repeating an id earlier in the same files (the first is kept).
    pub repeated_ids: i64,
    pub new_users: i64,
    pub new_workspaces: i64,
    pub new_events: i64,
    pub new_subscriptions: i64,
    /// Subscriptions ended by an end event of this ingest.
    pub ended_subscriptions: i64,
    /// Anonymous visitors (never identified, no signup) loaded as raw.visits.
    pub visits: i64,
    /// Events of anonymous visitors (not loaded as events).
    pub visitor_events: i64,
    /// Anonymous ids merged into identified users.
    pub merged_ids: i64,
    /// (table, reason, rows) quarantined into meta.rejected_rows.
    pub quarantined: Vec<(&'static str, String, i64)>,
    /// Event names no `[mapping.events]` entry names, kept as their own
    /// event types, with their counts (most frequent first).
    pub unmapped: Vec<(String, i64)>,
    pub period_start: Option<NaiveDate>,
    pub as_of_date: Option<NaiveDate>,
    pub rows_after_as_of: i64,
    pub users_by_as_of: i64,
}

/// The files the arguments name: a path is one file (it must exist); an
/// argument with `*`, `?` or `[` is a glob (DuckDB's `glob()`), which must
/// match at least one file. Sorted, each once.
fn expand(
    conn: &Connection,
    format: Format,
    files: &[String],
) -> Result<Vec<PathBuf>, ConnectorError> {
    let mut paths = Vec::new();
    for pattern in files {
        if Path::new(pattern).exists() || !pattern.contains(['*', '?', '[']) {
            paths.push(PathBuf::from(pattern));
            continue;
        }
        let mut statement = conn
            .prepare("select file from glob(?) order by file")
            .map_err(sql_error("expanding a glob"))?;
        let found: Vec<String> = statement
            .query_map([pattern], |row| row.get(0))
            .map_err(sql_error("expanding a glob"))?
            .collect::<Result<_, _>>()
            .map_err(sql_error("expanding a glob"))?;
        if found.is_empty() {
            return Err(ConnectorError::NoMatch {
                format: format.name(),
                pattern: pattern.clone(),
            });
        }
        paths.extend(found.into_iter().map(PathBuf::from));
    }
    let mut seen = std::collections::BTreeSet::new();
    paths.retain(|path| seen.insert(path.clone()));
    Ok(paths)
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    JsonLines,
    Csv,
    Parquet,
}

fn check_file(format: Format, path: &Path) -> Result<(FileKind, bool), ConnectorError> {
    let name = format.name();
    let metadata = std::fs::metadata(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => ConnectorError::Missing {
            format: name,
            path: path.to_path_buf(),
        },
        _ => ConnectorError::Unreadable {
            format: name,
            path: path.to_path_buf(),
            message: crate::one_line(&err.to_string()),
        },
    })?;
    if metadata.is_dir() {
        return Err(ConnectorError::IsDirectory {
            format: name,
            path: path.to_path_buf(),
        });
    }
    if !metadata.is_file() {
        return Err(ConnectorError::NotRegular {
            format: name,
            path: path.to_path_buf(),
        });
    }
    if metadata.len() == 0 {
        return Err(ConnectorError::ZeroBytes {
            format: name,
            path: path.to_path_buf(),
        });
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let gz = file_name.ends_with(".gz");
    let stem = file_name.trim_end_matches(".gz");
    let kind = if stem.ends_with(".jsonl") || stem.ends_with(".json") || stem.ends_with(".ndjson") {
        FileKind::JsonLines
    } else if format == Format::Posthog && stem.ends_with(".csv") {
        FileKind::Csv
    } else if format == Format::Posthog && !gz && stem.ends_with(".parquet") {
        FileKind::Parquet
    } else {
        return Err(ConnectorError::WrongKind {
            format: name,
            path: path.to_path_buf(),
            expected: if format == Format::Posthog {
                "JSON lines (.jsonl, .json, .ndjson), CSV (.csv), each optionally .gz, or Parquet (.parquet)"
            } else {
                "JSON lines (.jsonl, .json or .ndjson, optionally .gz)"
            },
        });
    };
    Ok((kind, gz))
}

/// The mapping's sources, in the staging table's column order.
const SOURCE_COLUMNS: [&str; 10] = [
    "workspace",
    "segment",
    "channel",
    "channel_medium",
    "device",
    "region",
    "use_case",
    "revenue",
    "plan",
    "seats",
];

/// The value of a mapping source (`properties.a.b`, `traits.x`, `groups.y`,
/// `event.<top-level field>`) on a record read from the exported `row`.
fn source_value(record: &Record, row: &Value, source: Option<&str>) -> Option<String> {
    let source = source?;
    let mut parts = source.split('.');
    let root = match parts.next()? {
        "event" => Some(row),
        "properties" => record.properties.as_ref(),
        "traits" => record.traits.as_ref(),
        "groups" => record.groups.as_ref(),
        _ => None,
    }?;
    let path: Vec<&str> = parts.collect();
    text_at(root, &path)
}

const BATCH_ROWS: usize = 65_536;

/// Column builders of the staging table `conn_rows`.
struct Batch {
    schema: Arc<Schema>,
    file_index: Vec<i64>,
    line: Vec<i64>,
    texts: Vec<StringBuilder>,
    rows: usize,
}

/// Text columns of `conn_rows` after file_index and line.
const TEXT_COLUMNS: [&str; 6] = ["event_id", "name", "kind", "user_ext", "anon_ext", "ts"];

impl Batch {
    fn new() -> Self {
        let mut fields = vec![
            Field::new("file_index", DataType::Int64, false),
            Field::new("line", DataType::Int64, false),
        ];
        for name in TEXT_COLUMNS.iter().chain(SOURCE_COLUMNS.iter()) {
            fields.push(Field::new(*name, DataType::Utf8, true));
        }
        Self {
            schema: Arc::new(Schema::new(fields)),
            file_index: Vec::with_capacity(BATCH_ROWS),
            line: Vec::with_capacity(BATCH_ROWS),
            texts: (0..TEXT_COLUMNS.len() + SOURCE_COLUMNS.len())
                .map(|_| StringBuilder::new())
                .collect(),
            rows: 0,
        }
    }

    fn push(&mut self, file_index: usize, row: Prepared) {
        self.file_index.push(file_index as i64);
        self.line.push(row.line);
        for (builder, value) in self.texts.iter_mut().zip(row.values) {
            builder.append_option(value);
        }
        self.rows += 1;
    }

    fn flush(&mut self, appender: &mut duckdb::Appender<'_>) -> Result<(), ConnectorError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(std::mem::take(&mut self.file_index))),
            Arc::new(Int64Array::from(std::mem::take(&mut self.line))),
        ];
        for builder in &mut self.texts {
            columns.push(Arc::new(builder.finish()));
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns).map_err(|err| {
            ConnectorError::Sql {
                context: "building a batch of rows".into(),
                message: crate::one_line(&err.to_string()),
            }
        })?;
        appender
            .append_record_batch(batch)
            .map_err(sql_error("staging rows"))?;
        self.rows = 0;
        Ok(())
    }
}

/// One row ready for the staging table: its line and the text columns
/// (TEXT_COLUMNS then SOURCE_COLUMNS).
struct Prepared {
    line: i64,
    values: Vec<Option<String>>,
}

impl Prepared {
    fn new(line: i64, record: Record, row: &Value, mapping: &Mapping) -> Self {
        let kind = match record.kind {
            Kind::Track => "track",
            Kind::Identify => "identify",
        };
        let mut values = Vec::with_capacity(TEXT_COLUMNS.len() + SOURCE_COLUMNS.len());
        values.extend(
            mapping
                .sources()
                .into_iter()
                .map(|(_, source)| source_value(&record, row, source)),
        );
        let fixed = [
            Some(record.event_id),
            Some(record.name),
            Some(kind.to_string()),
            record.user,
            record.anonymous,
            Some(record.time),
        ];
        values.splice(0..0, fixed);
        Self { line, values }
    }
}

/// Parses one exported row (a JSON object) into a prepared row; `None` for a
/// row the format skips (a Segment group call).
fn prepare(
    format: Format,
    mapping: &Mapping,
    path: &Path,
    unit: &'static str,
    line: i64,
    value: &Value,
) -> Result<Option<Prepared>, ConnectorError> {
    let name = format.name();
    if !value.is_object() {
        return Err(ConnectorError::Malformed {
            format: name,
            path: path.to_path_buf(),
            line,
            message: "a line must hold one JSON object".into(),
            value: shown(&value.to_string()),
        });
    }
    let record = format.record(value).map_err(|err| {
        let (field, problem) = match err {
            RecordError::Missing(field) => (field.to_string(), "a value is required".to_string()),
            RecordError::Invalid {
                field,
                value,
                expected,
            } => (
                field.to_string(),
                format!("'{}' is not {expected}", shown(&value)),
            ),
        };
        ConnectorError::Field {
            format: name,
            path: path.to_path_buf(),
            unit,
            line,
            field,
            problem,
        }
    })?;
    Ok(record.map(|record| Prepared::new(line, record, value, mapping)))
}

/// Parses one JSON line.
fn prepare_line(
    format: Format,
    mapping: &Mapping,
    path: &Path,
    line: i64,
    bytes: &[u8],
) -> Result<Option<Prepared>, ConnectorError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|err| ConnectorError::Malformed {
        format: format.name(),
        path: path.to_path_buf(),
        line,
        message: format!(
            "{} at column {}",
            err.to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default(),
            err.column()
        ),
        value: shown(&String::from_utf8_lossy(bytes)),
    })?;
    prepare(format, mapping, path, "line", line, &value)
}

/// Lines parsed side by side per chunk (in order: the first bad line of a
/// chunk is the error).
const CHUNK_LINES: usize = 32_768;

/// Parses a chunk of (line, bytes) on the available cores, in order.
fn prepare_chunk(
    format: Format,
    mapping: &Mapping,
    path: &Path,
    chunk: &[(i64, Vec<u8>)],
) -> Vec<Result<Option<Prepared>, ConnectorError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 4);
    let size = chunk.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunk
            .chunks(size)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(line, bytes)| prepare_line(format, mapping, path, *line, bytes))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// A shown value: control characters escaped, at most 80 characters.
fn shown(value: &str) -> String {
    crate::ingest::shown(value)
}

/// Reads one file's rows into the batch (and the appender when it is full).
#[allow(clippy::too_many_arguments)]
fn read_file(
    conn: &Connection,
    format: Format,
    path: &Path,
    file_index: usize,
    mapping: &Mapping,
    batch: &mut Batch,
    appender: &mut duckdb::Appender<'_>,
    scratch: &Path,
) -> Result<i64, ConnectorError> {
    let (kind, gz) = check_file(format, path)?;
    let name = format.name();
    let unreadable = |message: String| ConnectorError::Unreadable {
        format: name,
        path: path.to_path_buf(),
        message: crate::one_line(&message),
    };
    let mut rows = 0i64;
    let mut add = |row: Option<Prepared>,
                   batch: &mut Batch,
                   appender: &mut duckdb::Appender<'_>|
     -> Result<(), ConnectorError> {
        if let Some(row) = row {
            batch.push(file_index, row);
            rows += 1;
            if batch.rows >= BATCH_ROWS {
                batch.flush(appender)?;
                if interrupt::requested() {
                    return Err(ConnectorError::Interrupted);
                }
            }
        }
        Ok(())
    };
    let open = || -> Result<Box<dyn Read>, ConnectorError> {
        let file = std::fs::File::open(path).map_err(|err| unreadable(err.to_string()))?;
        Ok(if gz {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                1 << 20,
                file,
            )))
        } else {
            Box::new(file)
        })
    };
    match kind {
        FileKind::JsonLines => {
            let mut reader = BufReader::with_capacity(1 << 20, open()?);
            let mut chunk: Vec<(i64, Vec<u8>)> = Vec::with_capacity(CHUNK_LINES);
            let mut line = 0i64;
            let mut done = false;
            while !done {
                chunk.clear();
                while chunk.len() < CHUNK_LINES {
                    let mut buffer = Vec::new();
                    let read = reader
                        .read_until(b'\n', &mut buffer)
                        .map_err(|err| unreadable(format!("line {}: {err}", line + 1)))?;
                    if read == 0 {
                        done = true;
                        break;
                    }
                    line += 1;
                    if !buffer.iter().all(u8::is_ascii_whitespace) {
                        chunk.push((line, buffer));
                    }
                }
                for row in prepare_chunk(format, mapping, path, &chunk) {
                    add(row?, batch, appender)?;
                }
            }
        }
        FileKind::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(false)
                .from_reader(open()?);
            let header: Vec<String> = reader
                .headers()
                .map_err(|err| unreadable(err.to_string()))?
                .iter()
                .map(|name| name.trim().trim_start_matches('\u{feff}').to_string())
                .collect();
            let mut record = csv::StringRecord::new();
            loop {
                let more = reader.read_record(&mut record).map_err(|err| {
                    let line = err.position().map_or(0, csv::Position::line);
                    unreadable(format!("line {line}: {err}"))
                })?;
                if !more {
                    break;
                }
                let line = record.position().map_or(0, csv::Position::line) as i64;
                let value = csv_row(&header, &record).map_err(|(field, message, text)| {
                    ConnectorError::Field {
                        format: name,
                        path: path.to_path_buf(),
                        unit: "line",
                        line,
                        field,
                        problem: format!("malformed JSON ({message}): '{}'", shown(&text)),
                    }
                })?;
                add(
                    prepare(format, mapping, path, "line", line, &value)?,
                    batch,
                    appender,
                )?;
            }
        }
        FileKind::Parquet => {
            // DuckDB reads a path as a glob pattern: read a link with a plain name.
            let link = scratch.join(format!("export_{file_index}.parquet"));
            let target = std::fs::canonicalize(path).map_err(|err| unreadable(err.to_string()))?;
            link_or_copy(&target, &link).map_err(|err| unreadable(err.to_string()))?;
            let mut statement = conn
                .prepare(&format!(
                    "select cast(file_row_number + 1 as bigint), cast(to_json(t) as varchar) from \
                     (select * exclude (file_row_number), file_row_number from read_parquet('{}', file_row_number = true)) as t \
                     order by file_row_number",
                    sql_path(&link)
                ))
                .map_err(|err| unreadable(err.to_string()))?;
            let mut result = statement
                .query([])
                .map_err(|err| unreadable(err.to_string()))?;
            while let Some(row) = result.next().map_err(|err| unreadable(err.to_string()))? {
                let line: i64 = row.get(0).map_err(|err| unreadable(err.to_string()))?;
                let text: String = row.get(1).map_err(|err| unreadable(err.to_string()))?;
                let mut value: Value =
                    serde_json::from_str(&text).map_err(|err| unreadable(err.to_string()))?;
                // The batch export stores properties as JSON text.
                if let Some(Value::String(properties)) = value.get("properties") {
                    let parsed: Value =
                        serde_json::from_str(properties).map_err(|err| ConnectorError::Field {
                            format: name,
                            path: path.to_path_buf(),
                            unit: "row",
                            line,
                            field: "properties".into(),
                            problem: format!("malformed JSON ({err}): '{}'", shown(properties)),
                        })?;
                    value["properties"] = parsed;
                }
                add(
                    prepare(format, mapping, path, "row", line, &value)?,
                    batch,
                    appender,
                )?;
            }
        }
    }
    Ok(rows)
}

/// A PostHog CSV row as the JSON object of the JSON-lines export: a
/// `properties` column holds JSON text; `properties.<key>` columns (the UI's
/// flattened export) become keys of `properties`.
fn csv_row(
    header: &[String],
    record: &csv::StringRecord,
) -> Result<Value, (String, String, String)> {
    let mut object = serde_json::Map::new();
    let mut properties = serde_json::Map::new();
    for (name, field) in header.iter().zip(record.iter()) {
        if name == "properties" {
            if field.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(field) {
                Ok(Value::Object(map)) => properties.extend(map),
                Ok(_) => {
                    return Err((
                        name.clone(),
                        "expected a JSON object".into(),
                        field.to_string(),
                    ))
                }
                Err(err) => return Err((name.clone(), err.to_string(), field.to_string())),
            }
        } else if let Some(key) = name.strip_prefix("properties.") {
            if !field.is_empty() {
                let parsed = serde_json::from_str::<Value>(field)
                    .ok()
                    .filter(|v| v.is_object() || v.is_array())
                    .unwrap_or_else(|| Value::String(field.to_string()));
                properties.insert(key.to_string(), parsed);
            }
        } else if !field.is_empty() {
            object.insert(name.clone(), Value::String(field.to_string()));
        }
    }
    object.insert("properties".into(), Value::Object(properties));
    Ok(Value::Object(object))
}

#[cfg(unix)]
fn link_or_copy(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_or_copy(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

/// Reads the export files named by `options` into the raw tables on `conn`
/// (empty for a new warehouse, the previous warehouse's copy for
/// `--append`), mapped by `mapping`.
///
/// # Errors
/// Any rejection of the module docs; the caller discards the staged
/// warehouse, so nothing is written.
pub fn ingest_export(
    conn: &Connection,
    mapping: &Mapping,
    options: &ConnectorOptions,
) -> Result<ConnectorSummary, ConnectorError> {
    let format = options.format;
    if let (Some(start), Some(end)) = (options.start, options.end) {
        if end < start {
            return Err(IngestError::PeriodReversed { start, end }.into());
        }
    }
    let paths = expand(conn, format, &options.files)?;
    let scratch = tempfile::Builder::new()
        .prefix("northstar-connector-")
        .tempdir()
        .map_err(|err| ConnectorError::Sql {
            context: "creating a scratch directory".into(),
            message: crate::one_line(&err.to_string()),
        })?;
    crate::ingest::define_macros(conn)?;
    let columns: Vec<String> = TEXT_COLUMNS
        .iter()
        .chain(SOURCE_COLUMNS.iter())
        .map(|name| format!("{name} varchar"))
        .collect();
    conn.execute_batch(&format!(
        "create or replace temp table conn_files (file_index bigint, path varchar); \
         create or replace temp table conn_rows (file_index bigint not null, line bigint not null, {});",
        columns.join(", ")
    ))
    .map_err(sql_error("creating the staging table"))?;
    let mut summary = ConnectorSummary {
        files: paths.len(),
        ..ConnectorSummary::default()
    };
    let timer = Timer::start();
    {
        let mut appender = conn
            .appender_to_catalog_and_db("conn_rows", "temp", "main")
            .map_err(sql_error("staging rows"))?;
        let mut batch = Batch::new();
        for (index, path) in paths.iter().enumerate() {
            conn.execute(
                "insert into conn_files values (?, ?)",
                duckdb::params![index as i64, path.to_string_lossy().as_ref()],
            )
            .map_err(sql_error("staging rows"))?;
            summary.rows += read_file(
                conn,
                format,
                path,
                index,
                mapping,
                &mut batch,
                &mut appender,
                scratch.path(),
            )?;
        }
        batch.flush(&mut appender)?;
        appender.flush().map_err(sql_error("staging rows"))?;
    }
    timer.log("reading and staging the files");
    if summary.rows == 0 {
        return Err(ConnectorError::NoRows {
            format: format.name(),
            files: paths.len(),
        });
    }
    mapping::load(conn, mapping, options, &paths, &mut summary)?;
    Ok(summary)
}
