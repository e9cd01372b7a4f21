//! From the staged export rows (`conn_rows`) to the raw tables, in SQL:
//! validation (file, line, field, value), idempotency on the event's own id,
//! the anonymous-to-identified merge, integer keys beside the string ids,
//! the `[mapping]` of event names and attributes, and the quarantine.
//!
//! Rules (docs/CONNECTORS.md):
//! - a row's person is its identified id; else its anonymous id when that
//!   id is itself identified somewhere; else the identified id an identity
//!   row (or any row carrying both ids) merged the anonymous id into (the
//!   earliest such row wins); else the anonymous id itself;
//! - a person who is identified or has a mapped `signup` event is a user,
//!   signed up at the earliest signup event (or the first event when the
//!   export has none: the user signed up before it began); any other person
//!   is an anonymous visitor: one `raw.visits` row, events not loaded;
//! - user attributes (segment, channel, device, region, use case) are the
//!   earliest non-empty value of their source over the person's rows;
//! - an event's workspace is the `[mapping] workspace` source; without one,
//!   the user's personal workspace (every new user gets one); a named
//!   workspace is owned by the user of its earliest row;
//! - `subscription_start` rows start a subscription (revenue, plan, seats
//!   from their sources); the user's first `subscription_end` at or after
//!   the start ends it;
//! - mapped names take their northstar type; every other name is kept as
//!   its own event type (listed in the summary); `signup`, subscription and
//!   identity rows are not product events.

use std::path::{Path, PathBuf};

use duckdb::{Connection, OptionalExt};

use super::{shown, sql_error, ConnectorError, ConnectorOptions, ConnectorSummary};
use crate::config::Mapping;
use crate::ingest::{self, IngestOptions, MAX_MONTHLY_REVENUE, MAX_SEATS, PLAUSIBLE_FIRST_DATE};

/// Runs a statement; returns the rows it changed.
fn exec(conn: &Connection, context: &str, sql: &str) -> Result<i64, ConnectorError> {
    let timer = super::Timer::start();
    let rows = conn
        .execute(sql, [])
        .map(|rows| rows as i64)
        .map_err(sql_error(context));
    timer.log(context);
    rows
}

fn batch(conn: &Connection, context: &str, sql: &str) -> Result<(), ConnectorError> {
    let timer = super::Timer::start();
    let done = conn.execute_batch(sql).map_err(sql_error(context));
    timer.log(context);
    done
}

fn count(conn: &Connection, sql: &str) -> Result<i64, ConnectorError> {
    let timer = super::Timer::start();
    let rows = conn
        .query_row(sql, [], |row| row.get(0))
        .map_err(sql_error("counting rows"));
    timer.log("counting rows");
    rows
}

/// The first staged row matching `condition` (on `r`, typed rows with `at`):
/// its file, line and the value of `column`.
fn first_offender(
    conn: &Connection,
    table: &str,
    column: &str,
    condition: &str,
) -> Result<Option<(String, i64, String)>, ConnectorError> {
    conn.query_row(
        &format!(
            "select f.path, r.line, coalesce(cast(r.{column} as varchar), '') from {table} as r \
             inner join conn_files as f on f.file_index = r.file_index \
             where {condition} order by r.file_index, r.line limit 1"
        ),
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
    .optional()
    .map_err(sql_error("checking values"))
}

fn unit_of(path: &str) -> &'static str {
    if path.to_ascii_lowercase().ends_with(".parquet") {
        "row"
    } else {
        "line"
    }
}

