//! Synthetic data: simulates users in fixed-size batches on worker threads
//! and streams them into the warehouse through DuckDB's Arrow appender.
//!
//! Determinism: user `i` draws from its own ChaCha8 stream (`seed`, stream
//! `i`), batches have a fixed size, and the writer appends batches in index
//! order, so the tables are identical whatever the thread count. Memory stays
//! flat: at most a few batches are in flight.

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
use model::{
    simulate_journey, Journey, Period, Scratch, UserProfile, CHANNELS, DAY_US, DEVICES,
    LANDING_PAGES, REGIONS, SEGMENTS, TEAM_SIZES, USE_CASES,
};

/// Users per batch. Fixed: part of what makes the output thread-independent.
pub const BATCH_USERS: u64 = 2_048;

/// Errors while generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("unable to append to table 'raw.{table}': {source}")]
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
/// events, visits and subscriptions.
#[derive(Default)]
struct BatchRows {
    user_id: Vec<i64>,
    signup_at: Vec<i64>,
    full_name: Vec<String>,
    email: Vec<String>,
    company_name: Vec<Option<String>>,
    segment: Vec<&'static str>,
    channel: Vec<&'static str>,
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
    visit_channel: Vec<&'static str>,
    visit_landing: Vec<&'static str>,
    visit_user: Vec<Option<i64>>,

    subscription_user: Vec<i64>,
    subscription_workspace: Vec<i64>,
    subscription_plan: Vec<&'static str>,
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
fn simulate_batch(config: &Config, period: Period, batch: u64) -> BatchRows {
    let first = batch * BATCH_USERS;
    let last = (first + BATCH_USERS).min(config.users);
    let behaviour = &config.behaviour;
    let mut rows = BatchRows::default();
    let mut scratch = Scratch::new(behaviour);

    // Profiles first: team formation needs the whole batch.
    let mut rngs: Vec<ChaCha8Rng> = Vec::with_capacity((last - first) as usize);
    let mut profiles: Vec<UserProfile> = Vec::with_capacity((last - first) as usize);
    for index in first..last {
        let mut rng = user_rng(config.seed, index);
        profiles.push(model::sample_profile(
            &mut rng,
            behaviour,
            period,
            index,
            config.users,
        ));
        rngs.push(rng);
    }
    // Teams: users of a team segment join the open team of their segment in
    // signup order; the first member owns it and draws its size.
    let mut open_team: [Option<(i64, u32, String)>; 4] = [None, None, None, None];
    let mut workspace_of: Vec<i64> = Vec::with_capacity(profiles.len());
    let mut company_of: Vec<Option<String>> = Vec::with_capacity(profiles.len());
    for (offset, profile) in profiles.iter().enumerate() {
        let user_id = profile.user_index as i64 + 1;
        let rng = &mut rngs[offset];
        let first_name: String = FirstName().fake_with_rng(rng);
        let last_name: String = LastName().fake_with_rng(rng);
        let segment = profile.segment;
        let (workspace_id, company, role) = if segment == 0 {
            (user_id, None, "owner")
        } else {
            match &mut open_team[segment] {
                Some((workspace_id, remaining, company)) if *remaining > 0 => {
                    *remaining -= 1;
                    (*workspace_id, Some(company.clone()), "member")
                }
                slot => {
                    let (min, max) = TEAM_SIZES[segment];
                    let size = rng.gen_range(min..=max);
                    let company: String = if segment == 3 {
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
                .push(if segment == 0 { "personal" } else { "team" });
            rows.workspace_created.push(profile.signup_us);
        }
        rows.member_workspace.push(workspace_id);
        rows.member_user.push(user_id);
        rows.member_role.push(role);
        rows.member_joined.push(profile.signup_us);
        rows.company_name.push(company.clone());
        rows.segment.push(SEGMENTS[segment]);
        rows.channel.push(CHANNELS[profile.channel]);
        rows.device.push(DEVICES[profile.device]);
        rows.region.push(REGIONS[profile.region]);
        rows.use_case.push(USE_CASES[profile.use_case]);
        workspace_of.push(workspace_id);
        company_of.push(company);
    }

    for (offset, profile) in profiles.iter().enumerate() {
        let rng = &mut rngs[offset];
        let user_id = profile.user_index as i64 + 1;
        let workspace_id = workspace_of[offset];
        let Journey {
            events,
            visits,
            subscription,
        } = simulate_journey(rng, behaviour, period, profile, &mut scratch);
        for event in events {
            rows.event_user.push(user_id);
            rows.event_workspace.push(workspace_id);
            rows.event_type.push(event.event_type.as_str());
            rows.event_at.push(event.at_us);
        }
        for visit in visits {
            rows.visit_at.push(visit.at_us);
            rows.visit_channel.push(CHANNELS[visit.channel]);
            rows.visit_landing.push(LANDING_PAGES[visit.landing_page]);
            rows.visit_user.push(visit.converted.then_some(user_id));
        }
        if let Some(subscription) = subscription {
            rows.subscription_user.push(user_id);
            rows.subscription_workspace.push(workspace_id);
            rows.subscription_plan.push(subscription.plan);
            rows.subscription_seats.push(subscription.seats as i32);
            rows.subscription_started.push(subscription.started_us);
            rows.subscription_ended.push(subscription.ended_us);
            rows.subscription_revenue.push(subscription.monthly_revenue);
        }
    }
    rows
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

fn timestamps(values: &[i64]) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values.to_vec()))
}

fn record_batch(
    table: &'static str,
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
) -> Result<RecordBatch, GenerateError> {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|err| {
        GenerateError::Arrow {
            table,
            message: err.to_string(),
        }
    })
}

/// Appends batches to the raw tables, assigning sequential ids.
struct Writer<'conn> {
    appenders: Vec<(&'static str, duckdb::Appender<'conn>)>,
    summary: GenerateSummary,
}

