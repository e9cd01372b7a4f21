//! Synthetic data: simulates users in fixed-size batches on worker threads
//! and streams them into the warehouse through DuckDB's Arrow appender.
//!
//! Determinism: user `i` draws from its own ChaCha8 stream (`seed`, stream
//! `i`), batches have a fixed size, and the writer appends batches in index
//! order, so the tables are identical whatever the thread count. Memory stays
//! flat: at most a few batches are in flight.

pub mod billing;
pub mod model;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use duckdb::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;
use fake::faker::company::en::CompanyName;
use fake::faker::internet::en::FreeEmailProvider;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::interrupt;
use crate::seeds::{Seeds, WorkspaceKind};
use model::{
    simulate_journey, Journey, Period, Scratch, UserProfile, DAY_US, DEVICES, LANDING_PAGES,
    REGIONS, USE_CASES,
};

/// Users per batch. Fixed: part of what makes the output thread-independent.
pub const BATCH_USERS: u64 = 2_048;

/// Errors while generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("unable to append to table 'raw.{table}'")]
    Append {
        table: &'static str,
        source: duckdb::Error,
    },
    #[error("unable to build the arrow batch for 'raw.{table}': {message}")]
    Arrow {
        table: &'static str,
        message: String,
    },
    #[error("row count check failed for 'raw.{table}': appended {expected}, table holds {actual}")]
    RowCount {
        table: &'static str,
        expected: u64,
        actual: u64,
    },
    #[error("interrupted")]
    Interrupted,
    #[error("a generator thread failed: {0}")]
    Worker(String),
}

/// Row counts of a generated warehouse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub users: u64,
    pub workspaces: u64,
    pub events: u64,
    pub visits: u64,
    pub subscriptions: u64,
}

/// One batch of simulated rows, columnar, ids still to be assigned for
/// events, visits and subscriptions. Segment, channel and plan names are
/// borrowed from the seeds.
#[derive(Default)]
struct BatchRows<'s> {
    user_id: Vec<i64>,
    signup_at: Vec<i64>,
    full_name: Vec<String>,
    email: Vec<String>,
    company_name: Vec<Option<String>>,
    segment: Vec<&'s str>,
    channel: Vec<&'s str>,
    device: Vec<&'static str>,
    region: Vec<&'static str>,
    use_case: Vec<&'static str>,

    workspace_id: Vec<i64>,
    workspace_owner: Vec<i64>,
    workspace_name: Vec<String>,
    workspace_type: Vec<&'static str>,
    workspace_created: Vec<i64>,

    member_workspace: Vec<i64>,
    member_user: Vec<i64>,
    member_role: Vec<&'static str>,
    member_joined: Vec<i64>,

    event_user: Vec<i64>,
    event_workspace: Vec<i64>,
    event_type: Vec<&'static str>,
    event_at: Vec<i64>,

    visit_at: Vec<i64>,
    visit_channel: Vec<&'s str>,
    visit_landing: Vec<&'static str>,
    visit_user: Vec<Option<i64>>,

    subscription_user: Vec<i64>,
    subscription_workspace: Vec<i64>,
    subscription_plan: Vec<&'s str>,
    subscription_seats: Vec<i32>,
    subscription_started: Vec<i64>,
    subscription_ended: Vec<Option<i64>>,
    subscription_revenue: Vec<f64>,
}

/// The period of a config in microseconds.
pub fn period_of(config: &Config) -> Period {
    let start = config
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_micros();
    Period {
        start_us: start,
        end_us: start + config.period_days() * DAY_US,
    }
}

fn user_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

