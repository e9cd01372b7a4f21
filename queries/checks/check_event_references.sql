-- name: check_event_references
-- version: 1
-- depends:
-- grain: one row per event whose user or workspace does not exist
-- description: every event's user_id exists in raw.users and its workspace_id in raw.workspaces
with final as (
    select
        raw_events.event_id,
        raw_events.user_id,
        raw_events.workspace_id,
        users.user_id is null as is_missing_user,
        workspaces.workspace_id is null as is_missing_workspace
    from raw.events as raw_events
    left join raw.users as users
        on users.user_id = raw_events.user_id
    left join raw.workspaces as workspaces
        on workspaces.workspace_id = raw_events.workspace_id
    where users.user_id is null
        or workspaces.workspace_id is null
)

select * from final
