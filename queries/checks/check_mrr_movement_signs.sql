-- name: check_mrr_movement_signs
-- version: 1
-- depends: mrr_movements
-- grain: one row per month and movement column holding a negative amount
-- description: no negative movement in a category that is a non-negative amount: new_mrr, expansion_mrr, contraction_mrr, churned_mrr and reactivation_mrr are amounts (contraction and churn are subtracted in the bridge), and mrr_start and mrr_end are never negative
with movements as (
    select month_start, 'mrr_start' as movement, mrr_start as amount from analytics.mrr_movements
    union all
    select month_start, 'new_mrr', new_mrr from analytics.mrr_movements
    union all
    select month_start, 'expansion_mrr', expansion_mrr from analytics.mrr_movements
    union all
    select month_start, 'contraction_mrr', contraction_mrr from analytics.mrr_movements
    union all
    select month_start, 'churned_mrr', churned_mrr from analytics.mrr_movements
    union all
    select month_start, 'reactivation_mrr', reactivation_mrr from analytics.mrr_movements
    union all
    select month_start, 'mrr_end', mrr_end from analytics.mrr_movements
),

final as (
    select month_start, cast(movement as varchar) as movement, amount
    from movements
    where amount < 0
)

select * from final
