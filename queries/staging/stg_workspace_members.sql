-- name: stg_workspace_members
-- version: 3
-- depends:
-- grain: one row per (workspace, user) membership that started on or before as_of_date
-- description: raw.workspace_members censored at as_of_date, with join_date, the workspace's type and its number of members as of as_of_date; a team workspace is one with two or more members (is_team_workspace); is_account_owner marks one member per workspace, the account's billing owner whose segment and channel the account takes: the earliest-joined member with member_role = 'owner' (ties: the lower user_id), or the earliest-joined member when no row has that role; a member joined by day d is covered by the workspace's paid subscription active on d
with params as (
    select as_of_date from config.params
),

members as (
    select
        workspace_members.workspace_id,
        workspace_members.user_id,
        workspace_members.member_role,
        workspace_members.joined_at
    from raw.workspace_members as workspace_members
    cross join params
    where cast(workspace_members.joined_at as date) <= params.as_of_date
),

final as (
    select
        members.workspace_id,
        members.user_id,
        members.member_role,
        members.joined_at,
        cast(members.joined_at as date) as join_date,
        workspaces.workspace_type,
        cast(count(*) over (partition by members.workspace_id) as bigint) as workspace_members,
        count(*) over (partition by members.workspace_id) >= 2 as is_team_workspace,
        row_number() over (
            partition by members.workspace_id
            order by case when members.member_role = 'owner' then 0 else 1 end, members.joined_at, members.user_id
        ) = 1 as is_account_owner
    from members
    left join raw.workspaces as workspaces
        on workspaces.workspace_id = members.workspace_id
)

select * from final