fn slug(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Simulates batch `batch` (users `batch * BATCH_USERS ..`).
fn simulate_batch(config: &Config, period: Period, batch: u64) -> BatchRows<'_> {
    let first = batch * BATCH_USERS;
    let last = (first + BATCH_USERS).min(config.users);
    let behaviour = &config.behaviour;
    let seeds: &Seeds = &config.seed_data;
    let mut rows = BatchRows::default();
    let mut scratch = Scratch::new(seeds);

    // Profiles first: team formation needs the whole batch.
    let mut rngs: Vec<ChaCha8Rng> = Vec::with_capacity((last - first) as usize);
    let mut profiles: Vec<UserProfile> = Vec::with_capacity((last - first) as usize);
    for index in first..last {
        let mut rng = user_rng(config.seed, index);
        profiles.push(model::sample_profile(
            &mut rng,
            behaviour,
            scratch.tables(),
            period,
            index,
            config.users,
        ));
        rngs.push(rng);
    }
    // Teams: users of a team segment join the open team of their segment in
    // signup order; the first member owns it and draws its size.
    let mut open_team: Vec<Option<(i64, u32, String)>> = vec![None; seeds.segments.len()];
    let mut workspace_of: Vec<i64> = Vec::with_capacity(profiles.len());
    let mut company_of: Vec<Option<String>> = Vec::with_capacity(profiles.len());
    for (offset, profile) in profiles.iter().enumerate() {
        let user_id = profile.user_index as i64 + 1;
        let rng = &mut rngs[offset];
        let first_name: String = FirstName().fake_with_rng(rng);
        let last_name: String = LastName().fake_with_rng(rng);
        let segment = profile.segment;
        let segment_seed = &seeds.segments[segment];
        let personal = segment_seed.workspace == WorkspaceKind::Personal;
        let (workspace_id, company, role) = if personal {
            (user_id, None, "owner")
        } else {
            match &mut open_team[segment] {
                Some((workspace_id, remaining, company)) if *remaining > 0 => {
                    *remaining -= 1;
                    (*workspace_id, Some(company.clone()), "member")
                }
                slot => {
                    let (min, max) = (segment_seed.team_size_min, segment_seed.team_size_max);
                    let size = rng.gen_range(min..=max);
                    let company: String = if segment_seed.workspace == WorkspaceKind::University {
                        format!("{} University", LastName().fake_with_rng::<String, _>(rng))
                    } else {
                        CompanyName().fake_with_rng(rng)
                    };
                    *slot = Some((user_id, size - 1, company.clone()));
                    (user_id, Some(company), "owner")
                }
            }
        };
        let domain = match &company {
            Some(company) => format!("{}.com", slug(company)),
            None => FreeEmailProvider().fake_with_rng(rng),
        };
        rows.user_id.push(user_id);
        rows.signup_at.push(profile.signup_us);
        rows.full_name.push(format!("{first_name} {last_name}"));
        rows.email.push(format!(
            "{}.{}{}@{}",
            slug(&first_name),
            slug(&last_name),
            user_id,
            domain
        ));
        if role == "owner" {
            rows.workspace_id.push(workspace_id);
            rows.workspace_owner.push(user_id);
            rows.workspace_name.push(match &company {
                Some(company) => company.clone(),
                None => format!("{first_name}'s workspace"),
            });
            rows.workspace_type
                .push(if personal { "personal" } else { "team" });
            rows.workspace_created.push(profile.signup_us);
        }
        rows.member_workspace.push(workspace_id);
        rows.member_user.push(user_id);
        rows.member_role.push(role);
        rows.member_joined.push(profile.signup_us);
        rows.company_name.push(company.clone());
        rows.segment.push(&segment_seed.segment);
        rows.channel.push(&seeds.channels[profile.channel].channel);
        rows.device.push(DEVICES[profile.device]);
        rows.region.push(REGIONS[profile.region]);
        rows.use_case.push(USE_CASES[profile.use_case]);
        workspace_of.push(workspace_id);
        company_of.push(company);
    }

    // Members of a team workspace share its weekly rhythm (model::TEAM_COACTIVITY).
    for (profile, workspace_id) in profiles.iter_mut().zip(&workspace_of) {
        if seeds.segments[profile.segment].workspace != WorkspaceKind::Personal {
            profile.team_rhythm = Some(model::team_rhythm_key(config.seed, *workspace_id));
        }
    }

    let mut pay_intents: Vec<Option<i64>> = Vec::with_capacity(profiles.len());
    for (offset, profile) in profiles.iter().enumerate() {
        let rng = &mut rngs[offset];
        let user_id = profile.user_index as i64 + 1;
        let workspace_id = workspace_of[offset];
        let Journey {
            events,
            visits,
            pay_intent_us,
        } = simulate_journey(rng, behaviour, period, profile, &mut scratch);
        pay_intents.push(pay_intent_us);
        for event in events {
            rows.event_user.push(user_id);
            rows.event_workspace.push(workspace_id);
            rows.event_type.push(event.event_type.as_str());
            rows.event_at.push(event.at_us);
        }
        for visit in visits {
            rows.visit_at.push(visit.at_us);
            rows.visit_channel
                .push(&seeds.channels[visit.channel].channel);
            rows.visit_landing.push(LANDING_PAGES[visit.landing_page]);
            rows.visit_user.push(visit.converted.then_some(user_id));
        }
    }
    bill_batch(
        config,
        period,
        &profiles,
        &workspace_of,
        &pay_intents,
        &mut rows,
    );
    rows
}

