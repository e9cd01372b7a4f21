-- name: check_mrr_bridge
-- version: 1
-- depends: mrr_movements
-- grain: one row per month whose MRR bridge does not add up
-- description: the MRR bridge adds up every month: mrr_start + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr = mrr_end, and mrr_start is the previous month's mrr_end (0 in the first month); a difference above 0.005 USD is an offending row
with movements as (
    select
        month_start,
        mrr_start,
        new_mrr,
        expansion_mrr,
        reactivation_mrr,
        contraction_mrr,
        churned_mrr,
        mrr_end,
        lag(mrr_end) over (order by month_start) as previous_mrr_end
    from analytics.mrr_movements
),

final as (
    select
        month_start,
        mrr_start,
        coalesce(previous_mrr_end, cast(0 as double precision)) as previous_mrr_end,
        mrr_start + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr as bridged_mrr_end,
        mrr_end
    from movements
    where abs(mrr_start + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr - mrr_end) > 0.005
        or abs(mrr_start - coalesce(previous_mrr_end, cast(0 as double precision))) > 0.005
)

select * from final
