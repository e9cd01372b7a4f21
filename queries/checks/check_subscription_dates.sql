-- name: check_subscription_dates
-- version: 1
-- depends:
-- grain: one row per subscription that ends before it starts
-- description: subscriptions ended_at >= started_at
with final as (
    select
        subscription_id,
        user_id,
        started_at,
        ended_at
    from raw.subscriptions
    where ended_at < started_at
)

select * from final
