-- northstar warehouse schema: raw inputs, configuration and run metadata.
-- Executed by `northstar generate` / `northstar ingest` on a fresh warehouse.
-- analytics.* tables are created by the query runner from queries/**/*.sql.

create schema if not exists raw;
create schema if not exists config;
create schema if not exists analytics;
create schema if not exists meta;

create table raw.users (
    user_id bigint not null,
    signup_at timestamp not null,
    full_name varchar not null,
    email varchar not null,
    company_name varchar,
    segment varchar not null,
    acquisition_channel varchar not null,
    device varchar not null,
    region varchar not null,
    use_case varchar not null
);
comment on table raw.users is 'One row per signed-up user (synthetic or ingested). Signup times are UTC.';
comment on column raw.users.user_id is 'Integer user id, unique.';
comment on column raw.users.signup_at is 'UTC timestamp of account creation.';
comment on column raw.users.full_name is 'Display name of the user.';
comment on column raw.users.email is 'Email address of the user.';
comment on column raw.users.company_name is 'Company or school of the user; NULL for individuals.';
comment on column raw.users.segment is 'Customer segment: individual, small_team, enterprise or education.';
comment on column raw.users.acquisition_channel is 'Channel of the visit that led to signup: organic_search, social_media, referral, paid_ads, word_of_mouth or content.';
comment on column raw.users.device is 'Primary device at signup: desktop, mobile or tablet.';
comment on column raw.users.region is 'Region: north_america, europe, asia_pacific, latin_america or other.';
comment on column raw.users.use_case is 'Declared primary use case: notes, project_management, knowledge_base, docs or planning.';

create table raw.workspaces (
    workspace_id bigint not null,
    owner_user_id bigint not null,
    workspace_name varchar not null,
    workspace_type varchar not null,
    created_at timestamp not null
);
comment on table raw.workspaces is 'One row per workspace. Individuals own a personal workspace; team segments share team workspaces.';
comment on column raw.workspaces.workspace_id is 'Integer workspace id, unique.';
comment on column raw.workspaces.owner_user_id is 'User who created the workspace.';
comment on column raw.workspaces.workspace_name is 'Display name of the workspace.';
comment on column raw.workspaces.workspace_type is 'personal (one member) or team.';
comment on column raw.workspaces.created_at is 'UTC timestamp the workspace was created (its owner''s signup).';

create table raw.workspace_members (
    workspace_id bigint not null,
    user_id bigint not null,
    member_role varchar not null,
    joined_at timestamp not null
);
comment on table raw.workspace_members is 'Membership of users in workspaces: one row per (workspace, user).';
comment on column raw.workspace_members.workspace_id is 'Workspace the user belongs to.';
comment on column raw.workspace_members.user_id is 'Member user.';
comment on column raw.workspace_members.member_role is 'owner or member.';
comment on column raw.workspace_members.joined_at is 'UTC timestamp the user joined the workspace.';

create table raw.events (
    event_id bigint not null,
    user_id bigint not null,
    workspace_id bigint not null,
    event_type varchar not null,
    occurred_at timestamp not null
);
comment on table raw.events is 'Product events: one row per user action, UTC. Collaborative actions are share, invite, comment and co_edit.';
comment on column raw.events.event_id is 'Integer event id, unique.';
comment on column raw.events.user_id is 'User who performed the action.';
comment on column raw.events.workspace_id is 'Workspace the action happened in.';
comment on column raw.events.event_type is 'page_view, page_create, page_edit, template_use, database_create, search, integration_connect, export, share, invite, comment or co_edit.';
comment on column raw.events.occurred_at is 'UTC timestamp of the action.';

create table raw.visits (
    visit_id bigint not null,
    visited_at timestamp not null,
    channel varchar not null,
    landing_page varchar not null,
    user_id bigint
);
comment on table raw.visits is 'Awareness stage: anonymous website visits by channel; user_id is set on the visit that led to a signup.';
comment on column raw.visits.visit_id is 'Integer visit id, unique.';
comment on column raw.visits.visited_at is 'UTC timestamp of the visit.';
comment on column raw.visits.channel is 'Acquisition channel of the visit (same values as raw.users.acquisition_channel).';
comment on column raw.visits.landing_page is 'Landing page: home, pricing, templates, blog or docs.';
comment on column raw.visits.user_id is 'User who signed up from this visit; NULL when the visit did not convert.';

