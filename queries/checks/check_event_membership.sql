-- name: check_event_membership
-- version: 1
-- depends:
-- grain: one row per event in an existing workspace its user is not a member of
-- description: every event happens in a workspace its user belongs to (raw.workspace_members); unknown workspaces are check_event_references
with final as (
    select
        raw_events.event_id,
        raw_events.user_id,
        raw_events.workspace_id
    from raw.events as raw_events
    inner join raw.workspaces as workspaces
        on workspaces.workspace_id = raw_events.workspace_id
    left join raw.workspace_members as members
        on members.workspace_id = raw_events.workspace_id
        and members.user_id = raw_events.user_id
    where members.user_id is null
)

select * from final