/// Validates timestamps, revenue and seats; the first bad value is the error.
fn validate(
    conn: &Connection,
    mapping: &Mapping,
    options: &ConnectorOptions,
) -> Result<(), ConnectorError> {
    let format = options.format.name();
    let field_error = |(path, line, value): (String, i64, String), field: &str, problem: String| {
        ConnectorError::Field {
            format,
            unit: unit_of(&path),
            path: PathBuf::from(path),
            line,
            field: field.to_string(),
            problem: if value.is_empty() {
                problem
            } else {
                format!("'{}' {problem}", shown(&value))
            },
        }
    };
    let time = options.format.time_field();
    if let Some(found) = first_offender(conn, "conn_typed", "ts", "r.event_at is null")? {
        return Err(field_error(
            found,
            time,
            "is not a valid timestamp (ISO 8601 with an optional offset, or epoch seconds/milliseconds)".into(),
        ));
    }
    // As in the CSV ingest, --start and --end replace the plausible window's
    // bounds (rows outside the period are then quarantined).
    let upper = options.today + chrono::Days::new(2);
    let mut conditions = Vec::new();
    if options.start.is_none() {
        conditions.push(format!(
            "r.event_at < cast('{PLAUSIBLE_FIRST_DATE}' as timestamp)"
        ));
    }
    if options.end.is_none() {
        conditions.push(format!("r.event_at >= cast('{upper}' as timestamp)"));
    }
    if !conditions.is_empty() {
        if let Some(found) = first_offender(conn, "conn_typed", "ts", &conditions.join(" or "))? {
            return Err(field_error(
                found,
                time,
                format!(
                    "is outside the plausible dates {PLAUSIBLE_FIRST_DATE} .. {}",
                    options.today + chrono::Days::new(1)
                ),
            ));
        }
    }
    let starts = "r.event_type = 'subscription_start'";
    let revenue_field = mapping
        .revenue
        .clone()
        .unwrap_or_else(|| "revenue (set [mapping] revenue)".into());
    if let Some(found) = first_offender(
        conn,
        "conn_new",
        "revenue",
        &format!("{starts} and r.revenue is null"),
    )? {
        return Err(field_error(
            found,
            &revenue_field,
            "a value is required".into(),
        ));
    }
    if let Some(found) = first_offender(
        conn,
        "conn_new",
        "revenue",
        &format!(
            "{starts} and not (regexp_full_match(trim(r.revenue), '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?') \
             and isfinite(try_cast(trim(r.revenue) as double)) \
             and try_cast(trim(r.revenue) as double) between 0 and {MAX_MONTHLY_REVENUE})"
        ),
    )? {
        return Err(field_error(
            found,
            &revenue_field,
            format!("is not a monthly revenue (a number 0 .. {MAX_MONTHLY_REVENUE})"),
        ));
    }
    if let Some(seats) = &mapping.seats {
        if let Some(found) = first_offender(
            conn,
            "conn_new",
            "seats",
            &format!(
                "{starts} and r.seats is not null and not (regexp_full_match(trim(r.seats), '[0-9]+(\\.0*)?') \
                 and try_cast(regexp_replace(trim(r.seats), '\\.0*$', '') as bigint) <= {MAX_SEATS})"
            ),
        )? {
            return Err(field_error(
                found,
                seats,
                format!("is not a seat count (a whole number 0 .. {MAX_SEATS})"),
            ));
        }
    }
    Ok(())
}

