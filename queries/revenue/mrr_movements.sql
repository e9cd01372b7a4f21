-- name: mrr_movements
-- version: 1
-- depends: revenue_months, account_mrr_monthly
-- grain: one row per calendar month from the month of period_start to the month of as_of_date
-- description: the MRR bridge: each account's MRR change between the previous and this month's evaluation day classified once: new (first paying month), reactivation (paying again after a month end without MRR), expansion (more MRR), contraction (less MRR, still paying), churned (no MRR now); every movement is a non-negative amount and mrr_start + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr = mrr_end
with months as (
    select month_start, evaluation_date, is_complete_month from analytics.revenue_months
),

accounts as (
    select month_start, workspace_id, mrr, cohort_month from analytics.account_mrr_monthly
),

-- each account paying at this or the previous month's evaluation day (the first month has no previous one)
pairs as (
    select
        coalesce(current_month.month_start, cast(previous_month.month_start + interval '1 month' as date))
            as month_start,
        coalesce(previous_month.mrr, cast(0 as double precision)) as previous_mrr,
        coalesce(current_month.mrr, cast(0 as double precision)) as current_mrr,
        current_month.cohort_month
    from accounts as current_month
    full outer join accounts as previous_month
        on previous_month.workspace_id = current_month.workspace_id
        and cast(previous_month.month_start + interval '1 month' as date) = current_month.month_start
),

classified as (
    select
        month_start,
        previous_mrr,
        current_mrr,
        case
            when previous_mrr = 0 and current_mrr > 0 and cohort_month = month_start then 'new'
            when previous_mrr = 0 and current_mrr > 0 then 'reactivation'
            when previous_mrr > 0 and current_mrr = 0 then 'churned'
            when current_mrr > previous_mrr then 'expansion'
            when current_mrr < previous_mrr then 'contraction'
            else 'unchanged'
        end as movement
    from pairs
),

bridge as (
    select
        month_start,
        cast(sum(previous_mrr) as double precision) as mrr_start,
        cast(coalesce(sum(current_mrr) filter (where movement = 'new'), 0) as double precision) as new_mrr,
        cast(coalesce(sum(current_mrr - previous_mrr) filter (where movement = 'expansion'), 0) as double precision)
            as expansion_mrr,
        cast(coalesce(sum(previous_mrr - current_mrr) filter (where movement = 'contraction'), 0) as double precision)
            as contraction_mrr,
        cast(coalesce(sum(previous_mrr) filter (where movement = 'churned'), 0) as double precision) as churned_mrr,
        cast(coalesce(sum(current_mrr) filter (where movement = 'reactivation'), 0) as double precision)
            as reactivation_mrr,
        cast(sum(current_mrr) as double precision) as mrr_end,
        cast(count(*) filter (where previous_mrr > 0) as bigint) as starting_accounts,
        cast(count(*) filter (where movement = 'new') as bigint) as new_accounts,
        cast(count(*) filter (where movement = 'expansion') as bigint) as expansion_accounts,
        cast(count(*) filter (where movement = 'contraction') as bigint) as contraction_accounts,
        cast(count(*) filter (where movement = 'churned') as bigint) as churned_accounts,
        cast(count(*) filter (where movement = 'reactivation') as bigint) as reactivated_accounts,
        cast(count(*) filter (where current_mrr > 0) as bigint) as ending_accounts
    from classified
    group by month_start
),

final as (
    select
        months.month_start,
        months.evaluation_date,
        months.is_complete_month,
        coalesce(bridge.mrr_start, cast(0 as double precision)) as mrr_start,
        coalesce(bridge.new_mrr, cast(0 as double precision)) as new_mrr,
        coalesce(bridge.expansion_mrr, cast(0 as double precision)) as expansion_mrr,
        coalesce(bridge.contraction_mrr, cast(0 as double precision)) as contraction_mrr,
        coalesce(bridge.churned_mrr, cast(0 as double precision)) as churned_mrr,
        coalesce(bridge.reactivation_mrr, cast(0 as double precision)) as reactivation_mrr,
        coalesce(
            bridge.new_mrr + bridge.expansion_mrr + bridge.reactivation_mrr - bridge.contraction_mrr - bridge.churned_mrr,
            cast(0 as double precision)
        ) as net_new_mrr,
        coalesce(bridge.mrr_end, cast(0 as double precision)) as mrr_end,
        coalesce(bridge.starting_accounts, cast(0 as bigint)) as starting_accounts,
        coalesce(bridge.new_accounts, cast(0 as bigint)) as new_accounts,
        coalesce(bridge.expansion_accounts, cast(0 as bigint)) as expansion_accounts,
        coalesce(bridge.contraction_accounts, cast(0 as bigint)) as contraction_accounts,
        coalesce(bridge.churned_accounts, cast(0 as bigint)) as churned_accounts,
        coalesce(bridge.reactivated_accounts, cast(0 as bigint)) as reactivated_accounts,
        coalesce(bridge.ending_accounts, cast(0 as bigint)) as ending_accounts
    from months
    left join bridge
        on bridge.month_start = months.month_start
)

select * from final
