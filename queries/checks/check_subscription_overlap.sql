-- name: check_subscription_overlap
-- version: 1
-- depends:
-- severity: warning
-- grain: one row per pair of subscriptions of the same workspace active on a common day
-- description: at most one active subscription per workspace on any day (active on d: started on or before d, not ended on or before d): billing is per workspace, so an upgrade, a downgrade or a seat change ends the previous subscription the day the next one starts; a warning: two at once count the workspace's MRR twice; generated data has none (calibration C16 is exactly 0), but an export from a product that bills members separately can, and its MRR is then the sum of both
with subscriptions as (
    select
        subscription_id,
        workspace_id,
        cast(started_at as date) as start_date,
        cast(ended_at as date) as end_date
    from raw.subscriptions
    -- active on at least one day
    where ended_at is null or cast(ended_at as date) > cast(started_at as date)
),

final as (
    select
        first_subscription.workspace_id,
        first_subscription.subscription_id as subscription_id,
        second_subscription.subscription_id as other_subscription_id,
        greatest(first_subscription.start_date, second_subscription.start_date) as first_common_day
    from subscriptions as first_subscription
    inner join subscriptions as second_subscription
        on second_subscription.workspace_id = first_subscription.workspace_id
        and second_subscription.subscription_id > first_subscription.subscription_id
        and (second_subscription.end_date is null or second_subscription.end_date > first_subscription.start_date)
        and (first_subscription.end_date is null or first_subscription.end_date > second_subscription.start_date)
)

select * from final