impl<'conn> Writer<'conn> {
    fn new(conn: &'conn Connection, catalog: &str) -> Result<Self, GenerateError> {
        let mut appenders = Vec::new();
        for table in [
            "users",
            "workspaces",
            "workspace_members",
            "events",
            "visits",
            "subscriptions",
        ] {
            let appender = conn
                .appender_to_catalog_and_db(table, catalog, "raw")
                .map_err(|source| GenerateError::Append { table, source })?;
            appenders.push((table, appender));
        }
        Ok(Self {
            appenders,
            summary: GenerateSummary::default(),
        })
    }

    fn append(&mut self, index: usize, batch: RecordBatch) -> Result<(), GenerateError> {
        let (table, appender) = &mut self.appenders[index];
        appender
            .append_record_batch(batch)
            .map_err(|source| GenerateError::Append { table, source })
    }

    fn write(&mut self, rows: BatchRows) -> Result<(), GenerateError> {
        let users = record_batch(
            "users",
            vec![
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
            ],
            vec![
                Arc::new(Int64Array::from(rows.user_id)),
                timestamps(&rows.signup_at),
                strings(&rows.full_name),
                strings(&rows.email),
                Arc::new(StringArray::from(rows.company_name)),
                strings(&rows.segment),
                strings(&rows.channel),
                strings(&rows.device),
                strings(&rows.region),
                strings(&rows.use_case),
            ],
        )?;
        self.summary.users += users.num_rows() as u64;
        self.append(0, users)?;

        let workspaces = record_batch(
            "workspaces",
            vec![
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("owner_user_id", DataType::Int64, false),
                Field::new("workspace_name", DataType::Utf8, false),
                Field::new("workspace_type", DataType::Utf8, false),
                ts_field("created_at", false),
            ],
            vec![
                Arc::new(Int64Array::from(rows.workspace_id)),
                Arc::new(Int64Array::from(rows.workspace_owner)),
                strings(&rows.workspace_name),
                strings(&rows.workspace_type),
                timestamps(&rows.workspace_created),
            ],
        )?;
        self.summary.workspaces += workspaces.num_rows() as u64;
        self.append(1, workspaces)?;

        let members = record_batch(
            "workspace_members",
            vec![
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("user_id", DataType::Int64, false),
                Field::new("member_role", DataType::Utf8, false),
                ts_field("joined_at", false),
            ],
            vec![
                Arc::new(Int64Array::from(rows.member_workspace)),
                Arc::new(Int64Array::from(rows.member_user)),
                strings(&rows.member_role),
                timestamps(&rows.member_joined),
            ],
        )?;
        self.append(2, members)?;

        let events = record_batch(
            "events",
            vec![
                Field::new("event_id", DataType::Int64, false),
                Field::new("user_id", DataType::Int64, false),
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("event_type", DataType::Utf8, false),
                ts_field("occurred_at", false),
            ],
            vec![
                ids(self.summary.events, rows.event_user.len()),
                Arc::new(Int64Array::from(rows.event_user)),
                Arc::new(Int64Array::from(rows.event_workspace)),
                strings(&rows.event_type),
                timestamps(&rows.event_at),
            ],
        )?;
        self.summary.events += events.num_rows() as u64;
        self.append(3, events)?;

        let visits = record_batch(
            "visits",
            vec![
                Field::new("visit_id", DataType::Int64, false),
                ts_field("visited_at", false),
                Field::new("channel", DataType::Utf8, false),
                Field::new("landing_page", DataType::Utf8, false),
                Field::new("user_id", DataType::Int64, true),
            ],
            vec![
                ids(self.summary.visits, rows.visit_at.len()),
                timestamps(&rows.visit_at),
                strings(&rows.visit_channel),
                strings(&rows.visit_landing),
                Arc::new(Int64Array::from(rows.visit_user)),
            ],
        )?;
        self.summary.visits += visits.num_rows() as u64;
        self.append(4, visits)?;

        let subscriptions = record_batch(
            "subscriptions",
            vec![
                Field::new("subscription_id", DataType::Int64, false),
                Field::new("user_id", DataType::Int64, false),
                Field::new("workspace_id", DataType::Int64, false),
                Field::new("plan", DataType::Utf8, false),
                Field::new("seats", DataType::Int32, false),
                ts_field("started_at", false),
                ts_field("ended_at", true),
                Field::new("monthly_revenue", DataType::Float64, false),
            ],
            vec![
                ids(self.summary.subscriptions, rows.subscription_user.len()),
                Arc::new(Int64Array::from(rows.subscription_user)),
                Arc::new(Int64Array::from(rows.subscription_workspace)),
                strings(&rows.subscription_plan),
                Arc::new(Int32Array::from(rows.subscription_seats)),
                timestamps(&rows.subscription_started),
                Arc::new(TimestampMicrosecondArray::from(rows.subscription_ended)),
                Arc::new(Float64Array::from(rows.subscription_revenue)),
            ],
        )?;
        self.summary.subscriptions += subscriptions.num_rows() as u64;
        self.append(5, subscriptions)?;
        Ok(())
    }

    fn finish(mut self) -> Result<GenerateSummary, GenerateError> {
        for (table, appender) in &mut self.appenders {
            appender
                .flush()
                .map_err(|source| GenerateError::Append { table, source })?;
        }
        Ok(self.summary)
    }
}

/// Generates the raw tables of `config` into the open warehouse `catalog`.
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
    let mut writer = Writer::new(conn, catalog)?;

    std::thread::scope(|scope| -> Result<(), GenerateError> {
        let (sender, receiver) = mpsc::sync_channel::<(u64, BatchRows)>(threads * 2);
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
                let rows = simulate_batch(config, period, batch);
                if sender.send((batch, rows)).is_err() {
                    return;
                }
            });
        }
        drop(sender);
        // Append in batch order; hold early arrivals until their turn.
        let mut pending: BTreeMap<u64, BatchRows> = BTreeMap::new();
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
            while let Some(rows) = pending.remove(&expected) {
                let users = rows.user_id.len() as u64;
                writer.write(rows)?;
                progress.inc(users);
                progress.set_message(format!("{} events", writer.summary.events));
                expected += 1;
            }
        }
        Ok(())
    })?;
    let summary = writer.finish()?;
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
