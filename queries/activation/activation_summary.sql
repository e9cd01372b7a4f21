-- name: activation_summary
-- version: 3
-- depends: user_milestones
-- grain: one row per dimension value: ('all', 'all'), ('segment', <segment>), ('channel', <channel>)
-- description: activation rate (page_create at day_n < 7 among users with signup_date + 6 <= as_of_date), time-to-first-value buckets and median hours to the first page; activation_rate_n and its 95% Wilson interval
with observable_users as (
    select
        segment,
        acquisition_channel,
        is_activated,
        time_to_first_value,
        hours_to_first_page
    from analytics.user_milestones
    where is_activation_observable
),

-- the ('all', 'all') row exists even before any user is observable (a short
-- export): a left join from one row, counted by a non-null column, gives 0 users
dimensioned as (
    select 'all' as dimension, 'all' as dimension_value, observable_users.*
    from (select 1 as one) as all_row
    left join observable_users on true
    union all
    select 'segment', segment, observable_users.*
    from observable_users
    union all
    select 'channel', acquisition_channel, observable_users.*
    from observable_users
),

counted as (
    select
        cast(dimension as varchar) as dimension,
        cast(dimension_value as varchar) as dimension_value,
        cast(count(is_activated) as bigint) as observable_users,
        cast(count(*) filter (where is_activated) as bigint) as activated_users,
        cast(count(*) filter (where is_activated) as double precision)
            / nullif(count(is_activated), 0) as activation_rate,
        cast(count(*) filter (where time_to_first_value = 'under_1h') as bigint) as under_1h,
        cast(count(*) filter (where time_to_first_value = '1h_to_24h') as bigint) as h1_to_24h,
        cast(count(*) filter (where time_to_first_value = '1d_to_7d') as bigint) as d1_to_7d,
        cast(count(*) filter (where time_to_first_value = 'never') as bigint) as never,
        -- median over activated users only (first page_create at day_n < 7)
        cast(
            percentile_cont(0.5) within group (order by hours_to_first_page)
                filter (where is_activated)
            as double precision
        ) as median_hours_to_first_page
    from dimensioned
    group by dimension, dimension_value
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
final as (
    select
        counted.*,
        observable_users as activation_rate_n,
        (cast(activated_users as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(activated_users as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(activated_users as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as activation_rate_ci_low,
        (cast(activated_users as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(activated_users as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(activated_users as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as activation_rate_ci_high
    from counted
)

select * from final
