-- name: net_revenue_retention_trailing
-- version: 1
-- depends: revenue_months, account_mrr_monthly
-- grain: one row
-- description: company-level trailing-12-month net and gross revenue retention: the accounts paying at the evaluation day of the month 12 months before the as-of month (the base), their MRR at the as-of month's evaluation day / their MRR at the base (NRR; new accounts are not in the base, a churned account counts 0), the same with each account's MRR capped at its base MRR (GRR: no expansion, no reactivation above it); the number of base accounts; NULL (and 0 accounts) when the data holds no month 12 months before the as-of month
with months as (
    select month_start, evaluation_date from analytics.revenue_months
),

as_of_month as (
    select month_start, evaluation_date
    from months
    where month_start = (select max(month_start) from months)
),

base_month as (
    select months.month_start, months.evaluation_date
    from months
    inner join as_of_month
        on months.month_start = cast(as_of_month.month_start - interval '12 months' as date)
),

base_accounts as (
    select account.workspace_id, account.mrr as base_mrr
    from analytics.account_mrr_monthly as account
    inner join base_month
        on base_month.month_start = account.month_start
),

current_accounts as (
    select account.workspace_id, account.mrr
    from analytics.account_mrr_monthly as account
    inner join as_of_month
        on as_of_month.month_start = account.month_start
),

cells as (
    select
        base_accounts.base_mrr,
        coalesce(current_accounts.mrr, cast(0 as double precision)) as current_mrr
    from base_accounts
    left join current_accounts
        on current_accounts.workspace_id = base_accounts.workspace_id
),

totals as (
    select
        cast(count(*) as bigint) as accounts,
        cast(count(*) filter (where current_mrr > 0) as bigint) as retained_accounts,
        cast(sum(base_mrr) as double precision) as base_mrr,
        cast(sum(current_mrr) as double precision) as current_mrr,
        cast(sum(least(current_mrr, base_mrr)) as double precision) as retained_mrr
    from cells
),

final as (
    select
        as_of_month.evaluation_date,
        base_month.month_start as base_month,
        base_month.evaluation_date as base_evaluation_date,
        coalesce(totals.accounts, cast(0 as bigint)) as nrr_trailing_12_accounts,
        coalesce(totals.retained_accounts, cast(0 as bigint)) as retained_accounts,
        totals.base_mrr,
        totals.current_mrr,
        totals.retained_mrr,
        totals.current_mrr / nullif(totals.base_mrr, 0) as nrr_trailing_12,
        totals.retained_mrr / nullif(totals.base_mrr, 0) as grr_trailing_12
    from as_of_month
    left join base_month on 1 = 1
    left join totals on base_month.month_start is not null
)

select * from final
