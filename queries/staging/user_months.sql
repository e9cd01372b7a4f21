-- name: user_months
-- version: 1
-- depends: user_days
-- grain: one row per user and signup-relative month N with activity (day_n in [30N, 30N + 29])
-- description: signup-relative months in which each user was active (the basis of month-N retention)
with user_days as (
    select * from analytics.user_days
    where day_n >= 0
),

final as (
    select
        user_id,
        -- month N = floor(day_n / 30); integer division written portably
        cast(floor(cast(day_n as double precision) / 30) as integer) as month_n,
        cast(count(*) as bigint) as active_days
    from user_days
    group by user_id, cast(floor(cast(day_n as double precision) / 30) as integer)
)

select * from final
