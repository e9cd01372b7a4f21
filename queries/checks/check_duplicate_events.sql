-- name: check_duplicate_events
-- version: 1
-- depends:
-- severity: warning
-- grain: one row per (user_id, event_type, occurred_at, workspace_id) that occurs more than once in raw.events
-- description: no exact duplicate events (same user, event type, time and workspace under different event ids). A warning for now: ingest quarantines duplicates, but the generator can clamp two events of a user to the same last microsecond of a day
with final as (
    select
        user_id,
        event_type,
        occurred_at,
        workspace_id,
        cast(count(*) as bigint) as occurrences
    from raw.events
    group by user_id, event_type, occurred_at, workspace_id
    having count(*) > 1
)

select * from final
