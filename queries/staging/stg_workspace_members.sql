-- name: stg_workspace_members
-- version: 1
-- depends:
-- grain: one row per (workspace, user) membership that started on or before as_of_date
-- description: raw.workspace_members censored at as_of_date, with join_date; the owner (member_role = 'owner') is the account's billing owner, and a member joined by day d is covered by the workspace's paid subscription active on d
with params as (
    select as_of_date from config.params
),

final as (
    select
        members.workspace_id,
        members.user_id,
        members.member_role,
        members.joined_at,
        cast(members.joined_at as date) as join_date
    from raw.workspace_members as members
    cross join params
    where cast(members.joined_at as date) <= params.as_of_date
)

select * from final
