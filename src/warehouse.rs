//! The warehouse file: locking, atomic builds and the config/meta tables.
//!
//! Every command that changes a warehouse builds a complete new file beside
//! the target (`.<name>.tmp-<pid>`) and renames it into place only when every
//! stage succeeded. A failed or interrupted run leaves the previous file
//! byte-for-byte untouched; the temporary file is removed on the way out, and
//! a leftover from a killed run is removed by the next run (which holds the
//! lock, so no other run can be using it).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use duckdb::{params, Connection};
use fs4::fs_std::FileExt;

use crate::config::Config;
use crate::seeds::Seeds;

/// The catalog name the warehouse is attached as.
pub const CATALOG: &str = "northstar";
/// Storage format readable by DuckDB 1.1 and later clients (DuckDB 1.5 CLI,
/// Python duckdb 1.x/2.x), not only the DuckDB we link.
pub const STORAGE_VERSION: &str = "v1.1.0";

const SCHEMA_SQL: &str = include_str!("sql/schema.sql");
const CONFIG_SCHEMA_SQL: &str = include_str!("sql/config_schema.sql");

/// Errors about the warehouse file.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("unable to create warehouse directory '{path}'")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("warehouse directory '{path}' is not writable")]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "warehouse '{path}' is in use by PID {pid} (another northstar run); wait for it to finish"
    )]
    Locked { path: PathBuf, pid: String },
    #[error("warehouse '{path}' is in use: held open by another process{holder}; close it (SQL clients included) and retry")]
    HeldOpen { path: PathBuf, holder: String },
    #[error("warehouse '{path}' is read-only; make it writable (chmod u+w) or choose another --warehouse")]
    ReadOnly { path: PathBuf },
    #[error("'{path}' is not a northstar warehouse ({reason}); nothing was changed: {hint}")]
    Foreign {
        path: PathBuf,
        reason: String,
        /// The way forward, naming only flags the command has.
        hint: &'static str,
    },
    #[error("warehouse '{path}' was built with other query versions ({details}); run `northstar query --warehouse {path}` to rebuild its analytics")]
    Stale { path: PathBuf, details: String },
    #[error(
        "warehouse '{path}' does not exist; run `northstar generate` or `northstar run` first"
    )]
    Missing { path: PathBuf },
    #[error("unable to open warehouse '{path}': {message}")]
    Open { path: PathBuf, message: String },
    #[error("warehouse '{path}' has no analytics tables: run `northstar query --warehouse {path}` first")]
    NoAnalytics { path: PathBuf },
    #[error(
        "warehouse '{path}' is a directory, not a file; pass the .duckdb file with --warehouse"
    )]
    IsDirectory { path: PathBuf },
    #[error("unable to copy warehouse '{from}' to '{to}'")]
    Copy {
        from: PathBuf,
        to: PathBuf,
        source: std::io::Error,
    },
    #[error("unable to replace warehouse '{path}'")]
    Replace {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("'{path}' is {kind}, not a regular file; northstar only replaces warehouse files (--force included): choose another --warehouse")]
    NotRegular { path: PathBuf, kind: String },
    #[error("warehouse '{path}' was {how} by another process during this run; it was left as it is (nothing of it is lost) and the new build was kept at '{kept}': compare them, then move one into place")]
    ChangedDuringRun {
        path: PathBuf,
        how: String,
        kept: PathBuf,
    },
    #[error("warehouse SQL failed ({context})")]
    Sql {
        context: String,
        source: duckdb::Error,
    },
}

fn sql_error(context: impl Into<String>) -> impl Fn(duckdb::Error) -> WarehouseError {
    let context = context.into();
    move |source| WarehouseError::Sql {
        context: context.clone(),
        source,
    }
}

/// Creates the raw, config, analytics and meta schemas and their tables
/// (with comments) on `conn`'s current database.
///
/// # Errors
/// DuckDB failures.
pub fn create_schema(conn: &Connection) -> Result<(), WarehouseError> {
    in_transaction(conn, sql_error("creating the schemas"), || {
        conn.execute_batch(SCHEMA_SQL)
            .map_err(sql_error("creating raw schema"))?;
        conn.execute_batch(CONFIG_SCHEMA_SQL)
            .map_err(sql_error("creating config and meta schemas"))
    })
}