/// Loads the staged rows into the raw tables (see the module docs).
pub(super) fn load(
    conn: &Connection,
    mapping: &Mapping,
    options: &ConnectorOptions,
    paths: &[PathBuf],
    summary: &mut ConnectorSummary,
) -> Result<(), ConnectorError> {
    // Row order inside the staging tables does not matter (every insert
    // into raw.* orders explicitly): DuckDB may then write in parallel.
    batch(
        conn,
        "preparing the event mapping",
        "set preserve_insertion_order = false; \
         create or replace temp table conn_event_map (name varchar, event_type varchar)",
    )?;
    for (event_type, names) in &mapping.events {
        for name in names {
            conn.execute(
                "insert into conn_event_map values (?, ?)",
                [name.as_str(), event_type.as_str()],
            )
            .map_err(sql_error("preparing the event mapping"))?;
        }
    }
    // Typed once (the timestamp parser is the CSV ingest's macro); a fast
    // path for the common ISO form keeps 10 million rows quick.
    batch(
        conn,
        "typing the rows",
        "create or replace temp table conn_typed as \
         select r.*, \
           case when regexp_full_match(r.ts, '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?Z?') \
                then try_cast(replace(replace(r.ts, 'T', ' '), 'Z', '') as timestamp) \
                else ns_parse_timestamp(r.ts) end as event_at, \
           coalesce(m.event_type, r.name) as event_type \
         from conn_rows as r left join conn_event_map as m on m.name = r.name; \
         drop table conn_rows;",
    )?;
    // Idempotent on the row's own id: rows ingested before are skipped, a
    // repeated id within the files keeps its first row.
    let total = count(conn, "select count(*) from conn_typed")?;
    let skip_known = if count(conn, "select count(*) from raw.event_ids")? > 0 {
        " where not exists (select 1 from raw.event_ids as e where e.external_event_id = r.event_id)"
    } else {
        ""
    };
    // The rows are copied only when some are left out (10 million rows of
    // text are costly to copy): otherwise conn_new is a view.
    let unseen = count(
        conn,
        &format!("select count(*) from conn_typed as r{skip_known}"),
    )?;
    summary.already_ingested = total - unseen;
    let repeated = count(
        conn,
        &format!("select count(*) - count(distinct event_id) from conn_typed as r{skip_known}"),
    )? > 0;
    let new_is_view = skip_known.is_empty() && !repeated;
    if new_is_view {
        batch(
            conn,
            "skipping rows ingested before",
            "create or replace temp view conn_new as select * from conn_typed",
        )?;
    } else {
        let first = if repeated {
            " qualify row_number() over (partition by r.event_id order by r.file_index, r.line) = 1"
        } else {
            ""
        };
        batch(
            conn,
            "skipping rows ingested before",
            &format!(
                "create or replace temp table conn_new as select * from conn_typed as r{skip_known}{first}"
            ),
        )?;
    }
    validate(conn, mapping, options)?;
    let mut new_rows = count(conn, "select count(*) from conn_new")?;
    summary.repeated_ids = unseen - new_rows;
    batch(
        conn,
        "listing new ids",
        "create or replace temp table conn_new_ids as select event_id from conn_new;",
    )?;
    let mut statement = conn
        .prepare(
            "select name, count(*) from conn_new \
             where kind = 'track' and name not in (select name from conn_event_map) \
             group by name order by count(*) desc, name",
        )
        .map_err(sql_error("listing unmapped event names"))?;
    summary.unmapped = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(sql_error("listing unmapped event names"))?
        .collect::<Result<_, _>>()
        .map_err(sql_error("listing unmapped event names"))?;

    // Identity: the identified ids, the merges, each row's person.
    batch(
        conn,
        "merging anonymous ids",
        "create or replace temp table conn_identified as \
           select distinct user_ext as id from conn_new where user_ext is not null \
           union select external_id from raw.user_ids where id_kind = 'identified'; \
         create or replace temp table conn_alias as \
           select anon_ext as anon, first(user_ext order by event_at, event_id) as person \
           from conn_new where user_ext is not null and anon_ext is not null and anon_ext <> user_ext \
           group by anon_ext; \
         create or replace temp view conn_people_rows as \
           select n.*, coalesce(n.user_ext, i.id, a.person, n.anon_ext) as person \
           from conn_new as n \
           left join conn_identified as i on i.id = n.anon_ext \
           left join conn_alias as a on a.anon = n.anon_ext;",
    )?;
    let earliest = |column: &str| {
        format!("first({column} order by r.event_at, r.event_id) filter (where {column} is not null) as {column}")
    };
    batch(
        conn,
        "collecting users",
        &format!(
            "create or replace temp table conn_persons as \
             select r.person, \
               (select min(k.user_id) from raw.user_ids as k where k.external_id = r.person) as known_user_id, \
               min(r.event_at) as first_at, \
               min(r.event_at) filter (where r.event_type = 'signup') as signup_event_at, \
               bool_or(i.id is not null) as identified, \
               {segment}, {channel}, {medium}, {device}, {region}, {use_case} \
             from conn_people_rows as r left join conn_identified as i on i.id = r.person \
             group by r.person;",
            segment = earliest("segment"),
            channel = earliest("channel"),
            medium = earliest("channel_medium"),
            device = earliest("device"),
            region = earliest("region"),
            use_case = earliest("use_case"),
        ),
    )?;
    if let Some(start) = options.start {
        // --start: a new user who signed up (a visitor who first came)
        // before the period is quarantined with all their rows.
        let reason = format!("its user signed up before the period start (--start {start})");
        let moved = conn
            .execute(
                &format!(
                    "insert into meta.rejected_rows (source_table, source_file, source_line, reason, row_text, rejected_at) \
                     select case when p.identified or p.signup_event_at is not null then 'users' else 'visits' end, \
                       f.path, r.line, ?, \
                       cast(struct_pack(event_id := r.event_id, event := r.name, person := r.person, {time} := r.ts) as varchar), \
                       cast(current_timestamp as timestamp) \
                     from conn_people_rows as r \
                     inner join conn_persons as p on p.person = r.person \
                     inner join conn_files as f on f.file_index = r.file_index \
                     where p.known_user_id is null and coalesce(p.signup_event_at, p.first_at) < cast('{start}' as timestamp) \
                     order by r.file_index, r.line",
                    time = options.format.time_field().replace('.', "_"),
                ),
                [reason.as_str()],
            )
            .map_err(sql_error("quarantining rows"))? as i64;
        if moved > 0 {
            batch(
                conn,
                "quarantining rows",
                &format!(
                    "delete from conn_persons \
                     where known_user_id is null and coalesce(signup_event_at, first_at) < cast('{start}' as timestamp);"
                ),
            )?;
            summary.quarantined.push(("users", reason, moved));
        }
        new_rows -= moved;
    }
    batch(
        conn,
        "collecting users",
        "create or replace temp table conn_new_users as \
             select (select coalesce(max(user_id), 0) from raw.users) \
                    + row_number() over (order by coalesce(signup_event_at, first_at), person) as user_id, * \
             from conn_persons \
             where known_user_id is null and (identified or signup_event_at is not null);",
    )?;
    let channel = "coalesce(channel || coalesce(' / ' || channel_medium, ''), 'unknown')";
    summary.new_users = exec(
        conn,
        "loading raw.users",
        &format!(
            "insert into raw.users (user_id, signup_at, full_name, email, company_name, segment, \
               acquisition_channel, device, region, use_case) \
             select user_id, coalesce(signup_event_at, first_at), '', '', null, coalesce(segment, 'unknown'), \
               {channel}, coalesce(device, 'unknown'), coalesce(region, 'unknown'), coalesce(use_case, 'unknown') \
             from conn_new_users order by user_id"
        ),
    )?;
    exec(
        conn,
        "loading raw.user_ids",
        "insert into raw.user_ids select user_id, person, case when identified then 'identified' else 'anonymous' end \
         from conn_new_users order by user_id",
    )?;
    summary.visits = exec(
        conn,
        "loading raw.visits",
        &format!(
            "insert into raw.visits (visit_id, visited_at, channel, landing_page, user_id) \
             select (select coalesce(max(visit_id), 0) from raw.visits) + row_number() over (order by first_at, person), \
               first_at, {channel}, 'unknown', null \
             from conn_persons \
             where known_user_id is null and not identified and signup_event_at is null order by 1"
        ),
    )?;
    batch(
        conn,
        "resolving users",
        "create or replace temp table conn_person_users as \
         select p.person, u.user_id, u.signup_at \
         from conn_persons as p left join conn_new_users as n on n.person = p.person \
         inner join raw.users as u on u.user_id = coalesce(p.known_user_id, n.user_id); \
         create or replace temp view conn_user_rows as \
         select r.*, pu.user_id, pu.signup_at \
         from conn_people_rows as r inner join conn_person_users as pu on pu.person = r.person;",
    )?;
    summary.visitor_events = new_rows - count(conn, "select count(*) from conn_user_rows")?;
    summary.merged_ids = exec(
        conn,
        "loading raw.user_ids",
        "insert into raw.user_ids \
         select distinct r.user_id, r.anon_ext, 'anonymous' from conn_user_rows as r \
         where r.anon_ext is not null and r.anon_ext <> r.person \
           and not exists (select 1 from raw.user_ids as k where k.external_id = r.anon_ext) \
         order by 1, 2",
    )?;

    // Workspaces: named ones from the mapping's source, then a personal one per new user.
    summary.new_workspaces = exec(
        conn,
        "loading raw.workspaces",
        "insert into raw.workspaces (workspace_id, owner_user_id, workspace_name, workspace_type, created_at) \
         select (select coalesce(max(workspace_id), 0) from raw.workspaces) \
                + row_number() over (order by created_at, workspace), owner_user_id, workspace, 'team', created_at \
         from (select workspace, \
                 first(user_id order by greatest(event_at, signup_at), event_id) as owner_user_id, \
                 min(greatest(event_at, signup_at)) as created_at \
               from conn_user_rows as r \
               where workspace is not null \
                 and not exists (select 1 from raw.workspace_ids as w where w.external_id = r.workspace) \
               group by workspace) as named order by 1",
    )?;
    exec(
        conn,
        "loading raw.workspace_ids",
        "insert into raw.workspace_ids \
         select w.workspace_id, w.workspace_name from raw.workspaces as w \
         where w.workspace_type = 'team' \
           and not exists (select 1 from raw.workspace_ids as k where k.workspace_id = w.workspace_id) \
         order by 1",
    )?;
    summary.new_workspaces += exec(
        conn,
        "loading raw.workspaces",
        "insert into raw.workspaces (workspace_id, owner_user_id, workspace_name, workspace_type, created_at) \
         select (select coalesce(max(workspace_id), 0) from raw.workspaces) + row_number() over (order by n.user_id), \
           n.user_id, 'personal workspace', 'personal', u.signup_at \
         from conn_new_users as n inner join raw.users as u on u.user_id = n.user_id order by 1",
    )?;
    batch(
        conn,
        "placing rows in workspaces",
        "create or replace temp table conn_placed as \
         select r.*, coalesce(w.workspace_id, p.workspace_id) as workspace_key \
         from conn_user_rows as r \
         left join raw.workspace_ids as w on w.external_id = r.workspace \
         left join (select owner_user_id, min(workspace_id) as workspace_id from raw.workspaces \
                    where workspace_type = 'personal' group by owner_user_id) as p on p.owner_user_id = r.user_id; \
         drop view conn_user_rows; drop view conn_people_rows;",
    )?;

    // Events, with the CSV ingest's quarantine of rows before the signup.
    let quarantine = |table: &'static str,
                      reason: &str,
                      condition: &str|
     -> Result<i64, ConnectorError> {
        let moved = conn
            .execute(
                &format!(
                    "insert into meta.rejected_rows (source_table, source_file, source_line, reason, row_text, rejected_at) \
                     select '{table}', f.path, r.line, ?, \
                       cast(struct_pack(event_id := r.event_id, event := r.name, person := r.person, {time} := r.ts) as varchar), \
                       cast(current_timestamp as timestamp) \
                     from conn_placed as r inner join conn_files as f on f.file_index = r.file_index \
                     where {condition} order by r.file_index, r.line",
                    time = options.format.time_field().replace('.', "_"),
                ),
                [reason],
            )
            .map_err(sql_error("quarantining rows"))? as i64;
        if moved > 0 {
            exec(
                conn,
                "quarantining rows",
                &format!("delete from conn_placed as r where {condition}"),
            )?;
        }
        Ok(moved)
    };
    let product_event = "r.kind = 'track' and r.event_type not in ('signup', 'subscription_start', 'subscription_end')";
    // --start/--end: events and subscription starts outside the period.
    let dated = format!("(({product_event}) or r.event_type = 'subscription_start')");
    for (table, reason, condition) in [
        options.start.map(|start| {
            (
                format!("before the period start (--start {start})"),
                format!("{dated} and r.event_at < cast('{start}' as timestamp)"),
            )
        }),
        options.end.map(|end| {
            (
                format!("after the period end (--end {end})"),
                format!("{dated} and r.event_at >= cast('{end}' as timestamp) + interval 1 day"),
            )
        }),
    ]
    .into_iter()
    .flatten()
    .flat_map(|(reason, condition)| {
        [
            (
                "events",
                reason.clone(),
                format!("{condition} and r.event_type <> 'subscription_start'"),
            ),
            (
                "subscriptions",
                reason,
                format!("{condition} and r.event_type = 'subscription_start'"),
            ),
        ]
    }) {
        let moved = quarantine(table, &reason, &condition)?;
        if moved > 0 {
            summary.quarantined.push((table, reason, moved));
        }
    }
    let before = quarantine(
        "events",
        "occurred before the user's signup",
        &format!("{product_event} and r.event_at < r.signup_at"),
    )?;
    if before > 0 {
        summary
            .quarantined
            .push(("events", "occurred before the user's signup".into(), before));
    }
    let started_before = quarantine(
        "subscriptions",
        "started before the user's signup",
        "r.event_type = 'subscription_start' and r.event_at < r.signup_at",
    )?;
    if started_before > 0 {
        summary.quarantined.push((
            "subscriptions",
            "started before the user's signup".into(),
            started_before,
        ));
    }
    batch(
        conn,
        "numbering events",
        &format!(
            "create or replace temp table conn_event_keys as \
             select (select coalesce(max(event_id), 0) from raw.events) + row_number() over (order by r.event_at, r.event_id) as key, \
               r.event_id, r.user_id, r.workspace_key, r.event_type, r.event_at \
             from conn_placed as r where {product_event}"
        ),
    )?;
    summary.new_events = exec(
        conn,
        "loading raw.events",
        "insert into raw.events (event_id, user_id, workspace_id, event_type, occurred_at) \
         select key, user_id, workspace_key, event_type, event_at from conn_event_keys order by key",
    )?;
    exec(
        conn,
        "loading raw.event_ids",
        "insert into raw.event_ids select key, event_id from conn_event_keys order by key",
    )?;

    // Subscriptions: starts (idempotent on user and time), then ends.
    summary.new_subscriptions = exec(
        conn,
        "loading raw.subscriptions",
        "insert into raw.subscriptions (subscription_id, user_id, workspace_id, plan, seats, started_at, ended_at, monthly_revenue) \
         select (select coalesce(max(subscription_id), 0) from raw.subscriptions) \
                + row_number() over (order by r.event_at, r.user_id, r.event_id), \
           r.user_id, r.workspace_key, coalesce(r.plan, 'paid'), \
           coalesce(cast(regexp_replace(trim(r.seats), '\\.0*$', '') as integer), 1), r.event_at, null, \
           cast(trim(r.revenue) as double) \
         from conn_placed as r \
         where r.event_type = 'subscription_start' \
           and not exists (select 1 from raw.subscriptions as s where s.user_id = r.user_id and s.started_at = r.event_at) \
         order by 1",
    )?;
    summary.ended_subscriptions = exec(
        conn,
        "ending subscriptions",
        "update raw.subscriptions as s set ended_at = ends.ended_at \
         from (select s2.subscription_id, min(r.event_at) as ended_at \
               from raw.subscriptions as s2 \
               inner join conn_placed as r on r.user_id = s2.user_id \
                 and r.event_type = 'subscription_end' and r.event_at >= s2.started_at \
               where s2.ended_at is null group by s2.subscription_id) as ends \
         where s.subscription_id = ends.subscription_id",
    )?;
    // Every new row's id, so a later --append skips it.
    exec(
        conn,
        "loading raw.event_ids",
        "insert into raw.event_ids \
         select null, r.event_id from conn_new_ids as r \
         where not exists (select 1 from conn_event_keys as k where k.event_id = r.event_id) \
         order by r.event_id",
    )?;
    batch(
        conn,
        "cleaning up",
        &format!(
            "drop table conn_new_ids; drop table conn_event_keys; drop table conn_placed; \
         drop table conn_persons; drop table conn_new_users; drop table conn_person_users; \
         drop table conn_alias; drop table conn_identified; \
         drop {new_kind} conn_new; drop table conn_typed;",
            new_kind = if new_is_view { "view" } else { "table" }
        ),
    )?;
    batch(conn, "cleaning up", "set preserve_insertion_order = true")?;
    if count(conn, "select count(*) from raw.users")? == 0 {
        return Err(ConnectorError::NoUsers {
            format: options.format.name(),
            visits: summary.visits,
        });
    }
    ingest::derive_members(conn)?;
    let ingest_options = IngestOptions {
        start: options.start,
        end: options.end,
        dedupe: false,
        today: options.today,
    };
    let first = paths.first().map_or_else(PathBuf::new, PathBuf::clone);
    let period = ingest::derive_period(conn, &ingest_options, Path::new(&first))?;
    summary.period_start = period.start;
    summary.as_of_date = period.as_of;
    summary.rows_after_as_of = period.rows_after_as_of;
    summary.users_by_as_of = period.users_by_as_of;
    Ok(())
}
