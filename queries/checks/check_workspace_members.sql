-- name: check_workspace_members
-- version: 1
-- depends:
-- grain: one row per membership whose workspace or user does not exist
-- description: every workspace member refers to an existing workspace and user
with final as (
    select
        members.workspace_id,
        members.user_id,
        workspaces.workspace_id is null as is_missing_workspace,
        users.user_id is null as is_missing_user
    from raw.workspace_members as members
    left join raw.workspaces as workspaces
        on workspaces.workspace_id = members.workspace_id
    left join raw.users as users
        on users.user_id = members.user_id
    where workspaces.workspace_id is null
        or users.user_id is null
)

select * from final
