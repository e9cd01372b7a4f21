//! Real data in: loads users, events and the optional tables from CSV (with
//! a header) or Parquet files, validates them, and builds a warehouse with the
//! same `raw.*` schema the generator writes.
//!
//! CSV files are parsed by the `csv` crate (so every message names the real
//! physical line, also after quoted line breaks and skipped blank lines) and
//! handed to DuckDB as a clean intermediate file; Parquet files are read by
//! DuckDB's reader. Every value is then validated and typed by the same SQL
//! (one timestamp macro for the type check and the load alike).
//!
//! Policy (README "Ingesting your own data"):
//! - rejected (nothing is written): a file that is missing, a directory, not a
//!   regular file, empty, not CSV or Parquet, unreadable, lacking a required
//!   column, with two columns whose names differ only in case, a ragged row, a
//!   value that does not parse or is out of its range (file, line, column and
//!   value are named), a NUL byte in text, a date outside the plausible window
//!   when no `--start`/`--end` is given, or a duplicate id;
//! - quarantined into `meta.rejected_rows` (reason and count printed): rows
//!   that reference an unknown (or quarantined) user or workspace, events or
//!   subscriptions dated before their user's signup, rows outside an explicit
//!   `--start`/`--end` period, and exact duplicate events (`--dedupe`, on by
//!   default).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use duckdb::Connection;
use duckdb::OptionalExt;

use crate::interrupt;
use crate::warehouse::sql_path;

/// Earliest date accepted without an explicit `--start`.
pub const PLAUSIBLE_FIRST_DATE: &str = "1990-01-01";

/// The kind of value a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Number,
    Timestamp,
    Text,
}

impl Kind {
    fn sql_type(self) -> &'static str {
        match self {
            Kind::Integer => "bigint",
            Kind::Number => "double precision",
            Kind::Timestamp => "timestamp",
            Kind::Text => "varchar",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Integer => "integer (a whole number)",
            Kind::Number => "number",
            Kind::Timestamp => {
                "timestamp (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]] with an optional Z, +HH:MM or +HHMM offset, or epoch seconds/milliseconds)"
            }
            Kind::Text => "text",
        }
    }

    /// SQL that turns the validated text `value` into the typed value (NULL when
    /// it does not parse: the type check looks for exactly those).
    fn typed(self, value: &str) -> String {
        match self {
            Kind::Integer => format!(
                "(case when regexp_full_match({value}, '[+-]?[0-9]+(\\.0*)?') \
                 then try_cast(regexp_replace({value}, '\\.0*$', '') as bigint) end)"
            ),
            Kind::Number => format!(
                "(case when regexp_full_match({value}, '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?') \
                 and isfinite(try_cast({value} as double)) then try_cast({value} as double) end)"
            ),
            Kind::Timestamp => format!("ns_parse_timestamp({value})"),
            Kind::Text => value.to_string(),
        }
    }
}

/// One column of a raw table as ingest reads it.
struct ColumnSpec {
    name: &'static str,
    kind: Kind,
    /// SQL for the value when the column is absent or the cell is empty
    /// (None = required).
    default: Option<&'static str>,
    /// Accepted range of a number, inclusive (documented in the README).
    range: Option<(f64, f64)>,
    /// Dates of this column define the period (plausible window, quarantine
    /// outside an explicit `--start`/`--end`).
    dates_the_row: bool,
}

const fn required(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        default: None,
        range: None,
        dates_the_row: false,
    }
}

const fn optional(name: &'static str, kind: Kind, default: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        default: Some(default),
        range: None,
        dates_the_row: false,
    }
}

const fn dating(mut column: ColumnSpec) -> ColumnSpec {
    column.dates_the_row = true;
    column
}

const fn within(mut column: ColumnSpec, low: f64, high: f64) -> ColumnSpec {
    column.range = Some((low, high));
    column
}

/// A raw table ingest can load.
struct TableSpec {
    table: &'static str,
    flag: &'static str,
    id: Option<&'static str>,
    columns: &'static [ColumnSpec],
}

impl TableSpec {
    fn date_column(&self) -> Option<&'static str> {
        self.columns
            .iter()
            .find(|column| column.dates_the_row)
            .map(|column| column.name)
    }
}

/// Largest monthly revenue of one subscription accepted (USD).
pub const MAX_MONTHLY_REVENUE: f64 = 1_000_000_000.0;
/// Largest seat count of one subscription accepted.
pub const MAX_SEATS: f64 = 10_000_000.0;

const USERS: TableSpec = TableSpec {
    table: "users",
    flag: "--users",
    id: Some("user_id"),
    columns: &[
        required("user_id", Kind::Integer),
        dating(required("signup_at", Kind::Timestamp)),
        optional("full_name", Kind::Text, "''"),
        optional("email", Kind::Text, "''"),
        optional("company_name", Kind::Text, "null"),
        optional("segment", Kind::Text, "'unknown'"),
        optional("acquisition_channel", Kind::Text, "'unknown'"),
        optional("device", Kind::Text, "'unknown'"),
        optional("region", Kind::Text, "'unknown'"),
        optional("use_case", Kind::Text, "'unknown'"),
    ],
};

const EVENTS: TableSpec = TableSpec {
    table: "events",
    flag: "--events",
    id: Some("event_id"),
    columns: &[
        optional("event_id", Kind::Integer, "source_line - 1"),
        required("user_id", Kind::Integer),
        // Without workspaces, each user's activity is in a personal workspace.
        optional("workspace_id", Kind::Integer, "user_id"),
        required("event_type", Kind::Text),
        dating(required("occurred_at", Kind::Timestamp)),
    ],
};

const WORKSPACES: TableSpec = TableSpec {
    table: "workspaces",
    flag: "--workspaces",
    id: Some("workspace_id"),
    columns: &[
        required("workspace_id", Kind::Integer),
        required("owner_user_id", Kind::Integer),
        optional("workspace_name", Kind::Text, "''"),
        optional("workspace_type", Kind::Text, "'team'"),
        required("created_at", Kind::Timestamp),
    ],
};

