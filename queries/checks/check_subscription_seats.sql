-- name: check_subscription_seats
-- version: 1
-- depends:
-- severity: warning
-- grain: one row per subscription with more seats than its workspace has members
-- description: a subscription's seats do not exceed its workspace's member count (a warning: seats bought ahead of invitations are possible)
with member_counts as (
    select
        workspace_id,
        cast(count(*) as bigint) as members
    from raw.workspace_members
    group by workspace_id
),

final as (
    select
        subscriptions.subscription_id,
        subscriptions.workspace_id,
        subscriptions.seats,
        coalesce(member_counts.members, cast(0 as bigint)) as members
    from raw.subscriptions as subscriptions
    left join member_counts
        on member_counts.workspace_id = subscriptions.workspace_id
    where subscriptions.seats > coalesce(member_counts.members, 0)
)

select * from final
