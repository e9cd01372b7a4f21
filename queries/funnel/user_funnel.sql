-- name: user_funnel
-- version: 3
-- depends: stg_events, user_days, user_milestones
-- grain: one row per user of the funnel cohort (signup_date + monetization_window_days - 1 <= as_of_date)
-- description: strict ordered funnel per user: time each of stages 3..7 (activation, engagement, habit, collaboration, monetization = the first paid subscription when it comes at or after the collaboration) is reached, NULL if not
with params as (
    select * from config.params
),

-- funnel cohort: every stage window (up to monetization) is observable
cohort as (
    select
        user_milestones.user_id,
        user_milestones.signup_at,
        user_milestones.signup_date,
        user_milestones.segment,
        user_milestones.acquisition_channel,
        user_milestones.first_page_create_at,
        user_milestones.first_page_create_day_n,
        user_milestones.first_paid_at
    from analytics.user_milestones as user_milestones
    cross join params
    where user_milestones.signup_date + params.monetization_window_days - 1 <= params.as_of_date
),

-- stage 3: the first page_create, when it falls at day_n < activation_window_days
activation as (
    select
        cohort.user_id,
        cohort.first_page_create_at as activated_at,
        cast(cohort.first_page_create_at as date) as activation_date
    from cohort
    cross join params
    where cohort.first_page_create_day_n < params.activation_window_days
),

-- stage 4: active days from the activation day on with day_n < engagement_window_days,
-- numbered; the engagement_min_active_days-th one reaches the stage
engagement_days as (
    select
        user_days.user_id,
        user_days.first_event_at,
        activation.activated_at,
        row_number() over (
            partition by user_days.user_id order by user_days.activity_date
        ) as active_day_number
    from analytics.user_days as user_days
    inner join activation
        on activation.user_id = user_days.user_id
    cross join params
    where user_days.activity_date >= activation.activation_date
        and user_days.day_n < params.engagement_window_days
),

engagement as (
    select
        engagement_days.user_id,
        -- on the activation day itself (min_active_days = 1) the stage is the activation
        greatest(engagement_days.first_event_at, engagement_days.activated_at) as engaged_at
    from engagement_days
    cross join params
    where engagement_days.active_day_number = params.engagement_min_active_days
),

-- stage 5: signup-relative weeks k = floor(day_n / 7) in 1..habit_window_weeks with activity
habit_weeks as (
    select
        user_days.user_id,
        cast(floor(cast(user_days.day_n as double precision) / 7) as integer) as week_k,
        min(user_days.first_event_at) as week_first_event_at
    from analytics.user_days as user_days
    inner join engagement
        on engagement.user_id = user_days.user_id
    cross join params
    where user_days.day_n >= 7
        and user_days.day_n <= 7 * params.habit_window_weeks + 6
    group by user_days.user_id, cast(floor(cast(user_days.day_n as double precision) / 7) as integer)
),

-- islands of consecutive weeks: week_k - row_number is constant within a run
habit_islands as (
    select
        user_id,
        week_k,
        week_first_event_at,
        week_k - row_number() over (partition by user_id order by week_k) as island_id
    from habit_weeks
),

habit_runs as (
    select
        user_id,
        week_first_event_at,
        row_number() over (partition by user_id, island_id order by week_k) as run_position
    from habit_islands
),

-- the first week that completes habit_consecutive_weeks consecutive active weeks
habit as (
    select
        habit_runs.user_id,
        min(habit_runs.week_first_event_at) as habit_at
    from habit_runs
    inner join engagement
        on engagement.user_id = habit_runs.user_id
    cross join params
    where habit_runs.run_position >= params.habit_consecutive_weeks
        and habit_runs.week_first_event_at >= engagement.engaged_at
    group by habit_runs.user_id
),

-- stage 6: first collaborative action at or after the habit time, day_n < collaboration_window_days
collaboration as (
    select
        habit.user_id,
        min(stg_events.occurred_at) as collaborated_at
    from habit
    inner join analytics.stg_events as stg_events
        on stg_events.user_id = habit.user_id
    inner join cohort
        on cohort.user_id = habit.user_id
    cross join params
    where stg_events.is_collaborative
        and stg_events.occurred_at >= habit.habit_at
        and cast(stg_events.activity_date - cohort.signup_date as integer) < params.collaboration_window_days
    group by habit.user_id
),

-- stage 7: the user's FIRST paid subscription (monthly_revenue > 0; a later upgrade is not
-- monetization), counted only when it starts at or after the collaboration time and at
-- day_n < monetization_window_days. A user who paid before collaborating does not reach it.
monetization as (
    select
        collaboration.user_id,
        cohort.first_paid_at as monetized_at
    from collaboration
    inner join cohort
        on cohort.user_id = collaboration.user_id
    cross join params
    where cohort.first_paid_at >= collaboration.collaborated_at
        and cast(cast(cohort.first_paid_at as date) - cohort.signup_date as integer) < params.monetization_window_days
),

final as (
    select
        cohort.user_id,
        cohort.segment,
        cohort.acquisition_channel,
        cohort.signup_at,
        activation.activated_at,
        engagement.engaged_at,
        habit.habit_at,
        collaboration.collaborated_at,
        monetization.monetized_at
    from cohort
    left join activation
        on activation.user_id = cohort.user_id
    left join engagement
        on engagement.user_id = cohort.user_id
    left join habit
        on habit.user_id = cohort.user_id
    left join collaboration
        on collaboration.user_id = cohort.user_id
    left join monetization
        on monetization.user_id = cohort.user_id
)

select * from final
