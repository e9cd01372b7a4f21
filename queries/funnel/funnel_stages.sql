-- name: funnel_stages
-- version: 2
-- depends: user_funnel
-- grain: one row per funnel stage (7)
-- description: strict seven-stage funnel of the funnel cohort: users, step and overall conversion, drop-off, median hours from the previous stage, largest drop-off
with params as (
    select * from config.params
),

stages as (
    select stage_order, stage_name from config.funnel_stages
),

-- awareness: visits dated within the cohort's signup span (visits are anonymous, so they are counted, not users);
-- NULL (unknown) when the warehouse holds no visits at all, e.g. ingested data without a visits file
awareness as (
    select
        case
            when exists (select 1 from raw.visits) then cast(count(*) as bigint)
        end as users
    from raw.visits as visits
    cross join params
    where cast(visits.visited_at as date) <= params.as_of_date - params.monetization_window_days + 1
        and cast(visits.visited_at as date) >= params.period_start
),

-- one row per user and reached stage 2..7, with the time of the previous stage
user_stages as (
    select user_id, 2 as stage_order, signup_at as reached_at, cast(null as timestamp) as previous_at
    from analytics.user_funnel
    union all
    select user_id, 3, activated_at, signup_at
    from analytics.user_funnel where activated_at is not null
    union all
    select user_id, 4, engaged_at, activated_at
    from analytics.user_funnel where engaged_at is not null
    union all
    select user_id, 5, habit_at, engaged_at
    from analytics.user_funnel where habit_at is not null
    union all
    select user_id, 6, collaborated_at, habit_at
    from analytics.user_funnel where collaborated_at is not null
    union all
    select user_id, 7, monetized_at, collaborated_at
    from analytics.user_funnel where monetized_at is not null
),

stage_users as (
    select
        stage_order,
        cast(count(*) as bigint) as users,
        cast(
            percentile_cont(0.5) within group (
                order by (
                    cast(extract(epoch from reached_at) as double precision)
                    - cast(extract(epoch from previous_at) as double precision)
                ) / 3600
            ) as double precision
        ) as median_hours_from_previous_stage
    from user_stages
    group by stage_order
),

counts as (
    select
        stages.stage_order,
        stages.stage_name,
        case
            when stages.stage_order = 1 then awareness.users
            else coalesce(stage_users.users, cast(0 as bigint))
        end as users,
        stage_users.median_hours_from_previous_stage
    from stages
    cross join awareness
    left join stage_users
        on stage_users.stage_order = stages.stage_order
),

rates as (
    select
        stage_order,
        stage_name,
        users,
        cast(users as double precision)
            / nullif(lag(users) over (order by stage_order), 0) as step_conversion,
        case
            when stage_order >= 2
                then cast(users as double precision)
                    / nullif(max(case when stage_order = 2 then users end) over (), 0)
        end as overall_conversion,
        median_hours_from_previous_stage
    from counts
),

-- the largest drop-off of the product funnel, stages 3..7 (signup -> paid; ties: the
-- earliest stage). Awareness -> signup is a visit-level rate and is reported, not ranked.
ranked as (
    select
        rates.*,
        1 - step_conversion as drop_off,
        row_number() over (
            order by case when stage_order >= 3 then 1 - step_conversion end desc nulls last, stage_order
        ) as drop_off_rank
    from rates
),

final as (
    select
        stage_order,
        stage_name,
        users,
        step_conversion,
        overall_conversion,
        drop_off,
        median_hours_from_previous_stage,
        (drop_off_rank = 1 and drop_off is not null) as is_largest_drop_off
    from ranked
)

select * from final