/// Runs `work` on `conn` inside one transaction: committed when it succeeds,
/// rolled back when it fails. Each autocommitted statement costs a commit
/// and a sync of the write-ahead log (1-3 ms here); the schemas alone are
/// about 200 statements with their comments.
///
/// # Errors
/// `work`'s error, or DuckDB refusing to begin or commit (through `sql_error`).
pub fn in_transaction<T, E>(
    conn: &Connection,
    sql_error: impl Fn(duckdb::Error) -> E,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("begin transaction")
        .map_err(&sql_error)?;
    match work().and_then(|value| {
        conn.execute_batch("commit")
            .map(|()| value)
            .map_err(&sql_error)
    }) {
        Ok(value) => Ok(value),
        Err(err) => {
            let _ = conn.execute_batch("rollback");
            Err(err)
        }
    }
}

/// An exclusive lock on a warehouse path (`<warehouse>.lock` holds our PID).
#[derive(Debug)]
pub struct WarehouseLock {
    file: File,
    path: PathBuf,
}

impl WarehouseLock {
    /// Takes the lock, creating the warehouse directory if needed.
    ///
    /// # Errors
    /// The directory cannot be created or written, or another run holds the lock.
    pub fn acquire(warehouse: &Path) -> Result<Self, WarehouseError> {
        let dir = parent_dir(warehouse);
        std::fs::create_dir_all(&dir).map_err(|source| WarehouseError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        let path = lock_path(warehouse);
        // Opening would follow a symbolic link (and truncate what it points
        // to): the lock file is a regular file or absent.
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.file_type().is_file() {
                return Err(WarehouseError::NotRegular {
                    path: path.clone(),
                    kind: file_kind(meta.file_type()).to_string(),
                });
            }
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| WarehouseError::NotWritable {
                path: dir.clone(),
                source,
            })?;
        match FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) | Err(_) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(WarehouseError::Locked {
                    path: warehouse.to_path_buf(),
                    pid: if pid.is_empty() {
                        "unknown".into()
                    } else {
                        pid.to_string()
                    },
                });
            }
        }
        let write_pid = |file: &mut File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())?;
            file.flush()
        };
        write_pid(&mut file).map_err(|source| WarehouseError::NotWritable {
            path: dir.clone(),
            source,
        })?;
        Ok(Self { file, path })
    }
}

impl Drop for WarehouseLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
        let _ = std::fs::remove_file(&self.path);
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "warehouse.duckdb".into())
}

fn lock_path(warehouse: &Path) -> PathBuf {
    parent_dir(warehouse).join(format!("{}.lock", file_name(warehouse)))
}

fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".wal");
    PathBuf::from(name)
}

fn temp_prefix(warehouse: &Path) -> String {
    format!(".{}.tmp-", file_name(warehouse))
}

