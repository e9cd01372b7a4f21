-- name: predictive_ltv
-- version: 3
-- depends: revenue_months, account_mrr_monthly
-- grain: one row per account segment (the owner's segment) plus 'all'
-- description: predictive account LTV = ARPA x gross margin / monthly logo churn: ARPA and the MRR-weighted gross margin of config.plans at the latest complete month (arpa_month), monthly logo churn pooled over the last 12 complete months (churned / starting accounts, with n and a 95% Wilson interval, which bounds the LTV), next to the realized 12-month gross profit per account (MRR x the configured gross margin of its plan) of the account cohorts observable for 12 months; an account with a month on a plan missing from config.plans has no gross profit: it is left out of the realized figure and counted in realized_unpriced_accounts
with months as (
    select month_start, is_complete_month from analytics.revenue_months
),

plans as (
    select plan, gross_margin from config.plans
),

accounts as (
    select
        account.month_start,
        account.workspace_id,
        account.segment,
        account.mrr,
        account.cohort_month,
        -- in 1/10000 USD as an integer, so sums do not depend on the summation order
        cast(floor(account.mrr * plans.gross_margin * 10000 + 0.5) as bigint) as gross_profit_e4
    from analytics.account_mrr_monthly as account
    left join plans
        on plans.plan = account.plan
),

by_segment as (
    select 'all' as segment, month_start, workspace_id, mrr, gross_profit_e4, cohort_month from accounts
    union all
    select coalesce(segment, 'unknown'), month_start, workspace_id, mrr, gross_profit_e4, cohort_month from accounts
),

latest_complete as (
    select max(month_start) as month_start from months where is_complete_month
),

churn_months as (
    select months.month_start
    from months
    cross join latest_complete
    where months.is_complete_month
        and months.month_start > cast(latest_complete.month_start - interval '12 months' as date)
),

-- each account paying at the evaluation day before a churn month, and whether it still pays
transitions as (
    select
        previous_month.segment,
        case when current_month.workspace_id is null then 1 else 0 end as is_churned
    from churn_months
    inner join by_segment as previous_month
        on cast(previous_month.month_start + interval '1 month' as date) = churn_months.month_start
    left join by_segment as current_month
        on current_month.workspace_id = previous_month.workspace_id
        and current_month.segment = previous_month.segment
        and current_month.month_start = churn_months.month_start
),

churn as (
    select
        segment,
        cast(count(*) as bigint) as starting_accounts,
        cast(sum(is_churned) as bigint) as churned_accounts,
        cast(sum(is_churned) as double precision) / count(*) as p,
        cast(count(*) as double precision) as n
    from transitions
    group by segment
),

current_accounts as (
    select
        by_segment.segment,
        cast(count(*) as bigint) as paying_accounts,
        cast(sum(by_segment.mrr) as double precision) as mrr,
        cast(sum(by_segment.gross_profit_e4) as double precision) / 10000
            / nullif(sum(by_segment.mrr) filter (where by_segment.gross_profit_e4 is not null), 0) as gross_margin
    from by_segment
    inner join latest_complete
        on latest_complete.month_start = by_segment.month_start
    group by by_segment.segment
),

-- realized: gross profit over an account's first 12 month ends (cohort month .. + 11), cohorts whose
-- month + 11 is complete
realized_accounts as (
    select
        by_segment.segment,
        by_segment.workspace_id,
        sum(by_segment.gross_profit_e4) as gross_profit_e4,
        -- a month on a plan missing from config.plans has no gross profit
        bool_or(by_segment.gross_profit_e4 is null) as is_unpriced
    from by_segment
    cross join latest_complete
    where by_segment.cohort_month <= cast(latest_complete.month_start - interval '11 months' as date)
        and by_segment.month_start < cast(by_segment.cohort_month + interval '12 months' as date)
    group by by_segment.segment, by_segment.workspace_id
),

realized as (
    select
        segment,
        cast(count(*) filter (where not is_unpriced) as bigint) as realized_accounts,
        cast(count(*) filter (where is_unpriced) as bigint) as realized_unpriced_accounts,
        cast(sum(gross_profit_e4) filter (where not is_unpriced) as double precision) / 10000
            / nullif(count(*) filter (where not is_unpriced), 0) as realized_ltv_12
    from realized_accounts
    group by segment
),

segments as (
    select segment from current_accounts
    union
    select segment from churn
    union
    select segment from realized
),

rates as (
    select
        segments.segment,
        current_accounts.paying_accounts,
        current_accounts.mrr,
        current_accounts.mrr / nullif(current_accounts.paying_accounts, 0) as arpa,
        current_accounts.gross_margin,
        churn.starting_accounts,
        churn.churned_accounts,
        churn.p,
        -- 95% Wilson score interval, z = 1.959963984540054
        case when churn.p = 0 then cast(0 as double precision) else (churn.p + 3.841458820694124 / (2 * churn.n)
            - 1.959963984540054 * sqrt(churn.p * (1 - churn.p) / churn.n + 3.841458820694124 / (4 * churn.n * churn.n)))
            / (1 + 3.841458820694124 / churn.n) end as p_low,
        case when churn.p = 1 then cast(1 as double precision) else (churn.p + 3.841458820694124 / (2 * churn.n)
            + 1.959963984540054 * sqrt(churn.p * (1 - churn.p) / churn.n + 3.841458820694124 / (4 * churn.n * churn.n)))
            / (1 + 3.841458820694124 / churn.n) end as p_high,
        realized.realized_accounts,
        realized.realized_unpriced_accounts,
        realized.realized_ltv_12
    from segments
    left join current_accounts
        on current_accounts.segment = segments.segment
    left join churn
        on churn.segment = segments.segment
    left join realized
        on realized.segment = segments.segment
),

arpa_month as (
    select month_start as arpa_month from latest_complete
),

final as (
    select
        cast(segment as varchar) as segment,
        arpa_month.arpa_month,
        coalesce(paying_accounts, cast(0 as bigint)) as paying_accounts,
        coalesce(mrr, cast(0 as double precision)) as mrr,
        arpa,
        gross_margin,
        coalesce(churned_accounts, cast(0 as bigint)) as churned_accounts,
        p as monthly_logo_churn,
        coalesce(starting_accounts, cast(0 as bigint)) as monthly_logo_churn_n,
        p_low as monthly_logo_churn_ci_low,
        p_high as monthly_logo_churn_ci_high,
        arpa * gross_margin / nullif(p, 0) as predictive_ltv,
        arpa * gross_margin / nullif(p_high, 0) as predictive_ltv_ci_low,
        arpa * gross_margin / nullif(p_low, 0) as predictive_ltv_ci_high,
        coalesce(realized_accounts, cast(0 as bigint)) as realized_accounts,
        coalesce(realized_unpriced_accounts, cast(0 as bigint)) as realized_unpriced_accounts,
        realized_ltv_12
    from rates
    cross join arpa_month
)

select * from final