/// The billing pass of a batch: one subscription history per workspace, paid
/// by its owner (`billing.rs`). A workspace's members are all in its batch
/// (teams form inside a batch) and its id is its owner's user id.
fn bill_batch<'s>(
    config: &'s Config,
    period: Period,
    profiles: &[UserProfile],
    workspace_of: &[i64],
    pay_intents: &[Option<i64>],
    rows: &mut BatchRows<'s>,
) {
    let Some(first_id) = profiles.first().map(|p| p.user_index as i64 + 1) else {
        return;
    };
    // member join times (= signups) by the owner's offset in the batch
    let mut members: Vec<Vec<i64>> = vec![Vec::new(); profiles.len()];
    for (profile, workspace_id) in profiles.iter().zip(workspace_of) {
        if let Some(list) = usize::try_from(workspace_id - first_id)
            .ok()
            .and_then(|owner| members.get_mut(owner))
        {
            list.push(profile.signup_us);
        }
    }
    let mut subscriptions = Vec::new();
    for (offset, profile) in profiles.iter().enumerate() {
        let workspace_id = profile.user_index as i64 + 1;
        if workspace_of[offset] != workspace_id {
            continue;
        }
        subscriptions.clear();
        billing::bill_account(
            config.seed,
            &config.behaviour,
            &config.seed_data,
            period,
            &billing::Account {
                workspace_id,
                segment: profile.segment,
                owner_signup_us: profile.signup_us,
                pay_intent_us: pay_intents[offset],
                member_joins: &members[offset],
            },
            &mut subscriptions,
        );
        for subscription in &subscriptions {
            rows.subscription_user.push(workspace_id);
            rows.subscription_workspace.push(workspace_id);
            rows.subscription_plan.push(subscription.plan);
            rows.subscription_seats.push(subscription.seats as i32);
            rows.subscription_started.push(subscription.started_us);
            rows.subscription_ended.push(subscription.ended_us);
            rows.subscription_revenue.push(subscription.monthly_revenue);
        }
    }
}

fn ts_field(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, None),
        nullable,
    )
}

fn ids(start: u64, count: usize) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(
        (0..count as i64).map(|offset| start as i64 + 1 + offset),
    ))
}

fn strings<S: AsRef<str>>(values: &[S]) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(
        values.iter().map(AsRef::as_ref),
    ))
}

fn timestamps(values: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values))
}

/// The Arrow schemas of the raw tables, in column order. Tables whose id is
/// a running number (events, visits, subscriptions) get it prepended by the
/// writer, which alone knows how many rows came before.
struct Schemas {
    users: Arc<Schema>,
    workspaces: Arc<Schema>,
    members: Arc<Schema>,
    events: Arc<Schema>,
    visits: Arc<Schema>,
    subscriptions: Arc<Schema>,
}