const VISITS: TableSpec = TableSpec {
    table: "visits",
    flag: "--visits",
    id: Some("visit_id"),
    columns: &[
        optional("visit_id", Kind::Integer, "source_line - 1"),
        dating(required("visited_at", Kind::Timestamp)),
        required("channel", Kind::Text),
        optional("landing_page", Kind::Text, "'unknown'"),
        optional("user_id", Kind::Integer, "null"),
    ],
};

const SUBSCRIPTIONS: TableSpec = TableSpec {
    table: "subscriptions",
    flag: "--subscriptions",
    id: Some("subscription_id"),
    columns: &[
        optional("subscription_id", Kind::Integer, "source_line - 1"),
        required("user_id", Kind::Integer),
        optional("workspace_id", Kind::Integer, "user_id"),
        optional("plan", Kind::Text, "'paid'"),
        within(optional("seats", Kind::Integer, "1"), 0.0, MAX_SEATS),
        dating(required("started_at", Kind::Timestamp)),
        optional("ended_at", Kind::Timestamp, "null"),
        within(
            required("monthly_revenue", Kind::Number),
            0.0,
            MAX_MONTHLY_REVENUE,
        ),
    ],
};

/// The files of one ingest and how to read them.
#[derive(Debug, Clone, Default)]
pub struct IngestFiles {
    pub users: PathBuf,
    pub events: PathBuf,
    pub workspaces: Option<PathBuf>,
    pub visits: Option<PathBuf>,
    pub subscriptions: Option<PathBuf>,
}

/// Options of one ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// First day of the period (`--start`): earlier rows are quarantined.
    pub start: Option<NaiveDate>,
    /// Last day of the period (`--end`): later rows are quarantined.
    pub end: Option<NaiveDate>,
    /// Quarantine exact duplicate events (`--dedupe`, on by default).
    pub dedupe: bool,
    /// Today (UTC): without `--end`, later dates are refused as implausible.
    pub today: NaiveDate,
}