/// Removes temporary files left by killed runs. Call with the lock held.
fn remove_stale_temps(warehouse: &Path) {
    let dir = parent_dir(warehouse);
    let prefix = temp_prefix(warehouse);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Fails when another process (a SQL client, another tool) holds the
/// existing warehouse open for writing. Opens it read-only, which changes nothing.
fn ensure_not_held_open(warehouse: &Path) -> Result<(), WarehouseError> {
    if !warehouse.exists() {
        return Ok(());
    }
    match open_read_only(warehouse) {
        Ok(_) => Ok(()),
        Err(err @ (WarehouseError::HeldOpen { .. } | WarehouseError::IsDirectory { .. })) => {
            Err(err)
        }
        // A file we cannot read is not a reason to refuse replacing it.
        Err(_) => Ok(()),
    }
}

/// The way forward for a foreign file, for commands that have `--force`.
const HINT_FORCE: &str = "pass --force to replace it, or choose another --warehouse";
/// The way forward for a foreign file, for commands without `--force`.
const HINT_OTHER: &str = "choose another --warehouse";

/// Refuses to replace an existing file that is not a northstar warehouse (a
/// corrupt file, random bytes, another tool's database) unless `force`.
/// `force_flag`: whether the command has `--force` (the message offers it).
fn ensure_replaceable(
    warehouse: &Path,
    force: bool,
    force_flag: bool,
) -> Result<(), WarehouseError> {
    if force || !warehouse.exists() {
        return Ok(());
    }
    open_northstar(warehouse, if force_flag { HINT_FORCE } else { HINT_OTHER }).map(drop)
}

/// Opens `warehouse` read-only and checks it is a northstar warehouse: a
/// file DuckDB cannot open, or one without our schemas, is `Foreign` (with
/// `hint` as the way forward).
fn open_northstar(warehouse: &Path, hint: &'static str) -> Result<Connection, WarehouseError> {
    let conn = open_read_only(warehouse).map_err(|err| match err {
        WarehouseError::Open { path, message } => WarehouseError::Foreign {
            path,
            reason: format!("DuckDB cannot open it: {message}"),
            hint,
        },
        other => other,
    })?;
    if !is_northstar(&conn) {
        return Err(WarehouseError::Foreign {
            path: warehouse.to_path_buf(),
            reason: "a DuckDB database without northstar's raw and meta schemas".into(),
            hint,
        });
    }
    Ok(conn)
}

/// True when the attached warehouse has northstar's raw and meta tables.
fn is_northstar(conn: &Connection) -> bool {
    conn.query_row(
        "select count(*) from duckdb_tables() where database_name = current_database() \
         and ((schema_name = 'meta' and table_name = 'pipeline_runs') or (schema_name = 'raw' and table_name = 'users'))",
        [],
        |row| row.get::<_, i64>(0),
    )
    .map(|count| count == 2)
    .unwrap_or(false)
}

/// Opens an existing northstar warehouse read-only and checks that its
/// analytics were built by the query versions in `files` (name, version) or
/// newer ones: an older northstar's warehouse needs `northstar query` first.
///
/// # Errors
/// Missing, unreadable or foreign file; no analytics tables yet; analytics
/// from other query versions.
pub fn open_current(
    warehouse: &Path,
    files: &[(String, u32)],
) -> Result<Connection, WarehouseError> {
    let conn = open_northstar(warehouse, HINT_OTHER)?;
    // No query run recorded = no analytics tables yet (checked below).
    let mut statement = conn
        .prepare("select query_name, query_version from meta.query_runs")
        .map_err(sql_error("reading meta.query_runs"))?;
    let built: std::collections::BTreeMap<String, i64> = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(sql_error("reading meta.query_runs"))?
        .collect::<Result<_, _>>()
        .map_err(sql_error("reading meta.query_runs"))?;
    drop(statement);
    if built.is_empty() {
        return Err(WarehouseError::NoAnalytics {
            path: warehouse.to_path_buf(),
        });
    }
    let mut differences = Vec::new();
    for (name, version) in files {
        match built.get(name) {
            // Newer versions are the user's edited queries (`--queries DIR`).
            Some(found) if *found >= i64::from(*version) => {}
            Some(found) => differences.push(format!("{name} v{found}, current v{version}")),
            None => differences.push(format!("{name} missing")),
        }
    }
    if !differences.is_empty() {
        let count = differences.len();
        differences.truncate(3);
        let more = if count > 3 {
            format!(" and {} more", count - 3)
        } else {
            String::new()
        };
        return Err(WarehouseError::Stale {
            path: warehouse.to_path_buf(),
            details: format!("{}{more}", differences.join(", ")),
        });
    }
    Ok(conn)
}

/// Opens an existing warehouse read-only (reports, charts, listing).
///
/// # Errors
/// The file is missing, locked by a writer, or not a DuckDB database.
pub fn open_read_only(warehouse: &Path) -> Result<Connection, WarehouseError> {
    if !warehouse.exists() {
        return Err(WarehouseError::Missing {
            path: warehouse.to_path_buf(),
        });
    }
    if warehouse.is_dir() {
        return Err(WarehouseError::IsDirectory {
            path: warehouse.to_path_buf(),
        });
    }
    let conn = Connection::open_in_memory().map_err(|err| WarehouseError::Open {
        path: warehouse.to_path_buf(),
        message: err.to_string(),
    })?;
    conn.execute_batch(&format!(
        "attach '{}' as {CATALOG} (read_only); use {CATALOG};",
        sql_path(warehouse)
    ))
    .map_err(|err| open_error(warehouse, &err.to_string()))?;
    Ok(conn)
}

/// The error for DuckDB refusing to open `warehouse` with `message`: another
/// process holding its write lock is [`WarehouseError::HeldOpen`] (naming
/// the PID and program when DuckDB reports them), anything else `Open`.
fn open_error(warehouse: &Path, message: &str) -> WarehouseError {
    if message.to_lowercase().contains("lock") {
        return WarehouseError::HeldOpen {
            path: warehouse.to_path_buf(),
            holder: lock_holder(message),
        };
    }
    WarehouseError::Open {
        path: warehouse.to_path_buf(),
        message: crate::one_line(message),
    }
}

/// `" (PID 123, /usr/bin/duckdb)"` from DuckDB's "Conflicting lock is held
/// in /usr/bin/duckdb (PID 123) by user ..." message; empty when absent.
fn lock_holder(message: &str) -> String {
    let pid = message.split("(PID ").nth(1).and_then(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    });
    let program = message
        .split("held in ")
        .nth(1)
        .and_then(|rest| rest.split(" (PID").next())
        .map(str::trim)
        .filter(|program| !program.is_empty() && !program.contains('\n'));
    match (pid, program) {
        (Some(pid), Some(program)) => format!(" (PID {pid}, {program})"),
        (Some(pid), None) => format!(" (PID {pid})"),
        _ => String::new(),
    }
}

