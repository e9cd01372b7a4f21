-- name: check_subscription_references
-- version: 1
-- depends:
-- grain: one row per subscription whose user or workspace does not exist
-- description: every subscription's user_id exists in raw.users and its workspace_id in raw.workspaces
with final as (
    select
        subscriptions.subscription_id,
        subscriptions.user_id,
        subscriptions.workspace_id,
        users.user_id is null as is_missing_user,
        workspaces.workspace_id is null as is_missing_workspace
    from raw.subscriptions as subscriptions
    left join raw.users as users
        on users.user_id = subscriptions.user_id
    left join raw.workspaces as workspaces
        on workspaces.workspace_id = subscriptions.workspace_id
    where users.user_id is null
        or workspaces.workspace_id is null
)

select * from final
