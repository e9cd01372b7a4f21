-- name: check_subscription_revenue
-- version: 1
-- depends:
-- grain: one row per subscription with a negative monthly_revenue
-- description: monthly_revenue is never negative (0 is a trial, above 0 is paid)
with final as (
    select
        subscription_id,
        user_id,
        workspace_id,
        monthly_revenue
    from raw.subscriptions
    where monthly_revenue < 0
)

select * from final
