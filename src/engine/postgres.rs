//! The query runner on PostgreSQL: `northstar query --engine postgres`.
//!
//! Runs the same query files (unmodified) against a PostgreSQL database that
//! already holds the `raw` and `config` tables (for example one loaded with
//! `northstar export postgres`), materializing each analysis as
//! `analytics.<name>` and recording `meta.query_runs`, `meta.check_results`
//! and `meta.pipeline_runs` there. Everything happens in one transaction: a
//! failure (a missing table, a permission, a query PostgreSQL rejects, Ctrl-C)
//! changes nothing.
//!
//! Connection settings come from the URL (`postgres://user:password@host:port/db`
//! or `host=... dbname=...`) and, for what it leaves out, the standard
//! variables `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
//! `PGAPPNAME`, `PGCONNECT_TIMEOUT` and `PGSSLMODE` (`disable` or `prefer`; no
//! TLS support). A URL that names a host without a port means port 5432 (the
//! client crate's reading); `PGPORT` applies when the host comes from
//! `PGHOST`. The password never appears in a message.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use postgres::config::{Host, SslMode};
use postgres::{Client, NoTls, Transaction};

use super::{numbered_placeholders, pg_dialect, Session, Statement, Value};
use crate::export::{self, ExportError};
use crate::interrupt;
use crate::queries::{scheduler, QueryFile, QueryKind, RunSummary};

/// Errors of the PostgreSQL engine; each names the server (never the
/// password) and the object concerned.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("{0}")]
    Usage(String),
    #[error("invalid --database-url: {message}")]
    Url { message: String },
    #[error("unable to connect to PostgreSQL {server}: {message}")]
    Connect { server: String, message: String },
    #[error("PostgreSQL {server}: table {table} does not exist; load the raw and config tables first (northstar export postgres)")]
    MissingTable { server: String, table: String },
    #[error("PostgreSQL {server}: permission denied: {what}")]
    Permission { server: String, what: String },
    #[error("PostgreSQL {server}: another northstar run is writing to this database; wait for it to finish")]
    Busy { server: String },
    #[error("{path}:{line}: query '{name}' failed on PostgreSQL {server}: {message}")]
    Execute {
        path: String,
        name: String,
        line: usize,
        server: String,
        message: String,
    },
    #[error("PostgreSQL {server}: {context} failed: {message}")]
    Sql {
        server: String,
        context: String,
        message: String,
    },
    #[error(transparent)]
    Catalog(Box<ExportError>),
    #[error("interrupted; nothing was changed on PostgreSQL")]
    Interrupted,
}

impl From<ExportError> for PgError {
    fn from(err: ExportError) -> Self {
        Self::Catalog(Box::new(err))
    }
}

/// A PostgreSQL database to run on: its connection settings and a
/// description safe to print.
pub struct Target {
    config: postgres::Config,
    secret: Option<String>,
    server: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// Reads one environment variable, treating empty as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl Target {
    /// Connection settings from `url` (if any) completed by the `PG*`
    /// environment variables.
    ///
    /// # Errors
    /// A URL that is not a PostgreSQL connection string, or no user name.
    pub fn from_url_and_env(url: Option<&str>) -> Result<Self, PgError> {
        Self::resolve(url, env)
    }

