-- name: power_user_curve
-- version: 2
-- depends: user_days
-- grain: one row per number of active days 1..28
-- description: L28 power-user curve: users by number of distinct active days in the 28 days ending as_of_date, and their share of the users active in that window
with params as (
    select as_of_date from config.params
),

day_counts as (
    select numbers.n as active_days
    from config.numbers as numbers
    where numbers.n between 1 and 28
),

user_counts as (
    select
        user_days.user_id,
        cast(count(*) as integer) as active_days
    from analytics.user_days as user_days
    cross join params
    where user_days.activity_date between params.as_of_date - 27 and params.as_of_date
    group by user_days.user_id
),

histogram as (
    select
        active_days,
        cast(count(*) as bigint) as users
    from user_counts
    group by active_days
),

final as (
    select
        day_counts.active_days,
        coalesce(histogram.users, cast(0 as bigint)) as users,
        cast(coalesce(histogram.users, 0) as double precision)
            / nullif(cast(sum(coalesce(histogram.users, 0)) over () as double precision), 0)
            as share_of_active_users
    from day_counts
    left join histogram
        on histogram.active_days = day_counts.active_days
)

select * from final