/// `path` as the body of a single-quoted SQL string literal.
pub fn sql_path(path: &Path) -> String {
    path.to_string_lossy().replace('\'', "''")
}

/// What a warehouse path is, for a refusal: "a directory", "a FIFO", ...
fn file_kind(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The file a warehouse path stands for: the path itself, or for a symbolic
/// link the file it points to (followed link by link, so the link stays a
/// link and the new warehouse lands where its old data was). Anything that
/// is not a regular file (a directory, a device such as `/dev/null`, a FIFO,
/// a socket) is refused, `--force` or not: renaming onto it would replace
/// the node itself.
///
/// # Errors
/// [`WarehouseError::NotRegular`] naming the path and what it is.
pub fn resolve_target(target: &Path) -> Result<PathBuf, WarehouseError> {
    let mut path = target.to_path_buf();
    for _ in 0..40 {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            // Does not exist (yet): it will be created here.
            return Ok(path);
        };
        let file_type = meta.file_type();
        if file_type.is_file() {
            return Ok(path);
        }
        if !file_type.is_symlink() {
            let kind = if path == target {
                file_kind(file_type).to_string()
            } else {
                format!(
                    "a symbolic link to {} ('{}')",
                    file_kind(file_type),
                    path.display()
                )
            };
            return Err(WarehouseError::NotRegular {
                path: target.to_path_buf(),
                kind,
            });
        }
        let link = std::fs::read_link(&path).map_err(|source| WarehouseError::Open {
            path: path.clone(),
            message: format!("unable to read the symbolic link: {source}"),
        })?;
        path = if link.is_absolute() {
            link
        } else {
            parent_dir(&path).join(link)
        };
    }
    Err(WarehouseError::NotRegular {
        path: target.to_path_buf(),
        kind: "a loop of symbolic links".into(),
    })
}

/// Identity and last change of a warehouse and its write-ahead log: a
/// client that wrote to the file after a run started changes one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileState {
    file: Option<(u64, u64, u64, Option<std::time::SystemTime>)>,
    wal: Option<(u64, u64, u64, Option<std::time::SystemTime>)>,
}

impl FileState {
    fn of(path: &Path) -> Self {
        use std::os::unix::fs::MetadataExt;
        let stat = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .map(|meta| (meta.dev(), meta.ino(), meta.len(), meta.modified().ok()))
        };
        Self {
            file: stat(path),
            wal: stat(&wal_path(path)),
        }
    }

    /// How `now` differs from `self`, in words.
    fn change(&self, now: &Self) -> Option<&'static str> {
        match (&self.file, &now.file) {
            (Some(before), Some(after)) if (before.0, before.1) != (after.0, after.1) => {
                Some("replaced")
            }
            (Some(_), None) => Some("removed"),
            (None, Some(_)) => Some("created"),
            _ if self != now => Some("modified"),
            _ => None,
        }
    }
}

/// Where a build is kept when the warehouse changed under it:
/// `<stem>.new-<UTC time>.duckdb` beside the target.
fn kept_path(target: &Path) -> PathBuf {
    let name = file_name(target);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = |suffix: String| {
        let kept_name = match name.strip_suffix(".duckdb") {
            Some(stem) => format!("{stem}.new-{stamp}{suffix}.duckdb"),
            None => format!("{name}.new-{stamp}{suffix}"),
        };
        parent_dir(target).join(kept_name)
    };
    let first = kept(String::new());
    if first.exists() {
        kept(format!("-{}", std::process::id()))
    } else {
        first
    }
}

/// A warehouse being built in a temporary file; [`Staging::commit`] renames
/// it into place, dropping it without commit removes it.
pub struct Staging {
    conn: Option<Connection>,
    temp: PathBuf,
    /// The file to replace (a symbolic link's target, resolved).
    target: PathBuf,
    /// The target as it was when the run started.
    before: FileState,
    committed: bool,
    _lock: WarehouseLock,
}