    fn resolve(url: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Self, PgError> {
        let mut config = match url {
            Some(url) => parse_url(url.trim())?,
            None => postgres::Config::new(),
        };
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(hosts) => {
                    for host in hosts.split(',') {
                        config.host(host.trim());
                    }
                }
                None if std::path::Path::new("/var/run/postgresql").is_dir() => {
                    config.host("/var/run/postgresql");
                }
                None => {
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty() {
            if let Some(ports) = env("PGPORT") {
                for port in ports.split(',') {
                    let port = port.trim().parse().map_err(|_| {
                        PgError::Usage(format!("PGPORT '{ports}' is not a port number"))
                    })?;
                    config.port(port);
                }
            }
        }
        if config.get_user().is_none() {
            match env("PGUSER").or_else(|| env("USER")).or_else(|| env("LOGNAME")) {
                Some(user) => {
                    config.user(&user);
                }
                None => {
                    return Err(PgError::Usage(
                        "no PostgreSQL user: put it in --database-url (postgres://user@host/db) or set PGUSER".into(),
                    ))
                }
            }
        }
        if config.get_password().is_none() {
            if let Some(password) = env("PGPASSWORD") {
                config.password(password);
            }
        }
        if config.get_dbname().is_none() {
            if let Some(dbname) = env("PGDATABASE") {
                config.dbname(&dbname);
            }
        }
        if config.get_application_name().is_none() {
            config.application_name(&env("PGAPPNAME").unwrap_or_else(|| "northstar".into()));
        }
        if config.get_connect_timeout().is_none() {
            let seconds = env("PGCONNECT_TIMEOUT")
                .and_then(|s| s.parse().ok())
                .unwrap_or(10);
            config.connect_timeout(Duration::from_secs(seconds));
        }
        let explicit_ssl = url.is_some_and(|u| u.contains("sslmode"));
        if !explicit_ssl {
            match env("PGSSLMODE").as_deref() {
                Some("disable") => {
                    config.ssl_mode(SslMode::Disable);
                }
                Some("require" | "verify-ca" | "verify-full") => {
                    config.ssl_mode(SslMode::Require);
                }
                _ => {}
            }
        }
        if config.get_ssl_mode() == SslMode::Require {
            return Err(PgError::Usage(
                "sslmode=require: northstar connects without TLS; use sslmode=prefer or disable, or a local tunnel".into(),
            ));
        }
        let secret = config
            .get_password()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .filter(|s| !s.is_empty());
        let server = describe(&config);
        Ok(Self {
            config,
            secret,
            server,
        })
    }

    /// `'user@host:port/dbname'`, without the password.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Opens a connection.
    ///
    /// # Errors
    /// Refused or failed connections, authentication, a missing database.
    pub fn connect(&self) -> Result<Client, PgError> {
        self.config.connect(NoTls).map_err(|err| PgError::Connect {
            server: self.server.clone(),
            message: self.scrub(&error_text(&err)),
        })
    }

    fn scrub(&self, message: &str) -> String {
        scrub(message, self.secret.as_deref())
    }
}

fn describe(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(index, host)| {
            let port = ports
                .get(index)
                .or_else(|| ports.first())
                .copied()
                .unwrap_or(5432);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    let user = config.get_user().unwrap_or("?");
    let dbname = config.get_dbname().unwrap_or(user);
    format!("'{user}@{}/{dbname}'", hosts.join(","))
}

/// Option names of a connection string, which may appear in a parse error
/// (`invalid value for option `port``); nothing else of the error is shown.
const OPTION_NAMES: [&str; 15] = [
    "host",
    "hostaddr",
    "port",
    "user",
    "dbname",
    "options",
    "application_name",
    "sslmode",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
];

/// Parses `--database-url` with the client crate's own parser
/// (`postgres://user:password@host:port/dbname` or `host=... dbname=...`).
/// No part of the text is ever echoed: any of it may be a password (a URL
/// without a scheme, or an unencoded `@` in the password, moves it to where
/// a host or a user name is expected). What is printed later is built from
/// the parsed result: user, host, port and database name only.
///
/// # Errors
/// [`PgError::Url`] when it does not parse or its host holds an `@`.
fn parse_url(url: &str) -> Result<postgres::Config, PgError> {
    const NOT_SHOWN: &str = "(not shown: it may hold a password)";
    let config = postgres::Config::from_str(url).map_err(|err| {
        let text = error_text(&err);
        let option = OPTION_NAMES
            .iter()
            .find(|name| text.contains(&format!("option `{name}`")))
            .map(|name| format!(", invalid value for `{name}`"))
            .unwrap_or_default();
        PgError::Url {
            message: format!(
                "it does not parse as postgres://user@host:port/dbname or host=... dbname=...{option} {NOT_SHOWN}"
            ),
        }
    })?;
    let at_in_host = config.get_hosts().iter().any(|host| match host {
        Host::Tcp(name) => name.contains('@'),
        #[cfg(unix)]
        Host::Unix(path) => path.to_string_lossy().contains('@'),
    });
    if at_in_host {
        return Err(PgError::Url {
            message: format!(
                "its host part holds an '@': write an '@' in the password as %40 {NOT_SHOWN}"
            ),
        });
    }
    Ok(config)
}

/// The error text with its cause (`postgres::Error`'s Display leaves it out).
fn error_text(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut text = db.message().to_string();
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        return text;
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    crate::one_line(&text)
}

fn scrub(message: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => message.replace(secret, "***"),
        _ => message.to_string(),
    }
}

/// Cancels the running statement when Ctrl-C arrives, until dropped.
struct CancelOnInterrupt {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CancelOnInterrupt {
    fn watch(token: postgres::CancelToken) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                if interrupt::requested() {
                    let _ = token.cancel_query(NoTls);
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for CancelOnInterrupt {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A key for `pg_try_advisory_xact_lock`: one northstar writer per database.
const ADVISORY_LOCK_KEY: i64 = 0x6e6f_7274_6873_7461; // "northsta"

/// Runs the ordered `files` on `target` in one transaction and records the
/// runs in its `meta` schema. Failed checks are recorded and returned in the
/// summary, like the DuckDB runner.
///
/// # Errors
/// Connection, a missing table or privilege (checked before anything runs), a
/// query PostgreSQL rejects (file and line named), or an interrupt; in each
/// case nothing is changed.
pub fn run(
    target: &Target,
    files: &[QueryFile],
    progress: &ProgressBar,
) -> Result<RunSummary, PgError> {
    let started_at = chrono::Utc::now();
    let mut client = target.connect()?;
    let server = target.server().to_string();
    let sql_error = |context: &str| {
        let server = server.clone();
        let context = context.to_string();
        move |err: postgres::Error| PgError::Sql {
            server: server.clone(),
            context: context.clone(),
            message: target.scrub(&error_text(&err)),
        }
    };
    preflight(&mut client, target, files)?;
    let _cancel = CancelOnInterrupt::watch(client.cancel_token());
    let mut tx = client
        .transaction()
        .map_err(sql_error("starting a transaction"))?;
    let locked = tx
        .query_one(
            "select pg_try_advisory_xact_lock($1)",
            &[&ADVISORY_LOCK_KEY],
        )
        .map_err(sql_error("taking the northstar lock"))?;
    if !locked.get::<_, bool>(0) {
        return Err(PgError::Busy {
            server: server.clone(),
        });
    }
    tx.batch_execute("set local time zone 'UTC'")
        .map_err(sql_error("setting the time zone"))?;
    // Only the missing ones: `create schema if not exists` needs the
    // database's CREATE privilege even when the schema is there, which a
    // role that owns analytics and meta need not have.
    for schema in ["analytics", "meta"] {
        let exists: bool = tx
            .query_one(
                "select exists (select 1 from pg_namespace where nspname = $1)",
                &[&schema],
            )
            .map_err(sql_error("reading the catalog"))?
            .get(0);
        if !exists {
            tx.execute(&format!("create schema {schema}"), &[])
                .map_err(sql_error(&format!("creating schema {schema}")))?;
        }
    }
    // Only the missing ones: `comment on` an existing table needs its
    // ownership, which a role allowed to write the rows need not have.
    for table in export::reference_catalog(&["meta"])? {
        let exists: bool = tx
            .query_one(
                "select exists (select 1 from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace \
                 where n.nspname = $1 and c.relname = $2)",
                &[&table.schema, &table.name],
            )
            .map_err(sql_error("reading the catalog"))?
            .get(0);
        if !exists {
            tx.batch_execute(&pg_dialect::table_ddl(&table, false)?)
                .map_err(sql_error(&format!("creating {}", table.qualified())))?;
        }
    }
    // A database set up before checks had a severity gains the column.
    tx.batch_execute(crate::queries::MIGRATE_CHECK_RESULTS)
        .map_err(sql_error("adding meta.check_results.severity"))?;

    let mut session = PgSession {
        tx,
        target,
        server: server.clone(),
    };
    let summary = scheduler::run(
        &mut session,
        Vec::<PgSession>::new(),
        files,
        progress,
        &|| {},
    )?;
    let mut tx = session.tx;
    let users: i64 = tx
        .query_one("select count(*) from raw.users", &[])
        .map_err(sql_error("counting raw.users"))?
        .get(0);
    tx.execute(
        "insert into meta.pipeline_runs
         select coalesce(max(run_id), 0) + 1, 'query --engine postgres', $1, cast(null as bigint), $2, '',
             cast(cast($3 as text) as timestamp), localtimestamp, cast(null as bigint), $4, $5
         from meta.pipeline_runs",
        &[
            &env!("CARGO_PKG_VERSION"),
            &users,
            &crate::utc_timestamp_text(started_at),
            &summary.query_ms,
            &summary.check_ms,
        ],
    )
    .map_err(sql_error("recording meta.pipeline_runs"))?;
    if interrupt::requested() {
        return Err(PgError::Interrupted);
    }
    tx.commit().map_err(sql_error("committing"))?;
    Ok(summary)
}

/// The run's one transaction on the server: every file and every record in
/// it, committed together at the end.
pub struct PgSession<'a> {
    tx: Transaction<'a>,
    target: &'a Target,
    server: String,
}

impl PgSession<'_> {
    fn execute_error(&self, file: &QueryFile, statement: &str, err: &postgres::Error) -> PgError {
        if interrupt::requested() {
            return PgError::Interrupted;
        }
        PgError::Execute {
            path: file.path.clone(),
            name: file.name.clone(),
            line: error_line(statement, &file.text, err),
            server: self.server.clone(),
            message: self.target.scrub(&error_text(err)),
        }
    }
}

impl Session for PgSession<'_> {
    type Error = PgError;

    fn materialize(&mut self, file: &QueryFile) -> Result<i64, PgError> {
        // Each statement alone in the extended protocol (`execute`):
        // PostgreSQL refuses more than one command in a prepared statement,
        // so a file cannot smuggle in a second one.
        let create = pg_dialect::create_statement(file);
        let statements = [
            format!("drop table if exists analytics.{}", file.name),
            create.clone(),
        ];
        for statement in &statements {
            if let Err(err) = self.tx.execute(statement.as_str(), &[]) {
                let position = if *statement == create {
                    create.as_str()
                } else {
                    ""
                };
                return Err(self.execute_error(file, position, &err));
            }
        }
        let rows: i64 = match self.tx.query_one(
            &format!("select count(*) from analytics.{}", file.name),
            &[],
        ) {
            Ok(row) => row.get(0),
            Err(err) => return Err(self.execute_error(file, "", &err)),
        };
        if let Err(err) = self.tx.execute(&pg_dialect::comment_statement(file), &[]) {
            return Err(self.execute_error(file, "", &err));
        }
        Ok(rows)
    }

    fn check(&mut self, file: &QueryFile) -> Result<(i64, Vec<String>), PgError> {
        let count = format!(
            "select count(*) from {}",
            pg_dialect::offending_subquery(file)
        );
        let offending: i64 = match self.tx.query_one(&count, &[]) {
            Ok(row) => row.get(0),
            Err(err) => return Err(self.execute_error(file, &count, &err)),
        };
        let sample = if offending > 0 {
            match sample_rows(&mut self.tx, file) {
                Ok(sample) => sample,
                Err(err) => return Err(self.execute_error(file, "", &err)),
            }
        } else {
            Vec::new()
        };
        Ok((offending, sample))
    }

    fn write(&mut self, what: &str, statements: &[Statement]) -> Result<(), PgError> {
        for (sql, values) in statements {
            let values: Vec<Box<dyn postgres::types::ToSql + Sync>> = values
                .iter()
                .map(|value| -> Box<dyn postgres::types::ToSql + Sync> {
                    match value {
                        Value::Text(text) => Box::new(text.clone()),
                        Value::Int(number) => Box::new(*number),
                        Value::BigInt(number) => Box::new(*number),
                        Value::Bool(flag) => Box::new(*flag),
                    }
                })
                .collect();
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                values.iter().map(AsRef::as_ref).collect();
            self.tx
                .execute(&numbered_placeholders(sql), &refs)
                .map_err(|err| PgError::Sql {
                    server: self.server.clone(),
                    context: format!("recording {what}"),
                    message: self.target.scrub(&error_text(&err)),
                })?;
        }
        Ok(())
    }

    fn interrupted() -> PgError {
        PgError::Interrupted
    }

    fn panicked(file: &QueryFile) -> PgError {
        PgError::Execute {
            path: file.path.clone(),
            name: file.name.clone(),
            line: 1,
            server: String::new(),
            message: "the query runner panicked".into(),
        }
    }
}

/// Up to five offending rows of a check, as text. Extended protocol only
/// (one statement): the columns are counted from the prepared statement,
/// renamed by position (`as offending(c1, c2, ...)`, so duplicate names do
/// not matter) and cast to text.
fn sample_rows(tx: &mut Transaction<'_>, file: &QueryFile) -> Result<Vec<String>, postgres::Error> {
    let subquery = pg_dialect::offending_subquery(file);
    let columns = tx
        .prepare(&format!("select * from {subquery} limit 5"))?
        .columns()
        .len();
    if columns == 0 {
        return Ok(Vec::new());
    }
    let names: Vec<String> = (1..=columns).map(|index| format!("c{index}")).collect();
    let casts: Vec<String> = names
        .iter()
        .map(|name| format!("cast({name} as text)"))
        .collect();
    let rows = tx.query(
        &format!(
            "select {} from {}({}) limit 5",
            casts.join(", "),
            subquery,
            names.join(", ")
        ),
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|row| {
            (0..columns)
                .map(|index| match row.try_get::<_, Option<String>>(index) {
                    Ok(Some(value)) => value,
                    Ok(None) => "NULL".into(),
                    Err(_) => "?".into(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect())
}

/// The file line of a PostgreSQL error position in `statement` (which ends
/// with the file text, the prefix on the file's first line).
fn error_line(statement: &str, text: &str, err: &postgres::Error) -> usize {
    use postgres::error::ErrorPosition;
    let Some(ErrorPosition::Original(position)) = err.as_db_error().and_then(|db| db.position())
    else {
        return 1;
    };
    let prefix_lines = statement
        .find(text)
        .map_or(0, |start| statement[..start].matches('\n').count());
    let before: String = statement
        .chars()
        .take((*position as usize).saturating_sub(1))
        .collect();
    (before.matches('\n').count() + 1)
        .saturating_sub(prefix_lines)
        .max(1)
}

/// Checks before anything runs: every raw and config table exists and is
/// readable, and analytics/meta can be written.
fn preflight(client: &mut Client, target: &Target, files: &[QueryFile]) -> Result<(), PgError> {
    let server = target.server().to_string();
    let sql_error = |err: postgres::Error| PgError::Sql {
        server: server.clone(),
        context: "reading the catalog".into(),
        message: target.scrub(&error_text(&err)),
    };
    let permission = |what: String| PgError::Permission {
        server: server.clone(),
        what,
    };
    let schema_exists = |client: &mut Client, schema: &str| -> Result<bool, PgError> {
        Ok(client
            .query_one(
                "select exists (select 1 from pg_namespace where nspname = $1)",
                &[&schema],
            )
            .map_err(sql_error)?
            .get(0))
    };
    let schema_privilege =
        |client: &mut Client, schema: &str, privilege: &str| -> Result<bool, PgError> {
            Ok(client
                .query_one(
                    "select has_schema_privilege(cast($1 as text), cast($2 as text))",
                    &[&schema, &privilege],
                )
                .map_err(sql_error)?
                .get(0))
        };
    for table in export::reference_catalog(&export::DATA_SCHEMAS)? {
        let qualified = table.qualified();
        if !schema_exists(client, &table.schema)? {
            return Err(PgError::MissingTable {
                server: server.clone(),
                table: qualified,
            });
        }
        if !schema_privilege(client, &table.schema, "USAGE")? {
            return Err(permission(format!(
                "no USAGE on schema {} (needed to read {qualified})",
                table.schema
            )));
        }
        let exists: bool = client
            .query_one(
                "select exists (select 1 from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace \
                 where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'm', 'p', 'f'))",
                &[&table.schema, &table.name],
            )
            .map_err(sql_error)?
            .get(0);
        if !exists {
            return Err(PgError::MissingTable {
                server: server.clone(),
                table: qualified,
            });
        }
        let readable: bool = client
            .query_one(
                "select has_table_privilege(cast($1 as text), 'SELECT')",
                &[&qualified],
            )
            .map_err(sql_error)?
            .get(0);
        if !readable {
            return Err(permission(format!("no SELECT on table {qualified}")));
        }
    }
    let can_create_schemas: bool = client
        .query_one(
            "select has_database_privilege(current_database(), 'CREATE')",
            &[],
        )
        .map_err(sql_error)?
        .get(0);
    for schema in ["analytics", "meta"] {
        if schema_exists(client, schema)? {
            if !schema_privilege(client, schema, "CREATE")?
                || !schema_privilege(client, schema, "USAGE")?
            {
                return Err(permission(format!(
                    "no CREATE on schema {schema} (needed to write its tables)"
                )));
            }
        } else if !can_create_schemas {
            return Err(permission(format!(
                "schema {schema} does not exist and this user may not create schemas in the database"
            )));
        }
    }
    // Tables to be replaced must be ours (DROP needs ownership).
    let mut names: Vec<String> = files
        .iter()
        .filter(|f| f.kind == QueryKind::Analysis)
        .map(|f| format!("analytics.{}", f.name))
        .collect();
    names.extend(
        [
            "meta.query_runs",
            "meta.check_results",
            "meta.pipeline_runs",
        ]
        .map(String::from),
    );
    for name in names {
        let (schema, table) = name.split_once('.').unwrap_or(("analytics", name.as_str()));
        let owned: Option<bool> = client
            .query_opt(
                "select pg_has_role(c.relowner, 'USAGE') from pg_class as c \
                 inner join pg_namespace as n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2",
                &[&schema, &table],
            )
            .map_err(sql_error)?
            .map(|row| row.get(0));
        if owned == Some(false) {
            return Err(permission(format!(
                "{name} exists and belongs to another role; it cannot be replaced"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn server_description_has_no_password() -> Result<(), PgError> {
        let target = Target::resolve(Some("postgres://ana:s3cret@db.example.com:6543/wh"), no_env)?;
        assert_eq!(target.server(), "'ana@db.example.com:6543/wh'");
        assert!(!format!("{target:?}").contains("s3cret"));
        Ok(())
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() -> Result<(), PgError> {
        let env = |name: &str| match name {
            "PGHOST" => Some("pg.internal".to_string()),
            "PGPORT" => Some("5433".to_string()),
            "PGUSER" => Some("etl".to_string()),
            "PGDATABASE" => Some("warehouse".to_string()),
            "PGPASSWORD" => Some("hunter2".to_string()),
            _ => None,
        };
        let target = Target::resolve(None, env)?;
        assert_eq!(target.server(), "'etl@pg.internal:5433/warehouse'");
        assert_eq!(target.scrub("x hunter2 y"), "x *** y");
        let target = Target::resolve(Some("postgres://ana@db/other"), env)?;
        // A URL that names a host uses its port, or 5432: PGPORT is for the PGHOST case.
        assert_eq!(target.server(), "'ana@db:5432/other'");
        Ok(())
    }

    #[test]
    fn a_url_that_may_hold_a_password_is_never_echoed() {
        // Whatever the shape, no part of the text reaches the message.
        for (url, secret) in [
            ("mysql://root:topsecret@db/x", "topsecret"),
            ("postgres://u:topsecret@db:notaport/x", "topsecret"),
            // no scheme: not a URL, not key=value either
            ("analyst:topsecret@db:5432/x", "topsecret"),
            // an unencoded '@' in the password: the crate reads "cret@db" as the host
            ("postgres://analyst:top@secret@db:5432/x", "secret"),
            ("postgresql://analyst:p@ss@db/x", "ss@db"),
            ("host=db password='unterminated", "unterminated"),
        ] {
            let err = Target::resolve(Some(url), no_env).expect_err(url);
            let message = err.to_string();
            assert!(message.starts_with("invalid --database-url: "), "{message}");
            assert!(!message.contains(secret), "{url}: {message}");
            assert!(!message.contains("analyst"), "{url}: {message}");
            assert!(!message.contains('\n'), "{message}");
        }
        let err =
            Target::resolve(Some("postgres://u:pw@db:notaport/x"), no_env).expect_err("bad port");
        assert!(
            err.to_string().contains("invalid value for `port`"),
            "{err}"
        );
        let err = Target::resolve(Some("postgres://analyst:p@ss@db/x"), no_env)
            .expect_err("@ in password");
        assert!(err.to_string().contains("%40"), "{err}");
    }

    #[test]
    fn a_parsed_url_prints_user_host_port_and_database_only() -> Result<(), PgError> {
        for url in [
            "postgres://analyst:topsecret@db:5432/x",
            "postgres://analyst:top%40secret@db:5432/x",
            "host=db port=5432 user=analyst password=topsecret dbname=x",
            "postgres://analyst@db:5432/x?password=topsecret",
        ] {
            let target = Target::resolve(Some(url), no_env)?;
            assert_eq!(target.server(), "'analyst@db:5432/x'", "{url}");
            assert!(!format!("{target:?}").contains("topsecret"));
        }
        Ok(())
    }
}
