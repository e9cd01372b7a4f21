-- name: monthly_retention
-- version: 4
-- depends: user_milestones, user_months
-- grain: one row per signup-relative month N (0 .. the last month observable for anyone)
-- description: pooled month-N retention over all cohorts: users active in day_n [30N, 30N + 29] / users for whom that window is observable; retention_rate_n and its 95% Wilson interval
with params as (
    select as_of_date from config.params
),

-- month N of a user is observable when signup_date + 30N + 29 <= as_of_date, i.e. for
-- N <= last_observable_month (censored users are excluded, never counted as 0)
users as (
    select
        user_milestones.user_id,
        cast(
            floor(cast(cast(params.as_of_date - user_milestones.signup_date as integer) - 29 as double precision) / 30)
            as integer
        ) as last_observable_month
    from analytics.user_milestones as user_milestones
    cross join params
),

bounds as (
    select max(last_observable_month) as max_month_n
    from users
),

months as (
    select numbers.n as month_n
    from bounds
    inner join config.numbers as numbers
        on numbers.n <= bounds.max_month_n
),

-- users per last observable month; month N is observable for all users whose last
-- observable month is N or later (one row per user, not per user and month)
users_by_last_month as (
    select
        last_observable_month,
        count(*) as users
    from users
    where last_observable_month >= 0
    group by last_observable_month
),

observable as (
    select
        months.month_n,
        sum(users_by_last_month.users) as observable_users
    from months
    inner join users_by_last_month
        on users_by_last_month.last_observable_month >= months.month_n
    group by months.month_n
),

retained as (
    select
        user_months.month_n,
        count(*) as retained_users
    from analytics.user_months as user_months
    inner join users
        on users.user_id = user_months.user_id
    where user_months.month_n <= users.last_observable_month
    group by user_months.month_n
),

counted as (
    select
        observable.month_n as months_since_signup,
        cast(observable.observable_users as bigint) as observable_users,
        cast(coalesce(retained.retained_users, 0) as bigint) as retained_users,
        cast(coalesce(retained.retained_users, 0) as double precision) / observable.observable_users
            as retention_rate
    from observable
    left join retained
        on retained.month_n = observable.month_n
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
final as (
    select
        counted.*,
        observable_users as retention_rate_n,
        (cast(retained_users as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(retained_users as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(retained_users as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as retention_rate_ci_low,
        (cast(retained_users as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(retained_users as double precision) * (cast(nullif(observable_users, 0) as double precision) - cast(retained_users as double precision)) / cast(nullif(observable_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users, 0) as double precision) + 3.8414588206941254) as retention_rate_ci_high
    from counted
)

select * from final
