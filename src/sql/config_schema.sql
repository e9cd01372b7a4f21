-- northstar configuration and metadata tables. Rows are written by the Rust
-- side from the run configuration and the seed files seeds/*.csv (see
-- src/warehouse.rs, src/seeds.rs, docs/SEEDS.md); queries join them.

create table config.params (
    period_start date not null,
    period_end date not null,
    as_of_date date not null,
    activation_window_days integer not null,
    engagement_window_days integer not null,
    engagement_min_active_days integer not null,
    habit_window_weeks integer not null,
    habit_consecutive_weeks integer not null,
    collaboration_window_days integer not null,
    monetization_window_days integer not null,
    north_star_target bigint not null,
    sample_users bigint not null,
    population_users bigint not null,
    arpu_monthly double precision not null,
    stickiness_benchmark double precision not null,
    signup_growth_monthly double precision not null,
    projection_months integer not null,
    seed bigint not null,
    data_source varchar not null
);
comment on table config.params is 'One row: the parameters every query joins (period, as-of date, funnel windows, targets, population scale).';
comment on column config.params.period_start is 'First day of data (UTC).';
comment on column config.params.period_end is 'Last day of data (UTC), inclusive.';
comment on column config.params.as_of_date is 'Date the analysis is as of: the last observable day; windows ending after it are censored.';
comment on column config.params.activation_window_days is 'Activation: first page_create within this many days of signup.';
comment on column config.params.engagement_window_days is 'Engagement: active days counted within this many days of signup.';
comment on column config.params.engagement_min_active_days is 'Engagement: distinct active days needed (from the activation day on) within the engagement window.';
comment on column config.params.habit_window_weeks is 'Habit formation: signup-relative weeks 1..N searched for consecutive active weeks.';
comment on column config.params.habit_consecutive_weeks is 'Habit formation: number of consecutive active signup-relative weeks needed.';
comment on column config.params.collaboration_window_days is 'Collaboration: a collaborative action within this many days of signup.';
comment on column config.params.monetization_window_days is 'Monetization: a subscription start within this many days of signup; also the funnel cohort observation window.';
comment on column config.params.north_star_target is 'Target for the North Star (weekly active collaborative workspaces) at sample scale: 10 per 1,000 users by default.';
comment on column config.params.sample_users is 'Number of users in the warehouse the population scale refers to.';
comment on column config.params.population_users is 'Size of the real user base the sample stands for (figures are scaled by population_users / sample_users).';
comment on column config.params.arpu_monthly is 'Former planning ARPU (USD a month), kept for compatibility and read by no query: the growth model measures ARPA (growth_baseline).';
comment on column config.params.stickiness_benchmark is 'DAU/MAU benchmark for productivity tools (0.30).';
comment on column config.params.signup_growth_monthly is 'Former assumed monthly signup growth, kept for compatibility and read by no query: the projection uses the measured trend (growth_baseline.signups_trend_monthly).';
comment on column config.params.projection_months is 'Horizon of the growth projection in months (default 24); also the longest payback the lever ranking reports.';
comment on column config.params.seed is 'Seed of the synthetic data (0 for ingested data; see data_source).';
comment on column config.params.data_source is 'generated (northstar generate/run, any seed including 0) or ingested (northstar ingest).';

create table config.growth_levers (
    lever_id integer not null,
    lever_name varchar not null,
    target_stage varchar not null,
    expected_lift double precision not null,
    low_lift double precision not null,
    high_lift double precision not null,
    confidence double precision not null,
    ramp_months integer not null,
    description varchar not null,
    cost_weeks double precision not null,
    cost_per_week double precision not null,
    gross_margin double precision not null
);
comment on table config.growth_levers is 'The growth levers (seeds/growth_levers.csv): which funnel stage each lifts, by how much (relative lift of the stage''s odds: low, expected, high), how fast and at what cost.';
comment on column config.growth_levers.lever_id is 'Integer lever id.';
comment on column config.growth_levers.lever_name is 'Short lever name.';
comment on column config.growth_levers.target_stage is 'Funnel stage (config.funnel_stages.stage_name) whose step rate the lever lifts.';
comment on column config.growth_levers.expected_lift is 'Expected relative lift of the stage rate''s odds (0.10 = odds x 1.10); the mode of a triangular low..high distribution.';
comment on column config.growth_levers.low_lift is 'Pessimistic relative lift of the odds (lower end of the triangular distribution).';
comment on column config.growth_levers.high_lift is 'Optimistic relative lift of the odds (upper end of the triangular distribution).';
comment on column config.growth_levers.confidence is 'Confidence in the expected lift, 0..1; weights the ranking (P50 first-12-month revenue x confidence).';
comment on column config.growth_levers.ramp_months is 'Months until the lift is fully in effect (linear ramp by signup month) in the lever value and the projection.';
comment on column config.growth_levers.description is 'What the lever changes in the product.';
comment on column config.growth_levers.cost_weeks is 'Engineering weeks to build the lever; cost = cost_weeks x cost_per_week.';
comment on column config.growth_levers.cost_per_week is 'Fully loaded cost of one engineering week, USD (default 4,000: about 200,000 a year).';
comment on column config.growth_levers.gross_margin is 'Share of revenue kept after hosting, support and payment fees (default 0.80); ROI and payback count gross profit.';

create table config.plans (
    plan varchar not null,
    plan_rank integer not null,
    price_per_seat double precision not null,
    gross_margin double precision not null,
    description varchar not null
);
comment on table config.plans is 'The price list (seeds/plans.csv): one row per plan, billed per seat per month to the paying workspace (account).';
comment on column config.plans.plan is 'Plan name as in raw.subscriptions.plan (free, plus, business, enterprise, education).';
comment on column config.plans.plan_rank is 'Order of the plans: a move to a higher rank is an upgrade, to a lower one a downgrade.';
comment on column config.plans.price_per_seat is 'List price per seat per month, USD (0 for free).';
comment on column config.plans.gross_margin is 'Gross margin of the plan''s revenue, 0..1 (predictive LTV = ARPA x gross margin / monthly logo churn).';
comment on column config.plans.description is 'Who the plan is for.';

create table config.funnel_stages (
    stage_order integer not null,
    stage_name varchar not null,
    definition varchar not null
);
comment on table config.funnel_stages is 'The funnel stages, in order, with their definitions (seeds/funnel_stages.csv).';
comment on column config.funnel_stages.stage_order is '1 (awareness) .. 7 (monetization).';
comment on column config.funnel_stages.stage_name is 'awareness, signup, activation, engagement, habit, collaboration, monetization.';
comment on column config.funnel_stages.definition is 'Plain-language definition of reaching the stage.';

create table config.segments (
    segment_order integer not null,
    segment varchar not null,
    share double precision not null,
    paid_multiplier double precision not null,
    activation_multiplier double precision not null,
    engagement_multiplier double precision not null,
    collaboration_probability double precision not null,
    churn_multiplier double precision not null,
    workspace varchar not null,
    team_size_min integer not null,
    team_size_max integer not null,
    start_plans varchar not null,
    plan_moves varchar not null
);
comment on table config.segments is 'The customer segments (seeds/segments.csv): each one''s share of the users, which is also its C3 calibration target, and the generator''s parameters for it.';
comment on column config.segments.segment_order is '1.. in the order of seeds/segments.csv (the order of per-segment rows).';
comment on column config.segments.segment is 'Segment name as in raw.users.segment.';
comment on column config.segments.share is 'Share of the synthetic users drawn in the segment (the shares sum to 1); calibration target C3_<segment>.';
comment on column config.segments.paid_multiplier is 'Lifetime paid probability relative to behaviour.paid_base_rate.';
comment on column config.segments.activation_multiplier is 'Relative activation probability (normalized so the share-weighted mean is 1).';
comment on column config.segments.engagement_multiplier is 'Multiplier of the latent engagement (events per day, active weeks, survival).';
comment on column config.segments.collaboration_probability is 'Probability that an event on an active day is collaborative (share, invite, comment, co_edit).';
comment on column config.segments.churn_multiplier is 'Monthly subscription cancellation hazard relative to behaviour.subscription_churn_monthly.';
comment on column config.segments.workspace is 'personal (each user owns a one-person workspace), company or university (users join teams named after one).';
comment on column config.segments.team_size_min is 'Smallest team the generator forms (1 for personal).';
comment on column config.segments.team_size_max is 'Largest team the generator forms (1 for personal).';
comment on column config.segments.start_plans is 'Plans a paying workspace starts on, with weights: plan:weight separated by spaces.';
comment on column config.segments.plan_moves is 'Monthly upgrade and downgrade probabilities at a renewal: from>to:probability separated by spaces (empty: none).';

create table config.channels (
    channel_order integer not null,
    channel varchar not null,
    share double precision not null,
    activation_multiplier double precision not null,
    paid_multiplier double precision not null,
    visit_conversion double precision not null
);
comment on table config.channels is 'The acquisition channels (seeds/channels.csv): each one''s share of the users, which is also its C4 calibration target, and the generator''s parameters for it.';
comment on column config.channels.channel_order is '1.. in the order of seeds/channels.csv (the order of per-channel rows).';
comment on column config.channels.channel is 'Channel name as in raw.users.acquisition_channel and raw.visits.channel.';
comment on column config.channels.share is 'Share of the synthetic users acquired through the channel (the shares sum to 1); calibration target C4_<channel>.';
comment on column config.channels.activation_multiplier is 'Relative activation probability (normalized so the share-weighted mean is 1).';
comment on column config.channels.paid_multiplier is 'Relative lifetime paid probability (normalized so the share-weighted mean is 1).';
comment on column config.channels.visit_conversion is 'Relative visit-to-signup conversion: anonymous visits come from the channel in proportion to share / visit_conversion.';

create table config.calibration_targets (
    target_id varchar not null,
    measure varchar not null,
    target_value double precision not null,
    lower_bound double precision not null,
    upper_bound double precision,
    unit varchar not null,
    note varchar not null
);
comment on table config.calibration_targets is 'Calibration targets (seeds/calibration_targets.csv, C3 and C4 from the segment and channel shares): what the default synthetic data must show; analytics.calibration compares the measured values.';
comment on column config.calibration_targets.target_id is 'Target id, C1..C21 (C3 and C4 split per segment/channel, C12 per month).';
comment on column config.calibration_targets.measure is 'What is measured, in words.';
comment on column config.calibration_targets.target_value is 'Target value.';
comment on column config.calibration_targets.lower_bound is 'Lowest accepted measured value (inclusive).';
comment on column config.calibration_targets.upper_bound is 'Highest accepted measured value (inclusive); NULL for a direction target, passed when the measured value is strictly above lower_bound.';
comment on column config.calibration_targets.unit is 'count, share (0..1), ratio, relative (a relative change, latest / first - 1) or usd.';
comment on column config.calibration_targets.note is 'Definition notes and known tensions.';

create table config.numbers (
    n integer not null
);
comment on table config.numbers is 'The integers 0..N, one per row, N = days of the period + 400 (at least 1000): the series a query needs (days, weeks, months, steps) is a join to this table filtered by n, which every engine (DuckDB, PostgreSQL, Spark) runs alike.';
comment on column config.numbers.n is 'An integer 0..N, each once.';

create table meta.pipeline_runs (
    run_id bigint not null,
    command varchar not null,
    tool_version varchar not null,
    seed bigint,
    users bigint,
    config_toml varchar not null,
    started_at timestamp not null,
    finished_at timestamp not null,
    generate_ms bigint,
    query_ms bigint,
    check_ms bigint
);
comment on table meta.pipeline_runs is 'One row per northstar run that built this warehouse.';
comment on column meta.pipeline_runs.run_id is 'Sequential run id.';
comment on column meta.pipeline_runs.command is 'Subcommand that ran (generate, run, ingest, query).';
comment on column meta.pipeline_runs.tool_version is 'northstar version that wrote the warehouse.';
comment on column meta.pipeline_runs.seed is 'Random seed of the synthetic data (NULL for ingested data).';
comment on column meta.pipeline_runs.users is 'Number of users in raw.users.';
comment on column meta.pipeline_runs.config_toml is 'The effective configuration, as TOML.';
comment on column meta.pipeline_runs.started_at is 'UTC wall-clock start of the run.';
comment on column meta.pipeline_runs.finished_at is 'UTC wall-clock end of the run.';
comment on column meta.pipeline_runs.generate_ms is 'Milliseconds spent generating or ingesting raw data.';
comment on column meta.pipeline_runs.query_ms is 'Wall-clock milliseconds of the query stage: query files and checks, run side by side.';
comment on column meta.pipeline_runs.check_ms is 'Milliseconds the checks took, summed (they overlap the query files).';

create table meta.query_runs (
    query_name varchar not null,
    query_version integer not null,
    checksum varchar not null,
    source_path varchar not null,
    row_count bigint not null,
    elapsed_ms bigint not null,
    ran_at timestamp not null
);
comment on table meta.query_runs is 'One row per query file materialized into analytics.<query_name> by the last run.';
comment on column meta.query_runs.query_name is 'Query name (header name:), also the analytics table name.';
comment on column meta.query_runs.query_version is 'Query version (header version:).';
comment on column meta.query_runs.checksum is 'SHA-256 of the query body (header excluded).';
comment on column meta.query_runs.source_path is 'Path of the query file relative to queries/.';
comment on column meta.query_runs.row_count is 'Rows in the materialized table.';
comment on column meta.query_runs.elapsed_ms is 'Milliseconds to materialize it.';
comment on column meta.query_runs.ran_at is 'UTC time it ran.';

create table meta.check_results (
    check_name varchar not null,
    check_version integer not null,
    description varchar not null,
    passed boolean not null,
    offending_rows bigint not null,
    sample varchar not null,
    ran_at timestamp not null,
    severity varchar not null
);
comment on table meta.check_results is 'One row per data-quality check (queries/checks/*.sql): zero offending rows = pass; an error-level check that fails makes the run fail, a warning-level one is reported only.';
comment on column meta.check_results.check_name is 'Check name (header name:).';
comment on column meta.check_results.check_version is 'Check version (header version:).';
comment on column meta.check_results.description is 'What the check asserts.';
comment on column meta.check_results.passed is 'True when the check returned zero rows.';
comment on column meta.check_results.offending_rows is 'Number of rows the check returned.';
comment on column meta.check_results.sample is 'Up to five offending rows, as text.';
comment on column meta.check_results.ran_at is 'UTC time it ran.';
comment on column meta.check_results.severity is 'error (offending rows fail the run) or warning (reported, not failing): the check''s -- severity: header.';

create table meta.rejected_rows (
    source_table varchar not null,
    source_file varchar not null,
    source_line bigint not null,
    reason varchar not null,
    row_text varchar not null,
    rejected_at timestamp not null
);
comment on table meta.rejected_rows is 'Rows of ingested files that were quarantined instead of loaded, with the reason (northstar ingest).';
comment on column meta.rejected_rows.source_table is 'raw table the row was meant for.';
comment on column meta.rejected_rows.source_file is 'Path of the ingested file.';
comment on column meta.rejected_rows.source_line is 'Line of the row in a CSV file (header = line 1), or row number + 1 in a Parquet file.';
comment on column meta.rejected_rows.reason is 'Why the row was not loaded (unknown user, before signup, ...).';
comment on column meta.rejected_rows.row_text is 'The row as it was read, as text.';
comment on column meta.rejected_rows.rejected_at is 'UTC time of the ingest.';