impl Staging {
    /// Starts a new, empty warehouse for `target` with the raw, config,
    /// analytics and meta schemas. An existing file at `target` must be a
    /// northstar warehouse unless `force`.
    ///
    /// # Errors
    /// Locking, directory or DuckDB failures; a foreign file without `force`.
    pub fn create(target: &Path, force: bool) -> Result<Self, WarehouseError> {
        let mut staging = Self::prepare(target)?;
        ensure_replaceable(&staging.target, force, true)?;
        staging.attach()?;
        create_schema(staging.conn())?;
        Ok(staging)
    }

    /// Starts from a copy of the existing warehouse at `target` (queries on
    /// a warehouse that already holds raw data).
    ///
    /// # Errors
    /// The warehouse is missing, held open, or cannot be copied or opened.
    pub fn copy_existing(target: &Path) -> Result<Self, WarehouseError> {
        if !target.exists() {
            return Err(WarehouseError::Missing {
                path: target.to_path_buf(),
            });
        }
        let mut staging = Self::prepare(target)?;
        let target = staging.target.clone();
        ensure_replaceable(&target, false, false)?;
        std::fs::copy(&target, &staging.temp).map_err(|source| WarehouseError::Copy {
            from: target.clone(),
            to: staging.temp.clone(),
            source,
        })?;
        let wal = wal_path(&target);
        if wal.exists() {
            std::fs::copy(&wal, wal_path(&staging.temp)).map_err(|source| {
                WarehouseError::Copy {
                    from: wal.clone(),
                    to: wal_path(&staging.temp),
                    source,
                }
            })?;
        }
        staging.attach()?;
        Ok(staging)
    }

    fn prepare(target: &Path) -> Result<Self, WarehouseError> {
        let target = &resolve_target(target)?;
        // A read-only file says "do not modify": we would replace it by rename.
        if std::fs::metadata(target).is_ok_and(|meta| meta.permissions().readonly()) {
            return Err(WarehouseError::ReadOnly {
                path: target.to_path_buf(),
            });
        }
        let lock = WarehouseLock::acquire(target)?;
        remove_stale_temps(target);
        ensure_not_held_open(target)?;
        let temp =
            parent_dir(target).join(format!("{}{}", temp_prefix(target), std::process::id()));
        // Probe that the directory accepts new files before doing real work.
        File::create(&temp).map_err(|source| WarehouseError::NotWritable {
            path: parent_dir(target),
            source,
        })?;
        std::fs::remove_file(&temp).map_err(|source| WarehouseError::NotWritable {
            path: parent_dir(target),
            source,
        })?;
        Ok(Self {
            conn: None,
            temp,
            target: target.to_path_buf(),
            before: FileState::of(target),
            committed: false,
            _lock: lock,
        })
    }

    fn attach(&mut self) -> Result<(), WarehouseError> {
        let conn = Connection::open_in_memory().map_err(|err| WarehouseError::Open {
            path: self.temp.clone(),
            message: err.to_string(),
        })?;
        // A bounded memory limit makes DuckDB spill instead of growing past
        // the machine (10M users: 2 GiB instead of 19 GiB); see src/tuning.rs.
        crate::tuning::apply(&conn).map_err(|err| WarehouseError::Open {
            path: self.temp.clone(),
            message: format!("invalid DuckDB setting: {err}"),
        })?;
        let storage = if self.temp.exists() {
            String::new()
        } else {
            format!(", storage_version '{STORAGE_VERSION}'")
        };
        conn.execute_batch(&format!(
            "attach '{}' as {CATALOG} (read_write{storage}); use {CATALOG};",
            sql_path(&self.temp)
        ))
        .map_err(|err| WarehouseError::Open {
            path: self.temp.clone(),
            message: err.to_string(),
        })?;
        self.conn = Some(conn);
        Ok(())
    }

    /// The connection to the staged warehouse (attached as [`CATALOG`] and in use).
    pub fn conn(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("staging connection lives until commit")
    }

    /// Checkpoints, closes and atomically renames the staged file onto the target.
    ///
    /// # Errors
    /// Checkpoint or rename failures (the previous warehouse is then intact).
    pub fn commit(mut self) -> Result<(), WarehouseError> {
        if let Some(conn) = self.conn.take() {
            conn.execute_batch(&format!(
                "checkpoint {CATALOG}; use memory; detach {CATALOG};"
            ))
            .map_err(sql_error("checkpointing the new warehouse"))?;
            drop(conn);
        }
        if let Ok(file) = File::open(&self.temp) {
            let _ = file.sync_all();
        }
        self.ensure_unchanged()?;
        // A WAL beside the old file belongs to the old file: it must not be
        // replayed onto the new one.
        let _ = std::fs::remove_file(wal_path(&self.target));
        std::fs::rename(&self.temp, &self.target).map_err(|source| WarehouseError::Replace {
            path: self.target.clone(),
            source,
        })?;
        if let Ok(dir) = File::open(parent_dir(&self.target)) {
            let _ = dir.sync_all();
        }
        self.committed = true;
        Ok(())
    }
}