impl Schemas {
    fn new() -> Self {
        let schema = |fields: Vec<Field>| Arc::new(Schema::new(fields));
        Self {
            users: schema(vec![
                Field::new("user_id", DataType::Int64, false),
                ts_field("signup_at", false),
                Field::new("full_name", DataType::Utf8, false),
                Field::new("email", DataType::Utf8, false),
                Field::new("company_name", DataType::Utf8, true),
                Field::new("segment", DataType::Utf8, false),
                Field::new("acquisition_channel", DataType::Utf8, false),
                Field::new("device", DataType::Utf8, false),
                Field::new("region", DataType::Utf8, false),
                Field::new("use_case", DataType::Utf8, false),
            ]),
            workspaces: schema(vec![
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("owner_user_id", DataType::Int64, false),
                Field::new("workspace_name", DataType::Utf8, false),
                Field::new("workspace_type", DataType::Utf8, false),
                ts_field("created_at", false),
            ]),
            members: schema(vec![
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("user_id", DataType::Int64, false),
                Field::new("member_role", DataType::Utf8, false),
                ts_field("joined_at", false),
            ]),
            events: schema(vec![
                Field::new("event_id", DataType::Int64, false),
                Field::new("user_id", DataType::Int64, false),
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("event_type", DataType::Utf8, false),
                ts_field("occurred_at", false),
            ]),
            visits: schema(vec![
                Field::new("visit_id", DataType::Int64, false),
                ts_field("visited_at", false),
                Field::new("channel", DataType::Utf8, false),
                Field::new("landing_page", DataType::Utf8, false),
                Field::new("user_id", DataType::Int64, true),
            ]),
            subscriptions: schema(vec![
                Field::new("subscription_id", DataType::Int64, false),
                Field::new("user_id", DataType::Int64, false),
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("plan", DataType::Utf8, false),
                Field::new("seats", DataType::Int32, false),
                ts_field("started_at", false),
                ts_field("ended_at", true),
                Field::new("monthly_revenue", DataType::Float64, false),
            ]),
        }
    }
}

fn record_batch(
    table: &'static str,
    schema: &Arc<Schema>,
    columns: Vec<ArrayRef>,
) -> Result<RecordBatch, GenerateError> {
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|err| GenerateError::Arrow {
        table,
        message: err.to_string(),
    })
}

/// A table's columns for one batch, without the running id if it has one.
struct Columns {
    rows: usize,
    columns: Vec<ArrayRef>,
}

impl Columns {
    fn new(columns: Vec<ArrayRef>) -> Self {
        Self {
            rows: columns.first().map_or(0, |column| column.len()),
            columns,
        }
    }
}

/// One batch as Arrow columns, built on the worker thread so the writers
/// only number rows and append.
struct ArrowBatch {
    events: Columns,
    others: OtherTables,
}

impl ArrowBatch {
    fn from_rows(rows: BatchRows<'_>) -> Self {
        Self {
            events: Columns::new(vec![
                Arc::new(Int64Array::from(rows.event_user)),
                Arc::new(Int64Array::from(rows.event_workspace)),
                strings(&rows.event_type),
                timestamps(rows.event_at),
            ]),
            others: OtherTables {
                users: Columns::new(vec![
                    Arc::new(Int64Array::from(rows.user_id)),
                    timestamps(rows.signup_at),
                    strings(&rows.full_name),
                    strings(&rows.email),
                    Arc::new(StringArray::from(rows.company_name)),
                    strings(&rows.segment),
                    strings(&rows.channel),
                    strings(&rows.device),
                    strings(&rows.region),
                    strings(&rows.use_case),
                ]),
                workspaces: Columns::new(vec![
                    Arc::new(Int64Array::from(rows.workspace_id)),
                    Arc::new(Int64Array::from(rows.workspace_owner)),
                    strings(&rows.workspace_name),
                    strings(&rows.workspace_type),
                    timestamps(rows.workspace_created),
                ]),
                members: Columns::new(vec![
                    Arc::new(Int64Array::from(rows.member_workspace)),
                    Arc::new(Int64Array::from(rows.member_user)),
                    strings(&rows.member_role),
                    timestamps(rows.member_joined),
                ]),
                visits: Columns::new(vec![
                    timestamps(rows.visit_at),
                    strings(&rows.visit_channel),
                    strings(&rows.visit_landing),
                    Arc::new(Int64Array::from(rows.visit_user)),
                ]),
                subscriptions: Columns::new(vec![
                    Arc::new(Int64Array::from(rows.subscription_user)),
                    Arc::new(Int64Array::from(rows.subscription_workspace)),
                    strings(&rows.subscription_plan),
                    Arc::new(Int32Array::from(rows.subscription_seats)),
                    timestamps(rows.subscription_started),
                    Arc::new(TimestampMicrosecondArray::from(rows.subscription_ended)),
                    Arc::new(Float64Array::from(rows.subscription_revenue)),
                ]),
            },
        }
    }
}

