-- name: check_duplicate_events
-- version: 2
-- depends:
-- grain: one row per (user_id, event_type, occurred_at, workspace_id) that occurs more than once in raw.events
-- description: no exact duplicate events (same user, event type, time and workspace under different event ids: client retries resent under new ids). Ingest quarantines them by default (--dedupe); data ingested with --no-dedupe fails here
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