impl Staging {
    /// Right before the rename: a SQL client that opened the warehouse for
    /// writing after the run started wrote to the old file, which the rename
    /// would discard. If the file (or its WAL) changed since the start, or
    /// someone holds it open for writing now, the old file stays and the new
    /// build is kept beside it under another name.
    fn ensure_unchanged(&mut self) -> Result<(), WarehouseError> {
        let how = match self.before.change(&FileState::of(&self.target)) {
            Some(how) => how,
            None if ensure_not_held_open(&self.target).is_err() => "opened for writing",
            None => return Ok(()),
        };
        let kept = kept_path(&self.target);
        std::fs::rename(&self.temp, &kept).map_err(|source| WarehouseError::Replace {
            path: kept.clone(),
            source,
        })?;
        self.committed = true;
        Err(WarehouseError::ChangedDuringRun {
            path: self.target.clone(),
            how: how.into(),
            kept,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.conn.take();
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
            let _ = std::fs::remove_file(wal_path(&self.temp));
        }
    }
}

/// Writes `config.params` and `config.numbers` for `config`, and the seed
/// tables (`config.growth_levers`, `config.funnel_stages`, `config.plans`,
/// `config.segments`, `config.channels`, `config.calibration_targets`) from
/// its seeds (`config.seed_data`, docs/SEEDS.md).
///
/// # Errors
/// DuckDB failures.
pub fn write_config_tables(
    conn: &Connection,
    config: &Config,
    seed: Option<u64>,
) -> Result<(), WarehouseError> {
    in_transaction(conn, sql_error("writing the config tables"), || {
        write_config_rows(conn, config, seed)
    })
}

fn write_config_rows(
    conn: &Connection,
    config: &Config,
    seed: Option<u64>,
) -> Result<(), WarehouseError> {
    let a = &config.analysis;
    conn.execute("delete from config.params", [])
        .map_err(sql_error("clearing config.params"))?;
    conn.execute(
        "insert into config.params values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            config.start,
            config.end,
            config.end,
            a.activation_window_days,
            a.engagement_window_days,
            a.engagement_min_active_days,
            a.habit_window_weeks,
            a.habit_consecutive_weeks,
            a.collaboration_window_days,
            a.monetization_window_days,
            (config.users as f64 * a.north_star_target_per_1000_users / 1000.0).round() as i64,
            config.users as i64,
            a.population_users,
            a.arpu_monthly,
            a.stickiness_benchmark,
            a.signup_growth_monthly,
            a.projection_months,
            seed.unwrap_or(0) as i64,
            // stored explicitly: `--seed 0` is generated data too
            if seed.is_some() { "generated" } else { "ingested" },
        ],
    )
    .map_err(sql_error("writing config.params"))?;

    write_seed_tables(conn, config)?;
    conn.execute("delete from config.numbers", [])
        .map_err(sql_error("clearing config.numbers"))?;
    conn.execute(
        "insert into config.numbers select cast(range as integer) from range(0, ? + 1)",
        params![numbers_max(config)],
    )
    .map_err(sql_error("writing config.numbers"))?;
    Ok(())
}