/// An appender on one raw table, counting the rows it appended.
struct TableAppender<'conn> {
    table: &'static str,
    schema: Arc<Schema>,
    appender: duckdb::Appender<'conn>,
    rows: u64,
}

impl<'conn> TableAppender<'conn> {
    fn new(
        conn: &'conn Connection,
        catalog: &str,
        table: &'static str,
        schema: &Arc<Schema>,
    ) -> Result<Self, GenerateError> {
        let appender = conn
            .appender_to_catalog_and_db(table, catalog, "raw")
            .map_err(|source| GenerateError::Append { table, source })?;
        Ok(Self {
            table,
            schema: Arc::clone(schema),
            appender,
            rows: 0,
        })
    }

    /// Appends `columns`, prepending a running id (1, 2, ... over the whole
    /// table) when `numbered`.
    fn append(&mut self, columns: Columns, numbered: bool) -> Result<(), GenerateError> {
        let Columns { rows, mut columns } = columns;
        if rows == 0 {
            return Ok(());
        }
        if numbered {
            columns.insert(0, ids(self.rows, rows));
        }
        let batch = record_batch(self.table, &self.schema, columns)?;
        self.appender
            .append_record_batch(batch)
            .map_err(|source| GenerateError::Append {
                table: self.table,
                source,
            })?;
        self.rows += rows as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<u64, GenerateError> {
        self.appender
            .flush()
            .map_err(|source| GenerateError::Append {
                table: self.table,
                source,
            })?;
        Ok(self.rows)
    }
}

/// Everything but the events, appended on a second connection and thread so
/// that DuckDB's append and compression work for it runs beside the events'.
struct OtherTables {
    users: Columns,
    workspaces: Columns,
    members: Columns,
    visits: Columns,
    subscriptions: Columns,
}

/// Appends [`OtherTables`] batches in the order received; returns the row
/// counts (users, workspaces, visits, subscriptions).
fn append_other_tables(
    conn: &Connection,
    catalog: &str,
    schemas: &Schemas,
    receiver: &mpsc::Receiver<OtherTables>,
) -> Result<GenerateSummary, GenerateError> {
    let mut users = TableAppender::new(conn, catalog, "users", &schemas.users)?;
    let mut workspaces = TableAppender::new(conn, catalog, "workspaces", &schemas.workspaces)?;
    let mut members = TableAppender::new(conn, catalog, "workspace_members", &schemas.members)?;
    let mut visits = TableAppender::new(conn, catalog, "visits", &schemas.visits)?;
    let mut subscriptions =
        TableAppender::new(conn, catalog, "subscriptions", &schemas.subscriptions)?;
    for batch in receiver {
        users.append(batch.users, false)?;
        workspaces.append(batch.workspaces, false)?;
        members.append(batch.members, false)?;
        visits.append(batch.visits, true)?;
        subscriptions.append(batch.subscriptions, true)?;
    }
    members.finish()?;
    Ok(GenerateSummary {
        users: users.finish()?,
        workspaces: workspaces.finish()?,
        events: 0,
        visits: visits.finish()?,
        subscriptions: subscriptions.finish()?,
    })
}

/// Generates the raw tables of `config` into the open warehouse `catalog`.
///
/// Worker threads simulate batches and build their Arrow columns; the
/// calling thread puts batches back in order, appends the events and hands
/// the other tables to a second appending thread with its own connection.
/// Each table is appended in batch order, so its rows and ids do not depend
/// on the thread count.
///
/// # Errors
/// An append failure, an interrupt (Ctrl-C), a worker panic, or a row count
/// that does not match what was appended.
pub fn generate(
    conn: &Connection,
    catalog: &str,
    config: &Config,
    progress: &ProgressBar,
) -> Result<GenerateSummary, GenerateError> {
    let period = period_of(config);
    let batches = config.users.div_ceil(BATCH_USERS);
    let threads = if config.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        config.threads
    }
    .max(1);
    progress.set_length(config.users);
    let next_batch = AtomicU64::new(0);
    let schemas = Schemas::new();
    let other_conn = conn.try_clone().map_err(|source| GenerateError::Append {
        table: "users",
        source,
    })?;
    let mut events = TableAppender::new(conn, catalog, "events", &schemas.events)?;

