-- name: mrr_monthly
-- version: 4
-- depends: stg_subscriptions
-- grain: one row per calendar month from the month of period_start to the month of as_of_date
-- description: MRR (monthly_revenue of paid subscriptions, monthly_revenue > 0, active on the month's last day, or as_of_date for the last month), paying accounts (workspaces: billing is per workspace), ARPA (MRR / paying accounts), new and churned paying accounts versus the previous month's evaluation day
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
        -- evaluation day: the month's last day, or as_of_date in the as_of month
        least(cast(month_series.g + interval '1 month' as date) - 1, params.as_of_date) as evaluation_date
    from month_series
    cross join params
),

-- active on day d: started on or before d and not ended on or before d; paid only (a $0
-- subscription is a trial: no revenue and not a paying account)
active_subscriptions as (
    select
        months.month_start,
        subscriptions.workspace_id,
        subscriptions.monthly_revenue
    from months
    inner join analytics.stg_subscriptions as subscriptions
        on subscriptions.start_date <= months.evaluation_date
        and (subscriptions.end_date is null or subscriptions.end_date > months.evaluation_date)
    where subscriptions.is_paid
),

paying_accounts as (
    select distinct
        month_start,
        workspace_id
    from active_subscriptions
),

-- paying now and not at the previous evaluation day = new; the reverse = churned
account_changes as (
    select
        coalesce(current_month.month_start, cast(previous_month.month_start + interval '1 month' as date))
            as month_start,
        case when previous_month.workspace_id is null then 1 else 0 end as is_new,
        case when current_month.workspace_id is null then 1 else 0 end as is_churned
    from paying_accounts as current_month
    full outer join paying_accounts as previous_month
        on previous_month.workspace_id = current_month.workspace_id
        and cast(previous_month.month_start + interval '1 month' as date) = current_month.month_start
),

revenue as (
    select
        month_start,
        cast(sum(monthly_revenue) as double precision) as mrr,
        cast(count(distinct workspace_id) as bigint) as paying_accounts
    from active_subscriptions
    group by month_start
),

changes as (
    select
        month_start,
        cast(sum(is_new) as bigint) as new_paying_accounts,
        cast(sum(is_churned) as bigint) as churned_paying_accounts
    from account_changes
    group by month_start
),

final as (
    select
        months.month_start,
        months.evaluation_date,
        coalesce(revenue.mrr, cast(0 as double precision)) as mrr,
        coalesce(revenue.paying_accounts, cast(0 as bigint)) as paying_accounts,
        revenue.mrr / nullif(revenue.paying_accounts, 0) as arpa,
        coalesce(changes.new_paying_accounts, cast(0 as bigint)) as new_paying_accounts,
        coalesce(changes.churned_paying_accounts, cast(0 as bigint)) as churned_paying_accounts
    from months
    left join revenue
        on revenue.month_start = months.month_start
    left join changes
        on changes.month_start = months.month_start
)

select * from final
