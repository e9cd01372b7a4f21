-- name: day_n_retention
-- version: 2
-- depends: user_milestones, user_days
-- grain: one row per N in 1, 7, 14, 30, 60, 90
-- description: day-N retention: active on day_n = N among users with signup_date + N <= as_of_date (on_day_rate); active on some day_n in [N, N + 6] among users with signup_date + N + 6 <= as_of_date (in_window_rate, the bounded 'on or after' with its own observability); active on any day_n >= N as of the end of the data among users with signup_date + N <= as_of_date (on_or_after_rate: unbounded, so it favours early signups); each rate with its n and 95% Wilson interval
with params as (
    select as_of_date from config.params
),

day_numbers as (
    select cast(day_list.day_number as integer) as day_number
    from (values (1), (7), (14), (30), (60), (90)) as day_list (day_number)
),

-- observable for day N: signup_date + N <= as_of_date; the signup day (day 0) never counts.
-- The bounded window [N, N + 6] is observable when signup_date + N + 6 <= as_of_date.
observable as (
    select
        day_numbers.day_number,
        user_milestones.user_id,
        user_milestones.signup_date + day_numbers.day_number + 6 <= params.as_of_date as is_window_observable,
        coalesce(user_milestones.last_active_day_n >= day_numbers.day_number, false) as is_active_on_or_after
    from day_numbers
    cross join params
    inner join analytics.user_milestones as user_milestones
        on user_milestones.signup_date + day_numbers.day_number <= params.as_of_date
),

active_days as (
    select
        day_numbers.day_number,
        user_days.user_id,
        bool_or(user_days.day_n = day_numbers.day_number) as is_active_on_day
    from analytics.user_days as user_days
    inner join day_numbers
        on user_days.day_n between day_numbers.day_number and day_numbers.day_number + 6
    group by day_numbers.day_number, user_days.user_id
),

counted as (
    select
        observable.day_number,
        cast(count(*) as bigint) as observable_users,
        cast(count(*) filter (where active_days.is_active_on_day) as bigint) as retained_on_day,
        cast(count(*) filter (where observable.is_active_on_or_after) as bigint) as retained_on_or_after,
        cast(count(*) filter (where active_days.is_active_on_day) as double precision) / count(*) as on_day_rate,
        cast(count(*) filter (where observable.is_active_on_or_after) as double precision) / count(*)
            as on_or_after_rate,
        cast(count(*) filter (where observable.is_window_observable) as bigint) as window_observable_users,
        cast(
            count(*) filter (where observable.is_window_observable and active_days.user_id is not null)
            as bigint
        ) as retained_in_window,
        cast(
            count(*) filter (where observable.is_window_observable and active_days.user_id is not null)
            as double precision
        ) / nullif(count(*) filter (where observable.is_window_observable), 0) as in_window_rate
    from observable
    left join active_days
        on active_days.day_number = observable.day_number
        and active_days.user_id = observable.user_id
    group by observable.day_number
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
final as (
    select
        counted.*,
        observable_users as on_day_rate_n,
        (cast(retained_on_day as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(retained_on_day as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(retained_on_day as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as on_day_rate_ci_low,
        (cast(retained_on_day as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(retained_on_day as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(retained_on_day as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as on_day_rate_ci_high,
        window_observable_users as in_window_rate_n,
        (cast(retained_in_window as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(retained_in_window as double precision) * (cast(nullif(window_observable_users, 0) as double precision) - cast(retained_in_window as double precision)) / cast(nullif(window_observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(window_observable_users, 0) as double precision) + 3.8414588206941254) as in_window_rate_ci_low,
        (cast(retained_in_window as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(retained_in_window as double precision) * (cast(nullif(window_observable_users, 0) as double precision) - cast(retained_in_window as double precision)) / cast(nullif(window_observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(window_observable_users, 0) as double precision) + 3.8414588206941254) as in_window_rate_ci_high,
        observable_users as on_or_after_rate_n,
        (cast(retained_on_or_after as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(retained_on_or_after as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(retained_on_or_after as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as on_or_after_rate_ci_low,
        (cast(retained_on_or_after as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(retained_on_or_after as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(retained_on_or_after as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as on_or_after_rate_ci_high
    from counted
)

select * from final