/// The seed tables of `config` (its `seed_data`), replacing their rows.
fn write_seed_tables(conn: &Connection, config: &Config) -> Result<(), WarehouseError> {
    let seeds = &config.seed_data;
    for table in [
        "growth_levers",
        "plans",
        "funnel_stages",
        "segments",
        "channels",
        "calibration_targets",
    ] {
        conn.execute(&format!("delete from config.{table}"), [])
            .map_err(sql_error("clearing the config seed tables"))?;
    }
    for (index, lever) in seeds.growth_levers.iter().enumerate() {
        conn.execute(
            "insert into config.growth_levers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                index as i32 + 1,
                lever.lever_name,
                lever.target_stage,
                lever.expected_lift,
                lever.low_lift,
                lever.high_lift,
                lever.confidence,
                lever.ramp_months,
                lever.description,
                lever.cost_weeks,
                lever.cost_per_week,
                lever.gross_margin
            ],
        )
        .map_err(sql_error("writing config.growth_levers"))?;
    }
    for plan in &seeds.plans {
        conn.execute(
            "insert into config.plans values (?, ?, ?, ?, ?)",
            params![
                plan.plan,
                plan.plan_rank,
                plan.price_per_seat,
                plan.gross_margin,
                plan.description
            ],
        )
        .map_err(sql_error("writing config.plans"))?;
    }
    for (index, stage) in seeds.funnel_stages.iter().enumerate() {
        conn.execute(
            "insert into config.funnel_stages values (?, ?, ?)",
            params![index as i32 + 1, stage.stage_name, stage.definition],
        )
        .map_err(sql_error("writing config.funnel_stages"))?;
    }
    write_segments(conn, seeds)?;
    write_channels(conn, seeds)?;
    for row in seeds.calibration_rows(config.users) {
        conn.execute(
            "insert into config.calibration_targets values (?, ?, ?, ?, ?, ?, ?)",
            params![
                row.target_id,
                row.measure,
                row.target_value,
                row.lower_bound,
                row.upper_bound,
                row.unit,
                row.note
            ],
        )
        .map_err(sql_error("writing config.calibration_targets"))?;
    }
    Ok(())
}

/// The rows of `config.segments` (the table is empty).
fn write_segments(conn: &Connection, seeds: &Seeds) -> Result<(), WarehouseError> {
    for (index, segment) in seeds.segments.iter().enumerate() {
        let start_plans: Vec<String> = segment
            .start_plans
            .iter()
            .map(|(plan, weight)| format!("{plan}:{weight}"))
            .collect();
        let plan_moves: Vec<String> = segment
            .plan_moves
            .iter()
            .map(|(from, to, probability)| format!("{from}>{to}:{probability}"))
            .collect();
        conn.execute(
            "insert into config.segments values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                index as i32 + 1,
                segment.segment,
                segment.share,
                segment.paid_multiplier,
                segment.activation_multiplier,
                segment.engagement_multiplier,
                segment.collaboration_probability,
                segment.churn_multiplier,
                segment.workspace.as_str(),
                segment.team_size_min,
                segment.team_size_max,
                start_plans.join(" "),
                plan_moves.join(" ")
            ],
        )
        .map_err(sql_error("writing config.segments"))?;
    }
    Ok(())
}

/// The rows of `config.channels` (the table is empty).
fn write_channels(conn: &Connection, seeds: &Seeds) -> Result<(), WarehouseError> {
    for (index, channel) in seeds.channels.iter().enumerate() {
        conn.execute(
            "insert into config.channels values (?, ?, ?, ?, ?, ?)",
            params![
                index as i32 + 1,
                channel.channel,
                channel.share,
                channel.activation_multiplier,
                channel.paid_multiplier,
                channel.visit_conversion
            ],
        )
        .map_err(sql_error("writing config.channels"))?;
    }
    Ok(())
}

/// For a warehouse built before `config.segments` and `config.channels`
/// existed (the calibration query reads them): creates the missing table,
/// with its comments, and writes the built-in seeds' rows into it. A
/// warehouse that has them is left alone.
///
/// # Errors
/// DuckDB failures.
pub fn ensure_seed_tables(conn: &Connection) -> Result<(), WarehouseError> {
    let seeds = Seeds::builtin();
    for table in ["segments", "channels"] {
        let present: i64 = conn
            .query_row(
                "select count(*) from duckdb_tables() where database_name = current_database() \
                 and schema_name = 'config' and table_name = ?",
                [table],
                |row| row.get(0),
            )
            .map_err(sql_error(format!("looking for config.{table}")))?;
        if present > 0 {
            continue;
        }
        // the table's statements of config_schema.sql: its create and comments
        let ddl: Vec<&str> = CONFIG_SCHEMA_SQL
            .split(";\n")
            .map(str::trim)
            .filter(|statement| {
                statement.starts_with(&format!("create table config.{table} ("))
                    || statement.starts_with(&format!("comment on table config.{table} is"))
                    || statement.starts_with(&format!("comment on column config.{table}."))
            })
            .collect();
        in_transaction(conn, sql_error(format!("creating config.{table}")), || {
            conn.execute_batch(&format!("{};", ddl.join(";\n")))
                .map_err(sql_error(format!("creating config.{table}")))?;
            if table == "segments" {
                write_segments(conn, seeds)
            } else {
                write_channels(conn, seeds)
            }
        })?;
    }
    Ok(())
}

