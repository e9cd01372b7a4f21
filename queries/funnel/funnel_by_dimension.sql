-- name: funnel_by_dimension
-- version: 1
-- depends: stg_visits, user_funnel
-- grain: one row per dimension ('segment', 'channel'), dimension value and funnel stage (config.funnel_stages)
-- description: the strict funnel of the funnel cohort by segment and by acquisition channel: users (visits for awareness; unknown, NULL, per segment since visits carry a channel, not a segment), converted (attributed visits of the channel for signup, users otherwise), step and overall conversion, drop-off; step and overall conversion with their n (previous_users, signup_users) and 95% Wilson intervals
with params as (
    select * from config.params
),

stages as (
    select stage_order, stage_name from config.funnel_stages
),

-- awareness: visits of the channel dated within the funnel cohort's signup span; the
-- awareness -> signup step counts the attributed ones (visits by a user who signed up).
-- Visits carry a channel, not a segment: per segment awareness is unknown (no row, NULL)
awareness as (
    select
        cast('channel' as varchar) as dimension,
        stg_visits.channel as dimension_value,
        cast(count(*) as bigint) as users,
        cast(count(*) filter (where stg_visits.is_attributed) as bigint) as attributed_visits
    from analytics.stg_visits as stg_visits
    cross join params
    where stg_visits.visit_date <= params.as_of_date - params.monetization_window_days + 1
        and stg_visits.visit_date >= params.period_start
    group by stg_visits.channel
),


-- each funnel user once per dimension
user_dimensions as (
    select
        cast('segment' as varchar) as dimension,
        segment as dimension_value,
        activated_at,
        engaged_at,
        habit_at,
        collaborated_at,
        monetized_at
    from analytics.user_funnel
    union all
    select 'channel', acquisition_channel, activated_at, engaged_at, habit_at, collaborated_at, monetized_at
    from analytics.user_funnel
),

-- one row per user, dimension and reached stage 2..7
user_stages as (
    select dimension, dimension_value, 2 as stage_order from user_dimensions
    union all
    select dimension, dimension_value, 3 from user_dimensions where activated_at is not null
    union all
    select dimension, dimension_value, 4 from user_dimensions where engaged_at is not null
    union all
    select dimension, dimension_value, 5 from user_dimensions where habit_at is not null
    union all
    select dimension, dimension_value, 6 from user_dimensions where collaborated_at is not null
    union all
    select dimension, dimension_value, 7 from user_dimensions where monetized_at is not null
),

stage_users as (
    select
        dimension,
        dimension_value,
        stage_order,
        cast(count(*) as bigint) as users
    from user_stages
    group by dimension, dimension_value, stage_order
),

dimension_values as (
    select distinct dimension, dimension_value from user_dimensions
),

counts as (
    select
        dimension_values.dimension,
        dimension_values.dimension_value,
        stages.stage_order,
        stages.stage_name,
        case
            when stages.stage_order = 1 then awareness.users
            else coalesce(stage_users.users, cast(0 as bigint))
        end as users,
        case
            when stages.stage_order = 1 then cast(null as bigint)
            when stages.stage_order = 2 then awareness.attributed_visits
            else coalesce(stage_users.users, cast(0 as bigint))
        end as converted
    from dimension_values
    cross join stages
    left join awareness
        on awareness.dimension = dimension_values.dimension
        and awareness.dimension_value = dimension_values.dimension_value
    left join stage_users
        on stage_users.dimension = dimension_values.dimension
        and stage_users.dimension_value = dimension_values.dimension_value
        and stage_users.stage_order = stages.stage_order
),

rates as (
    select
        dimension,
        dimension_value,
        stage_order,
        stage_name,
        users,
        converted,
        cast(converted as double precision) / nullif(
            lag(users) over (partition by dimension, dimension_value order by stage_order), 0
        ) as step_conversion,
        case
            when stage_order >= 2
                then cast(users as double precision) / nullif(
                    max(case when stage_order = 2 then users end) over (partition by dimension, dimension_value), 0
                )
        end as overall_conversion,
        lag(users) over (partition by dimension, dimension_value order by stage_order) as previous_users,
        case
            when stage_order >= 2
                then max(case when stage_order = 2 then users end) over (partition by dimension, dimension_value)
        end as signup_users
    from counts
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
final as (
    select
        dimension,
        dimension_value,
        stage_order,
        stage_name,
        users,
        converted,
        step_conversion,
        overall_conversion,
        1 - step_conversion as drop_off,
        previous_users as step_conversion_n,
        (cast(converted as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(converted as double precision) * (cast(nullif(previous_users, 0) as double precision) - cast(converted as double precision)) / cast(nullif(previous_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(previous_users, 0) as double precision) + 3.8414588206941254) as step_conversion_ci_low,
        (cast(converted as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(converted as double precision) * (cast(nullif(previous_users, 0) as double precision) - cast(converted as double precision)) / cast(nullif(previous_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(previous_users, 0) as double precision) + 3.8414588206941254) as step_conversion_ci_high,
        (cast(users as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(users as double precision) * (cast(nullif(signup_users, 0) as double precision) - cast(users as double precision)) / cast(nullif(signup_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(signup_users, 0) as double precision) + 3.8414588206941254) as overall_conversion_ci_low,
        (cast(users as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(users as double precision) * (cast(nullif(signup_users, 0) as double precision) - cast(users as double precision)) / cast(nullif(signup_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(signup_users, 0) as double precision) + 3.8414588206941254) as overall_conversion_ci_high,
        signup_users as overall_conversion_n
    from rates
)

select * from final
