-- name: revenue_months
-- version: 2
-- depends: user_days
-- grain: one row per calendar month from the month of period_start to the month of as_of_date
-- description: the months the revenue tables report: month_start, the evaluation day (the month's last day, or as_of_date in the as_of month: MRR is a month-end snapshot), is_complete_month (the month's last day is on or before as_of_date) and monthly_active_users (distinct users with an event between month_start and the evaluation day)
with params as (
    select period_start, as_of_date from config.params
),

-- months from the month of period_start to the month of as_of_date
month_series as (
    select date_trunc('month', cast(params.period_start as timestamp)) + numbers.n * interval '1 month' as g
    from params
    inner join config.numbers as numbers
        on cast(date_trunc('month', cast(params.period_start as timestamp)) + numbers.n * interval '1 month' as date)
            <= params.as_of_date
),

months as (
    select
        cast(month_series.g as date) as month_start,
        least(cast(month_series.g + interval '1 month' as date) - 1, params.as_of_date) as evaluation_date,
        cast(month_series.g + interval '1 month' as date) - 1 <= params.as_of_date as is_complete_month
    from month_series
    cross join params
),

active_users as (
    select
        months.month_start,
        cast(count(distinct user_days.user_id) as bigint) as monthly_active_users
    from months
    inner join analytics.user_days as user_days
        on user_days.activity_date >= months.month_start
        and user_days.activity_date <= months.evaluation_date
    group by months.month_start
),

final as (
    select
        months.month_start,
        months.evaluation_date,
        months.is_complete_month,
        coalesce(active_users.monthly_active_users, cast(0 as bigint)) as monthly_active_users
    from months
    left join active_users
        on active_users.month_start = months.month_start
)

select * from final
