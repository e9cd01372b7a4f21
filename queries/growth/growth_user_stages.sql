-- name: growth_user_stages
-- version: 1
-- depends: user_days, user_milestones, user_funnel
-- grain: one row per user of the funnel cohort (signup_date + monetization_window_days - 1 <= as_of_date)
-- description: per user, each product stage reached within its own window in any order (activation: first page_create at day_n < activation_window_days; engagement: engagement_min_active_days distinct active days at day_n < engagement_window_days; habit: habit_consecutive_weeks consecutive active signup-relative weeks among weeks 1..habit_window_weeks; collaboration: a collaborative action at day_n < collaboration_window_days; monetization: first paid subscription at day_n < monetization_window_days), the strict ordered flags of user_funnel, days and 30-day months from signup to the first payment
with params as (
    select * from config.params
),

cohort as (
    select
        user_funnel.user_id,
        user_funnel.segment,
        user_funnel.acquisition_channel,
        user_funnel.activated_at,
        user_funnel.engaged_at,
        user_funnel.habit_at,
        user_funnel.collaborated_at,
        user_funnel.monetized_at,
        user_milestones.signup_date,
        user_milestones.first_page_create_day_n,
        cast(cast(user_milestones.first_collaborative_at as date) - user_milestones.signup_date as integer)
            as first_collaborative_day_n,
        cast(cast(user_milestones.first_paid_at as date) - user_milestones.signup_date as integer)
            as first_paid_day_n
    from analytics.user_funnel as user_funnel
    inner join analytics.user_milestones as user_milestones
        on user_milestones.user_id = user_funnel.user_id
),

-- engagement in any order: distinct active days inside the engagement window (activation not required)
engagement_days as (
    select
        user_days.user_id,
        count(*) as active_days
    from analytics.user_days as user_days
    inner join cohort
        on cohort.user_id = user_days.user_id
    cross join params
    where user_days.day_n >= 0
        and user_days.day_n < params.engagement_window_days
    group by user_days.user_id
),

-- habit in any order: active signup-relative weeks k = floor(day_n / 7) in 1..habit_window_weeks
habit_weeks as (
    select distinct
        user_days.user_id,
        cast(floor(cast(user_days.day_n as double precision) / 7) as integer) as week_k
    from analytics.user_days as user_days
    inner join cohort
        on cohort.user_id = user_days.user_id
    cross join params
    where user_days.day_n >= 7
        and user_days.day_n <= 7 * params.habit_window_weeks + 6
),

-- islands of consecutive weeks: week_k - row_number is constant within a run
habit_islands as (
    select
        user_id,
        week_k - row_number() over (partition by user_id order by week_k) as island_id
    from habit_weeks
),

habit_runs as (
    select
        user_id,
        max(run_weeks) as longest_run
    from (
        select user_id, island_id, count(*) as run_weeks
        from habit_islands
        group by user_id, island_id
    ) as runs
    group by user_id
),

final as (
    select
        cohort.user_id,
        cohort.segment,
        cohort.acquisition_channel,
        cohort.signup_date,
        coalesce(cohort.first_page_create_day_n < params.activation_window_days, false) as reached_activation,
        coalesce(engagement_days.active_days >= params.engagement_min_active_days, false) as reached_engagement,
        coalesce(habit_runs.longest_run >= params.habit_consecutive_weeks, false) as reached_habit,
        coalesce(cohort.first_collaborative_day_n < params.collaboration_window_days, false)
            as reached_collaboration,
        coalesce(cohort.first_paid_day_n < params.monetization_window_days, false) as reached_monetization,
        cohort.activated_at is not null as strict_activation,
        cohort.engaged_at is not null as strict_engagement,
        cohort.habit_at is not null as strict_habit,
        cohort.collaborated_at is not null as strict_collaboration,
        cohort.monetized_at is not null as strict_monetization,
        case
            when cohort.first_paid_day_n < params.monetization_window_days then cohort.first_paid_day_n
        end as days_to_first_payment,
        case
            when cohort.first_paid_day_n < params.monetization_window_days
                then cast(floor(cast(cohort.first_paid_day_n as double precision) / 30) as integer)
        end as payment_month
    from cohort
    cross join params
    left join engagement_days
        on engagement_days.user_id = cohort.user_id
    left join habit_runs
        on habit_runs.user_id = cohort.user_id
)

select * from final