    let others = std::thread::scope(|scope| -> Result<GenerateSummary, GenerateError> {
        let (sender, receiver) = mpsc::sync_channel::<(u64, ArrowBatch)>(threads * 2);
        for _ in 0..threads {
            let sender = sender.clone();
            let next_batch = &next_batch;
            scope.spawn(move || loop {
                if interrupt::requested() {
                    return;
                }
                let batch = next_batch.fetch_add(1, Ordering::Relaxed);
                if batch >= batches {
                    return;
                }
                let rows = ArrowBatch::from_rows(simulate_batch(config, period, batch));
                if sender.send((batch, rows)).is_err() {
                    return;
                }
            });
        }
        drop(sender);
        let (other_sender, other_receiver) = mpsc::sync_channel::<OtherTables>(2);
        let schemas = &schemas;
        let other_writer = scope
            .spawn(move || append_other_tables(&other_conn, catalog, schemas, &other_receiver));
        let appended = (|| -> Result<(), GenerateError> {
            // Append in batch order; hold early arrivals until their turn.
            let mut pending: BTreeMap<u64, ArrowBatch> = BTreeMap::new();
            let mut expected = 0u64;
            while expected < batches {
                if interrupt::requested() {
                    return Err(GenerateError::Interrupted);
                }
                let Ok((batch, rows)) = receiver.recv() else {
                    return Err(if interrupt::requested() {
                        GenerateError::Interrupted
                    } else {
                        GenerateError::Worker("a worker stopped before finishing its batch".into())
                    });
                };
                pending.insert(batch, rows);
                while let Some(batch) = pending.remove(&expected) {
                    let users = batch.others.users.rows as u64;
                    if other_sender.send(batch.others).is_err() {
                        // The other writer stopped: its error is reported below.
                        return Ok(());
                    }
                    events.append(batch.events, true)?;
                    progress.inc(users);
                    progress.set_message(format!("{} events", events.rows));
                    expected += 1;
                }
            }
            Ok(())
        })();
        drop(other_sender);
        drop(receiver);
        let others = other_writer
            .join()
            .map_err(|_| GenerateError::Worker("the appending thread panicked".into()))?;
        appended?;
        others
    })?;
    let summary = GenerateSummary {
        events: events.finish()?,
        ..others
    };
    verify_counts(conn, catalog, &summary)?;
    Ok(summary)
}

fn verify_counts(
    conn: &Connection,
    catalog: &str,
    summary: &GenerateSummary,
) -> Result<(), GenerateError> {
    for (table, expected) in [
        ("users", summary.users),
        ("workspaces", summary.workspaces),
        ("events", summary.events),
        ("visits", summary.visits),
        ("subscriptions", summary.subscriptions),
    ] {
        let actual: i64 = conn
            .query_row(
                &format!("select count(*) from \"{catalog}\".raw.{table}"),
                [],
                |row| row.get(0),
            )
            .map_err(|source| GenerateError::Append { table, source })?;
        if actual as u64 != expected {
            return Err(GenerateError::RowCount {
                table,
                expected,
                actual: actual as u64,
            });
        }
    }
    Ok(())
}