/// Errors that reject the whole ingest; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{flag} file '{path}' does not exist")]
    Missing { flag: &'static str, path: PathBuf },
    #[error("{flag} '{path}' is a directory, not a file")]
    IsDirectory { flag: &'static str, path: PathBuf },
    #[error(
        "{flag} '{path}' is not a regular file (a pipe, socket or device): save it to a file first"
    )]
    NotRegular { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' is empty (0 bytes)")]
    ZeroBytes { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' is not CSV or Parquet (extension must be .csv or .parquet)")]
    NotTabular { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' cannot be read: {message}")]
    Unreadable {
        flag: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("{flag} file '{path}' has no rows")]
    Empty { flag: &'static str, path: PathBuf },
    #[error("{flag} file '{path}' lacks required column '{column}' (found: {found})")]
    MissingColumn {
        flag: &'static str,
        path: PathBuf,
        column: &'static str,
        found: String,
    },
    #[error("{flag} file '{path}': columns '{first}' and '{second}' name the same column (names match trimmed and case-insensitively); keep one")]
    AmbiguousColumns {
        flag: &'static str,
        path: PathBuf,
        first: String,
        second: String,
    },
    #[error("{flag} file '{path}' line {line} has {found} field(s) but the header has {expected}")]
    Ragged {
        flag: &'static str,
        path: PathBuf,
        line: u64,
        found: usize,
        expected: usize,
    },
    #[error("{flag} file '{path}' {unit} {line} column '{column}': text contains a NUL byte (\\0), which is not accepted")]
    NulByte {
        flag: &'static str,
        path: PathBuf,
        unit: &'static str,
        line: i64,
        column: String,
    },
    #[error(
        "{flag} file '{path}' {unit} {line} column '{column}': '{value}' is not a valid {expected}"
    )]
    BadValue {
        flag: &'static str,
        path: PathBuf,
        unit: &'static str,
        line: i64,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    /// `detail` is the quoted value and what is wrong with it.
    #[error("{flag} file '{path}' {unit} {line} column '{column}': {detail}")]
    OutOfRange {
        flag: &'static str,
        path: PathBuf,
        unit: &'static str,
        line: i64,
        column: &'static str,
        detail: String,
    },
    #[error("{flag} file '{path}' {unit} {line} column '{column}': a value is required")]
    MissingValue {
        flag: &'static str,
        path: PathBuf,
        unit: &'static str,
        line: i64,
        column: &'static str,
    },
    #[error("{flag} file '{path}': duplicate {column} {value} ({unit}s {first} and {second})")]
    Duplicate {
        flag: &'static str,
        path: PathBuf,
        unit: &'static str,
        column: &'static str,
        value: String,
        first: i64,
        second: i64,
    },
    #[error("{flag} file '{path}': every row was rejected ({rejected} rows; see meta.rejected_rows reasons: {reasons})")]
    AllRejected {
        flag: &'static str,
        path: PathBuf,
        rejected: i64,
        reasons: String,
    },
    #[error("--events file '{path}': no complete day in the data: the events end on {last_day}, taken as a partial day, and no earlier day remains; pass --end to set the last day")]
    NoCompleteDay { path: PathBuf, last_day: NaiveDate },
    #[error("--end {end} is before --start {start}")]
    PeriodReversed { start: NaiveDate, end: NaiveDate },
    #[error("interrupted")]
    Interrupted,
    #[error("ingest SQL failed ({context}): {message}")]
    Sql { context: String, message: String },
}

/// What an ingest loaded.
#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    /// (table, rows loaded, rows quarantined)
    pub tables: Vec<(&'static str, i64, i64)>,
    /// (table, reason, rows) of every quarantine rule that moved rows.
    pub quarantined: Vec<(&'static str, String, i64)>,
    /// First day of the period (`--start`, or the earliest dated row).
    pub period_start: Option<NaiveDate>,
    /// Last complete day, the as-of date (`--end`, or the day before the latest event's date).
    pub as_of_date: Option<NaiveDate>,
    /// Rows loaded into raw but dated after the as-of date (the partial last day).
    pub rows_after_as_of: i64,
    /// Users who signed up on or before the as-of date: the sample the
    /// metrics describe (`config.params.sample_users`).
    pub users_by_as_of: i64,
}

fn sql_error(context: impl Into<String>) -> impl FnOnce(duckdb::Error) -> IngestError {
    let context = context.into();
    move |source| IngestError::Sql {
        context,
        message: crate::one_line(&source.to_string()),
    }
}

/// The file of `spec` at `path` cannot be read: the reader's message, on one line.
fn cannot_read(spec: &TableSpec, path: &Path, message: impl std::fmt::Display) -> IngestError {
    IngestError::Unreadable {
        flag: spec.flag,
        path: path.to_path_buf(),
        message: crate::one_line(&message.to_string()),
    }
}

/// Escapes control characters and shortens a shown value so the message stays one line.
pub(crate) fn shown(value: &str) -> String {
    value
        .chars()
        .take(80)
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Defines the SQL macro that parses a timestamp text into a UTC `TIMESTAMP`,
/// independent of the session's time zone: an offset is subtracted by
/// arithmetic, never by a time-zone conversion. NULL when the text is not one
/// of the documented forms.
pub(crate) fn define_macros(conn: &Connection) -> Result<(), IngestError> {
    // groups: 1 date, 2 HH:MM, 3 SS, 4 fraction (first 6 digits), 5 zone,
    // 6 offset sign, 7 offset hours, 8 offset minutes
    const FORM: &str = "^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}:[0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,6})[0-9]{0,3})?)?)? *(Z|z|UTC|([+-])([0-9]{2}):?([0-9]{2})?)?$";
    let group = |n: u8| format!("regexp_extract(value, '{FORM}', {n})");
    let sql = format!(
        "create or replace temp macro ns_parse_timestamp(value) as (\
         case \
           when regexp_full_match(value, '[0-9]{{1,15}}') then \
             case when try_cast(value as bigint) >= 100000000000 \
                  then epoch_ms(try_cast(value as bigint)) \
                  else epoch_ms(try_cast(value as bigint) * 1000) end \
           when regexp_full_match(value, '{FORM}') then \
             try_cast({date} || ' ' || coalesce(nullif({hm}, ''), '00:00') || ':' \
                      || coalesce(nullif({ss}, ''), '00') \
                      || case when {frac} <> '' then '.' || {frac} else '' end as timestamp) \
             - to_minutes(case when {sign} = '' then 0 \
                 else (try_cast({oh} as bigint) * 60 + coalesce(try_cast(nullif({om}, '') as bigint), 0)) \
                      * (case when {sign} = '-' then -1 else 1 end) end) \
         end)",
        date = group(1),
        hm = group(2),
        ss = group(3),
        frac = group(4),
        sign = group(6),
        oh = group(7),
        om = group(8),
    );
    conn.execute_batch(&sql)
        .map_err(sql_error("defining the timestamp parser"))?;
    conn.execute_batch("create or replace temp table quarantined_users (user_id bigint)")
        .map_err(sql_error("preparing the quarantine"))
}

/// Checks that `path` is a readable regular, non-empty file of a known kind.
fn check_file(spec: &TableSpec, path: &Path) -> Result<FileFormat, IngestError> {
    let metadata = std::fs::metadata(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => IngestError::Missing {
            flag: spec.flag,
            path: path.to_path_buf(),
        },
        _ => cannot_read(spec, path, err),
    })?;
    if metadata.is_dir() {
        return Err(IngestError::IsDirectory {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    if !metadata.is_file() {
        return Err(IngestError::NotRegular {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    let extension = path
        .extension()
        .map(|ext| ext.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match extension.as_str() {
        "csv" => FileFormat::Csv,
        "parquet" | "pq" => FileFormat::Parquet,
        _ => {
            return Err(IngestError::NotTabular {
                flag: spec.flag,
                path: path.to_path_buf(),
            })
        }
    };
    if metadata.len() == 0 {
        return Err(IngestError::ZeroBytes {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    Ok(format)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Csv,
    Parquet,
}

impl FileFormat {
    /// How messages number the rows of the file.
    fn unit(self) -> &'static str {
        match self {
            FileFormat::Csv => "line",
            FileFormat::Parquet => "row",
        }
    }
}

/// Matches the header's names to the spec (trimmed, case-insensitive):
/// returns the normalized names, refusing two names equal apart from case.
fn normalize_header(
    spec: &TableSpec,
    path: &Path,
    found: &[String],
) -> Result<Vec<String>, IngestError> {
    let normalized: Vec<String> = found
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    for (index, name) in normalized.iter().enumerate() {
        if let Some(earlier) = normalized[..index].iter().position(|other| other == name) {
            return Err(IngestError::AmbiguousColumns {
                flag: spec.flag,
                path: path.to_path_buf(),
                first: crate::one_line(&found[earlier]),
                second: crate::one_line(&found[index]),
            });
        }
    }
    for column in spec.columns.iter().filter(|c| c.default.is_none()) {
        if !normalized.iter().any(|c| c == column.name) {
            return Err(IngestError::MissingColumn {
                flag: spec.flag,
                path: path.to_path_buf(),
                column: column.name,
                // a header can hold line breaks: keep the error one line
                found: crate::one_line(&found.join(", ")),
            });
        }
    }
    Ok(normalized)
}

/// The delimiter of a CSV file, from its first line: the most frequent of
/// `,`, `;`, tab and `|` outside quotes (a comma when none occurs).
fn sniff_delimiter(path: &Path) -> std::io::Result<u8> {
    let mut first = Vec::new();
    BufReader::new(std::fs::File::open(path)?)
        .take(1 << 20)
        .read_until(b'\n', &mut first)?;
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for byte in first {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(index) = candidates.iter().position(|c| *c == byte) {
                counts[index] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|i| (counts[*i], usize::from(*i == 0)));
    Ok(match best {
        Some(index) if counts[index] > 0 => candidates[index],
        _ => b',',
    })
}

/// A field's text: UTF-8, or Latin-1 (every byte a character) when it is not valid UTF-8.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Parses a CSV file into a clean UTF-8 CSV in `scratch` that holds the
/// physical line of each row and the spec's columns; returns its path and
/// the normalized names of the columns it holds.
fn clean_csv(
    spec: &TableSpec,
    path: &Path,
    scratch: &Path,
) -> Result<(PathBuf, Vec<String>), IngestError> {
    let unreadable = |message: String| cannot_read(spec, path, message);
    let delimiter = sniff_delimiter(path).map_err(|err| unreadable(err.to_string()))?;
    let file = std::fs::File::open(path).map_err(|err| unreadable(err.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(BufReader::new(file));
    let mut record = csv::ByteRecord::new();
    let is_blank = |record: &csv::ByteRecord| {
        record
            .iter()
            .all(|field| field.iter().all(|b| b.is_ascii_whitespace()))
    };
    let mut header: Option<Vec<String>> = None;
    while reader
        .read_byte_record(&mut record)
        .map_err(|err| unreadable(err.to_string()))?
    {
        if !is_blank(&record) {
            let mut names: Vec<String> = record.iter().map(decode).collect();
            if let Some(first) = names.first_mut() {
                *first = first.trim_start_matches('\u{feff}').to_string();
            }
            header = Some(names);
            break;
        }
    }
    let Some(header) = header else {
        return Err(IngestError::Empty {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    };
    let normalized = normalize_header(spec, path, &header)?;
    let selected: Vec<(usize, &str)> = normalized
        .iter()
        .enumerate()
        .filter(|(_, name)| spec.columns.iter().any(|c| c.name == name.as_str()))
        .map(|(index, name)| (index, name.as_str()))
        .collect();
    let clean = scratch.join(format!("{}.csv", spec.table));
    let write_error = |err: csv::Error| IngestError::Sql {
        context: format!("writing the scratch copy of '{}'", path.display()),
        message: crate::one_line(&err.to_string()),
    };
    let mut writer = csv::Writer::from_path(&clean).map_err(write_error)?;
    let names: Vec<String> = selected.iter().map(|(_, name)| name.to_string()).collect();
    let mut out: Vec<String> = vec!["source_line".to_string()];
    out.extend(names.iter().cloned());
    writer.write_record(&out).map_err(write_error)?;
    let mut rows = 0u64;
    loop {
        if rows % 65_536 == 0 && interrupt::requested() {
            return Err(IngestError::Interrupted);
        }
        let more = reader.read_byte_record(&mut record).map_err(|err| {
            let line = err.position().map_or(0, csv::Position::line);
            unreadable(format!("line {line}: {err}"))
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        if is_blank(&record) {
            continue;
        }
        if record.len() != header.len() {
            return Err(IngestError::Ragged {
                flag: spec.flag,
                path: path.to_path_buf(),
                line,
                found: record.len(),
                expected: header.len(),
            });
        }
        out.clear();
        out.push(line.to_string());
        for (index, name) in &selected {
            let field = record.get(*index).unwrap_or_default();
            if field.contains(&0) {
                return Err(IngestError::NulByte {
                    flag: spec.flag,
                    path: path.to_path_buf(),
                    unit: "line",
                    line: line as i64,
                    column: (*name).to_string(),
                });
            }
            out.push(decode(field));
        }
        writer.write_record(&out).map_err(write_error)?;
        rows += 1;
    }
    writer
        .flush()
        .map_err(|err| write_error(csv::Error::from(err)))?;
    if rows == 0 {
        return Err(IngestError::Empty {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    Ok((clean, names))
}

/// Reads one file into the temp table `src_<table>`: `source_line` and the
/// spec's columns as trimmed text (NULL when empty). Returns the normalized
/// names of the columns present and the file's format.
fn stage_file(
    conn: &Connection,
    spec: &TableSpec,
    path: &Path,
    scratch: &Path,
) -> Result<(Vec<String>, FileFormat), IngestError> {
    let format = check_file(spec, path)?;
    let staged = format!("src_{}", spec.table);
    let unreadable = |err: duckdb::Error| cannot_read(spec, path, err);
    let present = match format {
        FileFormat::Csv => {
            let (clean, present) = clean_csv(spec, path, scratch)?;
            let columns: Vec<String> = std::iter::once("'source_line': 'BIGINT'".to_string())
                .chain(present.iter().map(|name| format!("'{name}': 'VARCHAR'")))
                .collect();
            let select: Vec<String> = present
                .iter()
                .map(|name| format!("nullif(trim({name}), '') as {name}"))
                .collect();
            conn.execute_batch(&format!(
                "create or replace temp table {staged} as \
                 select source_line{comma}{select} from read_csv('{file}', header = true, \
                 auto_detect = false, delim = ',', quote = '\"', escape = '\"', \
                 columns = {{{columns}}})",
                comma = if select.is_empty() { "" } else { ", " },
                select = select.join(", "),
                file = sql_path(&clean),
                columns = columns.join(", "),
            ))
            .map_err(unreadable)?;
            present
        }
        FileFormat::Parquet => {
            // DuckDB reads a path as a glob pattern ('users[1].parquet'): read
            // a link with a plain name instead, so a path is exactly one file.
            let link = scratch.join(format!("{}.parquet", spec.table));
            let target = std::fs::canonicalize(path).map_err(|err| cannot_read(spec, path, err))?;
            link_or_copy(&target, &link).map_err(|err| cannot_read(spec, path, err))?;
            conn.execute_batch(&format!(
                "create or replace temp table raw_{staged} as \
                 select * from read_parquet('{}', file_row_number = true)",
                sql_path(&link)
            ))
            .map_err(unreadable)?;
            let mut statement = conn
                .prepare(&format!(
                    "select column_name from duckdb_columns() where table_name = 'raw_{staged}' \
                     and database_name = 'temp' and column_name <> 'file_row_number' order by column_index"
                ))
                .map_err(sql_error("listing columns"))?;
            let found: Vec<String> = statement
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(sql_error("listing columns"))?
                .collect::<Result<_, _>>()
                .map_err(sql_error("listing columns"))?;
            let normalized = normalize_header(spec, path, &found)?;
            let mut present = Vec::new();
            let mut select = Vec::new();
            for (original, name) in found.iter().zip(&normalized) {
                if spec.columns.iter().any(|c| c.name == name.as_str()) {
                    select.push(format!(
                        ", nullif(trim(cast(\"{}\" as varchar)), '') as {name}",
                        original.replace('"', "\"\"")
                    ));
                    present.push(name.clone());
                }
            }
            conn.execute_batch(&format!(
                "create or replace temp table {staged} as \
                 select cast(file_row_number + 1 as bigint) as source_line{} from raw_{staged}; \
                 drop table raw_{staged};",
                select.join("")
            ))
            .map_err(unreadable)?;
            present
        }
    };
    let rows: i64 = conn
        .query_row(&format!("select count(*) from {staged}"), [], |row| {
            row.get(0)
        })
        .map_err(sql_error("counting rows"))?;
    if rows == 0 {
        return Err(IngestError::Empty {
            flag: spec.flag,
            path: path.to_path_buf(),
        });
    }
    Ok((present, format))
}

#[cfg(unix)]
fn link_or_copy(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_or_copy(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

/// The first row (line, value) of the staged file matching `condition` on
/// column `name`.
fn first_offender(
    conn: &Connection,
    staged: &str,
    name: &str,
    condition: &str,
) -> Result<Option<(i64, String)>, IngestError> {
    conn.query_row(
        &format!(
            "select source_line, {name} from {staged} where {name} is not null and ({condition}) \
             order by source_line limit 1"
        ),
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .map_err(sql_error("checking values"))
}

/// Validates required values, types, ranges and plausible dates of a staged file.
fn validate(
    conn: &Connection,
    spec: &TableSpec,
    path: &Path,
    present: &[String],
    format: FileFormat,
    options: &IngestOptions,
) -> Result<(), IngestError> {
    let staged = format!("src_{}", spec.table);
    let unit = format.unit();
    for column in spec.columns {
        if !present.iter().any(|c| c == column.name) {
            continue;
        }
        if column.default.is_none() {
            let missing: Option<i64> = conn
                .query_row(
                    &format!(
                        "select min(source_line) from {staged} where {} is null",
                        column.name
                    ),
                    [],
                    |row| row.get(0),
                )
                .map_err(sql_error("checking required values"))?;
            if let Some(line) = missing {
                return Err(IngestError::MissingValue {
                    flag: spec.flag,
                    path: path.to_path_buf(),
                    unit,
                    line,
                    column: column.name,
                });
            }
        }
        if column.kind == Kind::Text {
            // CSV text is checked for NUL bytes while parsing; Parquet text here.
            if format != FileFormat::Parquet {
                continue;
            }
            if let Some((line, _)) = first_offender(
                conn,
                &staged,
                column.name,
                &format!("strpos({}, chr(0)) > 0", column.name),
            )? {
                return Err(IngestError::NulByte {
                    flag: spec.flag,
                    path: path.to_path_buf(),
                    unit,
                    line,
                    column: column.name.to_string(),
                });
            }
            continue;
        }
        let typed = column.kind.typed(column.name);
        if let Some((line, value)) =
            first_offender(conn, &staged, column.name, &format!("{typed} is null"))?
        {
            return Err(IngestError::BadValue {
                flag: spec.flag,
                path: path.to_path_buf(),
                unit,
                line,
                column: column.name,
                value: shown(&value),
                expected: column.kind.expected(),
            });
        }
        let out_of_range = |line: i64, value: String, problem: String| IngestError::OutOfRange {
            flag: spec.flag,
            path: path.to_path_buf(),
            unit,
            line,
            column: column.name,
            detail: format!("'{}' {problem}", shown(&value)),
        };
        if let Some((low, high)) = column.range {
            if let Some((line, value)) = first_offender(
                conn,
                &staged,
                column.name,
                &format!("{typed} < {low} or {typed} > {high}"),
            )? {
                let problem = if value.trim_start().starts_with('-') && low == 0.0 {
                    format!("is negative: {} must be >= 0", column.name)
                } else {
                    format!("is outside the accepted range {low} .. {high}")
                };
                return Err(out_of_range(line, value, problem));
            }
        }
        if column.kind == Kind::Timestamp {
            // Without an explicit period, a date outside the plausible window is a
            // typo (2100, year 0001) that would stretch every period silently.
            let upper = options.today + chrono::Days::new(1);
            let (low, high, hint) =
                if column.dates_the_row {
                    (
                    options.start.is_none().then_some(PLAUSIBLE_FIRST_DATE.to_string()),
                    options.end.is_none().then(|| upper.to_string()),
                    "pass --start/--end to set the period (rows outside it are then quarantined)",
                )
                } else {
                    (
                        Some(PLAUSIBLE_FIRST_DATE.to_string()),
                        Some("2200-01-01".to_string()),
                        "check the value",
                    )
                };
            let mut conditions = Vec::new();
            if let Some(low) = &low {
                conditions.push(format!("{typed} < cast('{low}' as timestamp)"));
            }
            if let Some(high) = &high {
                conditions.push(format!(
                    "{typed} >= cast('{high}' as timestamp) + interval 1 day"
                ));
            }
            if conditions.is_empty() {
                continue;
            }
            if let Some((line, value)) =
                first_offender(conn, &staged, column.name, &conditions.join(" or "))?
            {
                let window = format!(
                    "{} .. {}",
                    low.as_deref().unwrap_or("(--start)"),
                    high.as_deref().unwrap_or("(--end)")
                );
                return Err(out_of_range(
                    line,
                    value,
                    format!("is outside the plausible dates {window}: {hint}"),
                ));
            }
        }
    }
    Ok(())
}

/// The typed projection of a staged file onto its raw table's columns; an
/// empty cell of an optional column takes the column's default.
fn typed_select(spec: &TableSpec, present: &[String]) -> String {
    spec.columns
        .iter()
        .map(|column| {
            let default = format!(
                "cast({} as {})",
                column.default.unwrap_or("null"),
                column.kind.sql_type()
            );
            let value = if present.iter().any(|c| c == column.name) {
                let typed = column.kind.typed(column.name);
                match column.default {
                    Some(_) => format!("coalesce({typed}, {default})"),
                    None => typed,
                }
            } else {
                default
            };
            format!("{value} as {}", column.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quarantine rules per table: (reason, condition on the typed row `typed`),
/// applied in order (a row gets the first reason that matches).
fn quarantine_rules(spec: &TableSpec, options: &IngestOptions) -> Vec<(String, String)> {
    let mut rules: Vec<(String, String)> = Vec::new();
    if let Some(column) = spec.date_column() {
        if let Some(start) = options.start {
            rules.push((
                format!("before the period start (--start {start})"),
                format!("typed.{column} < cast('{start}' as timestamp)"),
            ));
        }
        if let Some(end) = options.end {
            rules.push((
                format!("after the period end (--end {end})"),
                format!("typed.{column} >= cast('{end}' as timestamp) + interval 1 day"),
            ));
        }
    }
    let user_of = |column: &str| -> Vec<(String, String)> {
        vec![
            (
                "its user was quarantined".to_string(),
                format!("typed.{column} in (select user_id from quarantined_users)"),
            ),
            (
                format!("unknown {column}"),
                format!("typed.{column} is not null and not exists (select 1 from raw.users where raw.users.user_id = typed.{column})"),
            ),
        ]
    };
    let workspace = (
        "unknown workspace_id".to_string(),
        "not exists (select 1 from raw.workspaces where raw.workspaces.workspace_id = typed.workspace_id)".to_string(),
    );
    match spec.table {
        "events" => {
            rules.extend(user_of("user_id"));
            rules.push((
                "occurred before the user's signup".into(),
                "exists (select 1 from raw.users where raw.users.user_id = typed.user_id and typed.occurred_at < raw.users.signup_at)".into(),
            ));
            rules.push(workspace);
            if options.dedupe {
                // Client retries resend an event with a new id: the same user,
                // type, time and workspace is one event; the first line is kept.
                rules.push((
                    "duplicate event".into(),
                    "typed.source_line in (select source_line from (select source_line, row_number() over (\
                     partition by user_id, event_type, occurred_at, workspace_id order by source_line) as copy_number \
                     from typed_events) as copies where copies.copy_number > 1)"
                        .into(),
                ));
            }
        }
        "subscriptions" => {
            rules.extend(user_of("user_id"));
            rules.push((
                "started before the user's signup".into(),
                "exists (select 1 from raw.users where raw.users.user_id = typed.user_id and typed.started_at < raw.users.signup_at)".into(),
            ));
            rules.push((
                "ended before it started".into(),
                "typed.ended_at < typed.started_at".into(),
            ));
            rules.push(workspace);
        }
        "workspaces" => rules.extend(user_of("owner_user_id")),
        "visits" => rules.extend(user_of("user_id")),
        _ => {}
    }
    rules
}

/// Loads a staged, validated file into `raw.<table>`, quarantining rows
/// that break a rule. Returns (loaded, quarantined per reason).
fn load_table(
    conn: &Connection,
    spec: &TableSpec,
    path: &Path,
    present: &[String],
    format: FileFormat,
    options: &IngestOptions,
) -> Result<(i64, Vec<(String, i64)>), IngestError> {
    let staged = format!("src_{}", spec.table);
    let context = |what: &str| format!("{what} raw.{}", spec.table);
    conn.execute_batch(&format!(
        "create or replace temp table typed_{t} as select source_line, {select} from {staged}",
        t = spec.table,
        select = typed_select(spec, present)
    ))
    .map_err(sql_error(context("typing")))?;
    // Ids are unique after defaults are applied (an empty id cell takes the row number).
    if let Some(id) = spec.id {
        let duplicate: Option<(String, i64, i64)> = conn
            .query_row(
                &format!(
                    "select cast({id} as varchar), min(source_line), max(source_line) \
                     from typed_{t} group by {id} having count(*) > 1 \
                     order by min(source_line) limit 1",
                    t = spec.table
                ),
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(sql_error("checking duplicate ids"))?;
        if let Some((value, first, second)) = duplicate {
            return Err(IngestError::Duplicate {
                flag: spec.flag,
                path: path.to_path_buf(),
                unit: format.unit(),
                column: id,
                value,
                first,
                second,
            });
        }
    }
    let mut quarantined = Vec::new();
    for (reason, condition) in quarantine_rules(spec, options) {
        if spec.table == "users" {
            conn.execute(
                &format!("insert into quarantined_users select user_id from typed_users as typed where {condition}"),
                [],
            )
            .map_err(sql_error(context("quarantining rows of")))?;
        }
        let moved = conn
            .execute(
                &format!(
                    "insert into meta.rejected_rows \
                     select '{t}', ?, typed.source_line, ?, cast(typed as varchar), cast(current_timestamp as timestamp) \
                     from typed_{t} as typed where {condition}",
                    t = spec.table
                ),
                [path.to_string_lossy().as_ref(), reason.as_str()],
            )
            .map_err(sql_error(context("quarantining rows of")))?;
        if moved > 0 {
            conn.execute_batch(&format!(
                "delete from typed_{t} as typed where {condition}",
                t = spec.table
            ))
            .map_err(sql_error(context("quarantining rows of")))?;
            quarantined.push((reason, moved as i64));
        }
    }
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let loaded = conn
        .execute(
            &format!(
                "insert into raw.{t} ({cols}) select {cols} from typed_{t} order by source_line",
                t = spec.table,
                cols = columns.join(", ")
            ),
            [],
        )
        .map_err(sql_error(context("loading")))? as i64;
    if loaded == 0 && !quarantined.is_empty() {
        return Err(IngestError::AllRejected {
            flag: spec.flag,
            path: path.to_path_buf(),
            rejected: quarantined.iter().map(|(_, rows)| rows).sum(),
            reasons: quarantined
                .iter()
                .map(|(reason, _)| reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    conn.execute_batch(&format!(
        "drop table typed_{t}; drop table {staged};",
        t = spec.table
    ))
    .map_err(sql_error(context("cleaning up")))?;
    Ok((loaded, quarantined))
}

/// Validates and loads `files` into the (empty) raw tables on `conn`.
///
/// # Errors
/// Any rejection listed in the module docs; the caller discards the staged
/// warehouse, so nothing is written.
pub fn ingest(
    conn: &Connection,
    files: &IngestFiles,
    options: &IngestOptions,
) -> Result<IngestSummary, IngestError> {
    if let (Some(start), Some(end)) = (options.start, options.end) {
        if end < start {
            return Err(IngestError::PeriodReversed { start, end });
        }
    }
    let scratch = tempfile::Builder::new()
        .prefix("northstar-ingest-")
        .tempdir()
        .map_err(|err| IngestError::Sql {
            context: "creating a scratch directory".into(),
            message: crate::one_line(&err.to_string()),
        })?;
    define_macros(conn)?;
    let mut summary = IngestSummary::default();
    // Stage and validate everything before loading anything.
    let mut plan: Vec<(&TableSpec, &Path, Vec<String>, FileFormat)> = Vec::new();
    let mut entries: Vec<(&TableSpec, &Path)> = vec![(&USERS, files.users.as_path())];
    if let Some(path) = &files.workspaces {
        entries.push((&WORKSPACES, path.as_path()));
    }
    entries.push((&EVENTS, files.events.as_path()));
    if let Some(path) = &files.visits {
        entries.push((&VISITS, path.as_path()));
    }
    if let Some(path) = &files.subscriptions {
        entries.push((&SUBSCRIPTIONS, path.as_path()));
    }
    for (spec, path) in entries {
        let (mut present, format) = stage_file(conn, spec, path, scratch.path())?;
        if files.workspaces.is_none() {
            // Without a workspaces file, activity is attributed to personal
            // workspaces (id = user id); a workspace_id column is ignored.
            present.retain(|column| column != "workspace_id");
        }
        validate(conn, spec, path, &present, format, options)?;
        plan.push((spec, path, present, format));
        if interrupt::requested() {
            return Err(IngestError::Interrupted);
        }
    }
    for (spec, path, present, format) in &plan {
        if spec.table == "events" && files.workspaces.is_none() {
            // Documented fallback: without a workspaces file every user has a
            // personal workspace whose id is the user id.
            conn.execute_batch(
                "insert into raw.workspaces \
                 select user_id, user_id, coalesce(nullif(full_name, ''), 'user ' || user_id) || '''s workspace', 'personal', signup_at from raw.users",
            )
            .map_err(sql_error("deriving personal workspaces"))?;
        }
        let (loaded, quarantined) = load_table(conn, spec, path, present, *format, options)?;
        let total: i64 = quarantined.iter().map(|(_, rows)| rows).sum();
        summary.tables.push((spec.table, loaded, total));
        summary.quarantined.extend(
            quarantined
                .into_iter()
                .map(|(reason, rows)| (spec.table, reason, rows)),
        );
        if interrupt::requested() {
            return Err(IngestError::Interrupted);
        }
    }
    derive_members(conn)?;
    let period = derive_period(conn, options, &files.events)?;
    summary.rows_after_as_of = period.rows_after_as_of;
    summary.users_by_as_of = period.users_by_as_of;
    summary.period_start = period.start;
    summary.as_of_date = period.as_of;
    Ok(summary)
}

/// The period of the loaded raw tables (see [`derive_period`]).
pub(crate) struct Period {
    pub start: Option<NaiveDate>,
    pub as_of: Option<NaiveDate>,
    pub rows_after_as_of: i64,
    pub users_by_as_of: i64,
}

/// Rebuilds `raw.workspace_members` from the workspaces and events:
/// workspace owners, and every user active in a workspace.
pub(crate) fn derive_members(conn: &Connection) -> Result<(), IngestError> {
    conn.execute_batch(
        "delete from raw.workspace_members; \
         insert into raw.workspace_members \
         select workspace_id, owner_user_id, 'owner', created_at from raw.workspaces; \
         insert into raw.workspace_members \
         select events.workspace_id, events.user_id, 'member', min(events.occurred_at) \
         from raw.events as events \
         inner join raw.workspaces as workspaces on workspaces.workspace_id = events.workspace_id \
         where events.user_id <> workspaces.owner_user_id \
         group by events.workspace_id, events.user_id;",
    )
    .map_err(sql_error("deriving workspace members"))
}

/// The period of the raw tables: from the earliest dated row of any table
/// (or `--start`); the as-of date is the last complete day, the day before
/// the latest event's date (an export taken at 14:00 holds a partial last
/// day), unless `--end` says otherwise. `events` names the events file(s) in
/// the no-complete-day error.
pub(crate) fn derive_period(
    conn: &Connection,
    options: &IngestOptions,
    events: &Path,
) -> Result<Period, IngestError> {
    let (first_day, last_event_day): (Option<NaiveDate>, Option<NaiveDate>) = conn
        .query_row(
            "select least( \
                 (select min(cast(signup_at as date)) from raw.users), \
                 (select min(cast(occurred_at as date)) from raw.events), \
                 (select min(cast(visited_at as date)) from raw.visits), \
                 (select min(cast(started_at as date)) from raw.subscriptions)), \
                 (select max(cast(occurred_at as date)) from raw.events)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(sql_error("deriving the period"))?;
    let start = options.start.or(first_day);
    let as_of = match options.end {
        Some(end) => Some(end),
        None => last_event_day.map(|day| day - chrono::Days::new(1)),
    };
    if let (Some(start), Some(as_of), None) = (start, as_of, options.end) {
        if as_of < start {
            return Err(IngestError::NoCompleteDay {
                path: events.to_path_buf(),
                last_day: as_of + chrono::Days::new(1),
            });
        }
    }
    let mut rows_after_as_of = 0;
    if let Some(as_of) = as_of {
        rows_after_as_of = conn
            .query_row(
                "select (select count(*) from raw.events where occurred_at >= cast(? as timestamp) + interval 1 day) \
                      + (select count(*) from raw.users where signup_at >= cast(? as timestamp) + interval 1 day) \
                      + (select count(*) from raw.visits where visited_at >= cast(? as timestamp) + interval 1 day) \
                      + (select count(*) from raw.subscriptions where started_at >= cast(? as timestamp) + interval 1 day)",
                duckdb::params![as_of, as_of, as_of, as_of],
                |row| row.get(0),
            )
            .map_err(sql_error("counting rows after the as-of date"))?;
    }
    let users_by_as_of = conn
        .query_row(
            "select count(*) from raw.users where ? is null or signup_at < cast(? as timestamp) + interval 1 day",
            duckdb::params![as_of, as_of],
            |row| row.get(0),
        )
        .map_err(sql_error("counting users by the as-of date"))?;
    Ok(Period {
        start,
        as_of,
        rows_after_as_of,
        users_by_as_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(conn: &Connection, text: &str) -> Option<String> {
        conn.query_row(
            "select cast(ns_parse_timestamp(?) as varchar)",
            [text],
            |row| row.get(0),
        )
        .expect("the macro runs")
    }

    #[test]
    fn timestamps_are_converted_to_utc_by_arithmetic() -> Result<(), Box<dyn std::error::Error>> {
        let conn = Connection::open_in_memory()?;
        define_macros(&conn)?;
        let cases = [
            ("2024-03-01T01:30:00+02:00", Some("2024-02-29 23:30:00")),
            ("2024-03-01 01:30:00+0200", Some("2024-02-29 23:30:00")),
            ("2024-03-01 01:30:00-05", Some("2024-03-01 06:30:00")),
            ("2024-03-01T01:30:00Z", Some("2024-03-01 01:30:00")),
            ("2024-03-01 01:30+05:30", Some("2024-02-29 20:00:00")),
            ("2024-03-01", Some("2024-03-01 00:00:00")),
            (
                "2024-03-01 10:00:00.1234567",
                Some("2024-03-01 10:00:00.123456"),
            ),
            ("1709251200", Some("2024-03-01 00:00:00")),
            ("1709251200000", Some("2024-03-01 00:00:00")),
            ("infinity", None),
            ("2024-02-30", None),
            ("yesterday", None),
            ("2024-03-01 25:00:00", None),
            ("-1709251200", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(&conn, text).as_deref(), expected, "{text}");
        }
        Ok(())
    }

    #[test]
    fn timestamps_do_not_depend_on_the_session_time_zone() -> Result<(), Box<dyn std::error::Error>>
    {
        let conn = Connection::open_in_memory()?;
        define_macros(&conn)?;
        // Without ICU the setting may not exist; the macro must not care either way.
        let _ = conn.execute_batch("set TimeZone = 'Asia/Kolkata'");
        assert_eq!(
            parse(&conn, "2024-03-01T01:30:00+02:00").as_deref(),
            Some("2024-02-29 23:30:00")
        );
        Ok(())
    }

    #[test]
    fn integers_refuse_fractions_and_numbers_refuse_non_finite(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let conn = Connection::open_in_memory()?;
        let value = |kind: Kind, text: &str| -> Option<String> {
            conn.query_row(
                &format!(
                    "select cast({} as varchar) from (select cast(? as varchar) as v) as t",
                    kind.typed("v")
                ),
                [text],
                |row| row.get(0),
            )
            .expect("the expression runs")
        };
        assert_eq!(value(Kind::Integer, "12").as_deref(), Some("12"));
        assert_eq!(value(Kind::Integer, "2.0").as_deref(), Some("2"));
        assert_eq!(value(Kind::Integer, "1.6"), None);
        assert_eq!(value(Kind::Integer, "1e3"), None);
        assert_eq!(value(Kind::Integer, "99999999999999999999"), None);
        assert_eq!(value(Kind::Number, "12.5").as_deref(), Some("12.5"));
        assert_eq!(value(Kind::Number, "Infinity"), None);
        assert_eq!(value(Kind::Number, "NaN"), None);
        assert_eq!(value(Kind::Number, "1e400"), None);
        Ok(())
    }

    #[test]
    fn the_delimiter_is_sniffed_outside_quotes() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "\"a,b\";c;d\n1;2;3\n")?;
        assert_eq!(sniff_delimiter(&path)?, b';');
        std::fs::write(&path, "a,b\n")?;
        assert_eq!(sniff_delimiter(&path)?, b',');
        Ok(())
    }
}