/// The largest integer in `config.numbers`: the days of the period + 400, at
/// least 1,000 and at least `analysis.projection_months`, so every series a
/// query builds from it (days, weeks and months of the period, projection
/// months, fixed steps) fits.
#[must_use]
pub fn numbers_max(config: &Config) -> i64 {
    (config.period_days() + 400)
        .max(1000)
        .max(i64::from(config.analysis.projection_months))
}

/// One row of `meta.pipeline_runs`.
pub struct PipelineRun<'a> {
    pub command: &'a str,
    pub seed: Option<u64>,
    pub config_toml: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub generate_ms: Option<i64>,
    pub query_ms: Option<i64>,
    pub check_ms: Option<i64>,
}

/// Appends a row to `meta.pipeline_runs`.
///
/// # Errors
/// DuckDB failures.
pub fn record_pipeline_run(conn: &Connection, run: &PipelineRun<'_>) -> Result<(), WarehouseError> {
    let users: i64 = conn
        .query_row("select count(*) from raw.users", [], |row| row.get(0))
        .map_err(sql_error("counting raw.users"))?;
    conn.execute(
        "insert into meta.pipeline_runs
         select coalesce(max(run_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? from meta.pipeline_runs",
        params![
            run.command,
            env!("CARGO_PKG_VERSION"),
            run.seed.map(|seed| seed as i64),
            users,
            run.config_toml,
            run.started_at.naive_utc(),
            chrono::Utc::now().naive_utc(),
            run.generate_ms,
            run.query_ms,
            run.check_ms,
        ],
    )
    .map_err(sql_error("writing meta.pipeline_runs"))?;
    Ok(())
}

/// `meta.run_history` for a warehouse built before it existed (the
/// headline query reads it).
const RUN_HISTORY_DDL: &str = "create table if not exists meta.run_history (\
     run_id bigint not null, recorded_at timestamp not null, as_of_date date not null, \
     north_star bigint, activation_rate double precision, paid_conversion double precision, \
     mrr double precision, paying_accounts bigint, activation_rate_n bigint, \
     paid_conversion_n bigint); \
     alter table meta.run_history add column if not exists activation_rate_n bigint; \
     alter table meta.run_history add column if not exists paid_conversion_n bigint";

/// Creates `meta.run_history` when an older warehouse lacks it, and adds
/// the denominators (`activation_rate_n`, `paid_conversion_n`) to one
/// recorded before they were kept (their rows keep NULL there: no interval).
///
/// # Errors
/// DuckDB failures.
pub fn ensure_run_history(conn: &Connection) -> Result<(), WarehouseError> {
    conn.execute_batch(RUN_HISTORY_DDL)
        .map_err(sql_error("creating meta.run_history"))
}

/// Copies the current figures of `analytics.headline` (one row, computed by
/// the headline query) into `meta.run_history` under the latest
/// `meta.pipeline_runs` run id, replacing an earlier row of the same as-of
/// date. Nothing happens when the run did not compute the headline. The
/// table has its current columns already: [`ensure_run_history`] ran before
/// the queries (the headline query reads it).
///
/// # Errors
/// DuckDB failures.
pub fn record_run_history(conn: &Connection) -> Result<(), WarehouseError> {
    let computed: i64 = conn
        .query_row(
            "select count(*) from duckdb_tables() where database_name = current_database() \
             and schema_name = 'analytics' and table_name = 'headline'",
            [],
            |row| row.get(0),
        )
        .map_err(sql_error("looking for analytics.headline"))?;
    if computed == 0 {
        return Ok(());
    }
    let recorded_at = crate::utc_timestamp_text(chrono::Utc::now());
    in_transaction(conn, sql_error("writing meta.run_history"), || {
        conn.execute_batch(
            "delete from meta.run_history where as_of_date in (select as_of_date from analytics.headline);",
        )
        .map_err(sql_error("writing meta.run_history"))?;
        // recorded_at in UTC, taken here: DuckDB's clock follows the machine's zone
        conn.execute(
            "insert into meta.run_history \
             (run_id, recorded_at, as_of_date, north_star, activation_rate, paid_conversion, \
              mrr, paying_accounts, activation_rate_n, paid_conversion_n) \
             select (select max(run_id) from meta.pipeline_runs), cast(? as timestamp), \
               as_of_date, north_star, activation_rate, paid_conversion, mrr, paying_accounts, \
               activation_rate_n, paid_conversion_n \
             from analytics.headline",
            params![recorded_at],
        )
        .map(|_| ())
        .map_err(sql_error("writing meta.run_history"))
    })
}
