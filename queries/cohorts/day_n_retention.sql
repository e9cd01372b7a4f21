-- name: day_n_retention
-- version: 1
-- depends: user_milestones, user_days
-- grain: one row per N in 1, 7, 14, 30, 60, 90
-- description: day-N retention: active on day_n = N, and active on any day_n >= N, among users with signup_date + N <= as_of_date
with params as (
    select as_of_date from config.params
),

day_numbers as (
    select cast(day_list.day_number as integer) as day_number
    from (values (1), (7), (14), (30), (60), (90)) as day_list (day_number)
),

-- observable: signup_date + N <= as_of_date; the signup day (day 0) never counts
observable as (
    select
        day_numbers.day_number,
        user_milestones.user_id,
        coalesce(user_milestones.last_active_day_n >= day_numbers.day_number, false) as is_active_on_or_after
    from day_numbers
    cross join params
    inner join analytics.user_milestones as user_milestones
        on user_milestones.signup_date + day_numbers.day_number <= params.as_of_date
),

active_on_day as (
    select
        day_numbers.day_number,
        user_days.user_id
    from analytics.user_days as user_days
    inner join day_numbers
        on day_numbers.day_number = user_days.day_n
),

final as (
    select
        observable.day_number,
        cast(count(*) as bigint) as observable_users,
        cast(count(active_on_day.user_id) as bigint) as retained_on_day,
        cast(count(*) filter (where observable.is_active_on_or_after) as bigint) as retained_on_or_after,
        cast(count(active_on_day.user_id) as double precision) / count(*) as on_day_rate,
        cast(count(*) filter (where observable.is_active_on_or_after) as double precision) / count(*)
            as on_or_after_rate
    from observable
    left join active_on_day
        on active_on_day.day_number = observable.day_number
        and active_on_day.user_id = observable.user_id
    group by observable.day_number
)

select * from final
