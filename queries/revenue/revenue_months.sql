-- name: revenue_months
-- version: 3
-- depends: user_days
-- grain: one row per calendar month from the month of period_start to the month of as_of_date
-- description: the months the revenue tables report: month_start, the evaluation day (the month's last day, or as_of_date in the as_of month: MRR is a month-end snapshot), is_complete_month (the month's last day is on or before as_of_date) and active_users_30d (distinct users with an event in the 30 days ending on the evaluation day: a window of the same length in every month, so a partial as-of month is not measured on fewer days than its month-end MRR snapshot)
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

-- the 30 days ending on the evaluation day (evaluation_date - 29 .. evaluation_date)
active_users as (
    select
        months.month_start,
        cast(count(distinct user_days.user_id) as bigint) as active_users_30d
    from months
    inner join analytics.user_days as user_days
        on user_days.activity_date >= months.evaluation_date - 29
        and user_days.activity_date <= months.evaluation_date
    group by months.month_start
),

final as (
    select
        months.month_start,
        months.evaluation_date,
        months.is_complete_month,
        coalesce(active_users.active_users_30d, cast(0 as bigint)) as active_users_30d
    from months
    left join active_users
        on active_users.month_start = months.month_start
)

select * from final
