-- name: monthly_retention
-- version: 1
-- depends: user_milestones, user_months
-- grain: one row per signup-relative month N (0 .. the last month observable for anyone)
-- description: pooled month-N retention over all cohorts: users active in day_n [30N, 30N + 29] / users for whom that window is observable
with params as (
    select as_of_date from config.params
),

users as (
    select
        user_milestones.user_id,
        user_milestones.signup_date,
        params.as_of_date
    from analytics.user_milestones as user_milestones
    cross join params
),

bounds as (
    select
        cast(floor(cast(max(as_of_date - signup_date) - 29 as double precision) / 30) as integer) as max_month_n
    from users
),

months as (
    select cast(month_series.g as integer) as month_n
    from bounds
    cross join generate_series(0, bounds.max_month_n) as month_series (g)
),

-- observable: signup_date + 30N + 29 <= as_of_date (censored users are excluded, never counted as 0)
observable as (
    select
        months.month_n,
        users.user_id
    from months
    inner join users
        on users.signup_date + 30 * months.month_n + 29 <= users.as_of_date
),

final as (
    select
        observable.month_n as months_since_signup,
        cast(count(*) as bigint) as observable_users,
        cast(count(user_months.user_id) as bigint) as retained_users,
        cast(count(user_months.user_id) as double precision) / count(*) as retention_rate
    from observable
    left join analytics.user_months as user_months
        on user_months.user_id = observable.user_id
        and user_months.month_n = observable.month_n
    group by observable.month_n
)

select * from final