create table raw.subscriptions (
    subscription_id bigint not null,
    user_id bigint not null,
    workspace_id bigint not null,
    plan varchar not null,
    seats integer not null,
    started_at timestamp not null,
    ended_at timestamp,
    monthly_revenue double precision not null
);
comment on table raw.subscriptions is 'Paid subscriptions: one row per subscription, billed monthly while active.';
comment on column raw.subscriptions.subscription_id is 'Integer subscription id, unique.';
comment on column raw.subscriptions.user_id is 'User who pays for the subscription: the workspace owner (billing is per workspace).';
comment on column raw.subscriptions.workspace_id is 'Workspace the subscription pays for.';
comment on column raw.subscriptions.plan is 'Plan of config.plans: education, plus, business or enterprise (a $0 trial carries the plan tried).';
comment on column raw.subscriptions.seats is 'Number of paid seats: the workspace members at the time (a seat change is a new subscription row).';
comment on column raw.subscriptions.started_at is 'UTC timestamp the subscription started (the user converted to paid).';
comment on column raw.subscriptions.ended_at is 'UTC timestamp the subscription was cancelled; NULL while active.';
comment on column raw.subscriptions.monthly_revenue is 'Monthly recurring revenue of the subscription in USD (seats x plan price).';

create table raw.user_ids (
    user_id bigint not null,
    external_id varchar not null,
    id_kind varchar not null
);
comment on table raw.user_ids is 'Original string ids of users from an analytics tool export (northstar ingest --from): one row per (user, id); an anonymous id merged into an identified user is one more row of that user.';
comment on column raw.user_ids.user_id is 'Integer user id (raw.users.user_id) the queries join on.';
comment on column raw.user_ids.external_id is 'The tool''s id: distinct_id, person_id, user_id, userId, device_id or anonymousId as exported.';
comment on column raw.user_ids.id_kind is 'identified (the user''s own id) or anonymous (an anonymous/device id merged into the user).';

create table raw.workspace_ids (
    workspace_id bigint not null,
    external_id varchar not null
);
comment on table raw.workspace_ids is 'Original string ids of workspaces (a group or property of the export, per [mapping] workspace); personal workspaces have none.';
comment on column raw.workspace_ids.workspace_id is 'Integer workspace id (raw.workspaces.workspace_id).';
comment on column raw.workspace_ids.external_id is 'The workspace id as exported.';

create table raw.event_ids (
    event_id bigint,
    external_event_id varchar not null
);
comment on table raw.event_ids is 'Original ids of every ingested export row (PostHog uuid, Amplitude $insert_id or uuid, Segment messageId, Mixpanel $insert_id): ingest --append skips a row whose id is already here.';
comment on column raw.event_ids.event_id is 'Integer event id (raw.events.event_id); NULL for a row that is not a product event (signup, identify, subscription start or end, an anonymous visitor''s event, a quarantined event).';
comment on column raw.event_ids.external_event_id is 'The event''s own id as exported.';

create table meta.run_history (
    run_id bigint not null,
    recorded_at timestamp not null,
    as_of_date date not null,
    north_star bigint,
    activation_rate double precision,
    paid_conversion double precision,
    mrr double precision,
    paying_accounts bigint,
    activation_rate_n bigint,
    paid_conversion_n bigint
);
comment on table meta.run_history is 'Headline figures of each run, one row per as-of date (a later run on the same as-of date replaces it): a copy of analytics.headline''s current values, which the next run compares with.';
comment on column meta.run_history.run_id is 'meta.pipeline_runs.run_id of the run that recorded the row.';
comment on column meta.run_history.recorded_at is 'UTC time the row was recorded.';
comment on column meta.run_history.as_of_date is 'As-of date of the run.';
comment on column meta.run_history.north_star is 'North Star v2 (team workspaces with two or more active members and a collaborative interaction, latest complete week).';
comment on column meta.run_history.activation_rate is 'Activation rate of all observable users.';
comment on column meta.run_history.paid_conversion is 'Paid conversion within the monetization window among users whose window is observable.';
comment on column meta.run_history.mrr is 'MRR of the as-of month, USD.';
comment on column meta.run_history.paying_accounts is 'Paying accounts (workspaces with a paid subscription) at the end of the as-of month.';
comment on column meta.run_history.activation_rate_n is 'Observable users behind activation_rate (its denominator), for the interval of the change; NULL in rows recorded before it was kept.';
comment on column meta.run_history.paid_conversion_n is 'Users with an observable monetization window behind paid_conversion (its denominator); NULL in rows recorded before it was kept.';
