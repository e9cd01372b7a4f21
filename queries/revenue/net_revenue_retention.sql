-- name: net_revenue_retention
-- version: 1
-- depends: revenue_months, account_mrr_monthly
-- grain: one row per account cohort (month of the account's first paying evaluation day), plus one pooled row (row_type 'pooled', cohort_month NULL)
-- description: net and gross revenue retention of each account cohort at 3, 6 and 12 months: the cohort's MRR at the evaluation day k months after its cohort month / its MRR at the cohort month (NRR), the same with each account's MRR capped at its starting MRR (GRR); a cell is censored (NULL) unless month cohort + k is complete; the pooled row sums MRR over the cohorts observable at k
with months as (
    select month_start, is_complete_month from analytics.revenue_months
),

accounts as (
    select month_start, workspace_id, mrr, cohort_month from analytics.account_mrr_monthly
),

cohort_accounts as (
    select workspace_id, cohort_month, mrr as starting_mrr
    from accounts
    where month_start = cohort_month
),

horizons as (
    select 3 as k
    union all
    select 6
    union all
    select 12
),

-- each cohort account at each horizon, if month cohort + k is complete
cells as (
    select
        cohort_accounts.cohort_month,
        horizons.k,
        cohort_accounts.starting_mrr,
        coalesce(later.mrr, cast(0 as double precision)) as later_mrr
    from cohort_accounts
    cross join horizons
    inner join months
        on months.month_start = cast(cohort_accounts.cohort_month + horizons.k * interval '1 month' as date)
        and months.is_complete_month
    left join accounts as later
        on later.workspace_id = cohort_accounts.workspace_id
        and later.month_start = months.month_start
),

cohort_cells as (
    select
        cohort_month,
        k,
        cast(count(*) as bigint) as accounts,
        cast(sum(starting_mrr) as double precision) as base_mrr,
        cast(sum(later_mrr) as double precision) as later_mrr,
        cast(sum(least(later_mrr, starting_mrr)) as double precision) as retained_mrr
    from cells
    group by cohort_month, k
),

cohorts as (
    select
        cohort_month,
        cast(count(*) as bigint) as accounts,
        cast(sum(starting_mrr) as double precision) as starting_mrr
    from cohort_accounts
    group by cohort_month
),

cells_by_row as (
    select
        'cohort' as row_type,
        cohort_month,
        k,
        accounts as k_accounts,
        base_mrr,
        later_mrr,
        retained_mrr
    from cohort_cells
    union all
    select
        'pooled',
        cast(null as date),
        k,
        cast(sum(accounts) as bigint),
        cast(sum(base_mrr) as double precision),
        cast(sum(later_mrr) as double precision),
        cast(sum(retained_mrr) as double precision)
    from cohort_cells
    group by k
),

heads as (
    select 'cohort' as row_type, cohort_month, accounts, starting_mrr from cohorts
    union all
    -- the pooled row exists even before any cohort is observable
    select
        'pooled',
        cast(null as date),
        cast(count(*) as bigint),
        cast(sum(starting_mrr) as double precision)
    from cohort_accounts
),

final as (
    select
        cast(heads.row_type as varchar) as row_type,
        heads.cohort_month,
        heads.accounts,
        heads.starting_mrr,
        max(case when unioned.k = 3 then unioned.k_accounts end) as accounts_3,
        max(case when unioned.k = 3 then unioned.base_mrr end) as base_mrr_3,
        max(case when unioned.k = 3 then unioned.later_mrr / nullif(unioned.base_mrr, 0) end) as nrr_3,
        max(case when unioned.k = 3 then unioned.retained_mrr / nullif(unioned.base_mrr, 0) end) as grr_3,
        max(case when unioned.k = 6 then unioned.k_accounts end) as accounts_6,
        max(case when unioned.k = 6 then unioned.base_mrr end) as base_mrr_6,
        max(case when unioned.k = 6 then unioned.later_mrr / nullif(unioned.base_mrr, 0) end) as nrr_6,
        max(case when unioned.k = 6 then unioned.retained_mrr / nullif(unioned.base_mrr, 0) end) as grr_6,
        max(case when unioned.k = 12 then unioned.k_accounts end) as accounts_12,
        max(case when unioned.k = 12 then unioned.base_mrr end) as base_mrr_12,
        max(case when unioned.k = 12 then unioned.later_mrr / nullif(unioned.base_mrr, 0) end) as nrr_12,
        max(case when unioned.k = 12 then unioned.retained_mrr / nullif(unioned.base_mrr, 0) end) as grr_12
    from heads
    left join cells_by_row as unioned
        on unioned.row_type = heads.row_type
        and coalesce(unioned.cohort_month, date '1900-01-01') = coalesce(heads.cohort_month, date '1900-01-01')
    group by heads.row_type, heads.cohort_month, heads.accounts, heads.starting_mrr
)

select * from final
