-- name: funnel_by_segment
-- version: 2
-- depends: user_funnel
-- grain: one row per segment value and funnel stage (7)
-- description: strict seven-stage funnel of the funnel cohort by segment: users, step and overall conversion, drop-off; step and overall conversion with their n (previous_users, signup_users) and 95% Wilson intervals
with params as (
    select * from config.params
),

stages as (
    select stage_order, stage_name from config.funnel_stages
),

-- awareness: visits carry a channel, not a segment, so it is unknown (NULL) per segment
awareness as (
    select
        cast(null as varchar) as dimension_value,
        cast(null as bigint) as users
    where 1 = 0
),


-- one row per user and reached stage 2..7
user_stages as (
    select segment as dimension_value, 2 as stage_order from analytics.user_funnel
    union all
    select segment, 3 from analytics.user_funnel where activated_at is not null
    union all
    select segment, 4 from analytics.user_funnel where engaged_at is not null
    union all
    select segment, 5 from analytics.user_funnel where habit_at is not null
    union all
    select segment, 6 from analytics.user_funnel where collaborated_at is not null
    union all
    select segment, 7 from analytics.user_funnel where monetized_at is not null
),

stage_users as (
    select
        dimension_value,
        stage_order,
        cast(count(*) as bigint) as users
    from user_stages
    group by dimension_value, stage_order
),

dimension_values as (
    select distinct segment as dimension_value from analytics.user_funnel
),

counts as (
    select
        dimension_values.dimension_value,
        stages.stage_order,
        stages.stage_name,
        case
            when stages.stage_order = 1 then awareness.users
            else coalesce(stage_users.users, cast(0 as bigint))
        end as users
    from dimension_values
    cross join stages
    left join awareness
        on awareness.dimension_value = dimension_values.dimension_value
    left join stage_users
        on stage_users.dimension_value = dimension_values.dimension_value
        and stage_users.stage_order = stages.stage_order
),

rates as (
    select
        dimension_value,
        stage_order,
        stage_name,
        users,
        cast(users as double precision) / nullif(
            lag(users) over (partition by dimension_value order by stage_order), 0
        ) as step_conversion,
        case
            when stage_order >= 2
                then cast(users as double precision) / nullif(
                    max(case when stage_order = 2 then users end) over (partition by dimension_value), 0
                )
        end as overall_conversion,
        lag(users) over (partition by dimension_value order by stage_order) as previous_users,
        case
            when stage_order >= 2
                then max(case when stage_order = 2 then users end) over (partition by dimension_value)
        end as signup_users
    from counts
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
final as (
    select
        cast('segment' as varchar) as dimension,
        dimension_value,
        stage_order,
        stage_name,
        users,
        step_conversion,
        overall_conversion,
        1 - step_conversion as drop_off,
        previous_users as step_conversion_n,
        (cast(users as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(users as double precision) * (cast(nullif(previous_users, 0) as double precision) - cast(users as double precision)) / cast(nullif(previous_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(previous_users, 0) as double precision) + 3.8414588206941254) as step_conversion_ci_low,
        (cast(users as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(users as double precision) * (cast(nullif(previous_users, 0) as double precision) - cast(users as double precision)) / cast(nullif(previous_users, 0) as double precision) + 0.9603647051735313))
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
