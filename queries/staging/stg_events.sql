-- name: stg_events
-- version: 1
-- depends:
-- grain: one row per event dated on or before as_of_date
-- description: raw.events censored at as_of_date (later events, e.g. the partial last day of ingested data, stay in raw.events but are outside every metric), with activity_date and is_collaborative (share, invite, comment, co_edit: the one place that list is written)
with params as (
    select as_of_date from config.params
),

final as (
    select
        raw_events.event_id,
        raw_events.user_id,
        raw_events.workspace_id,
        raw_events.event_type,
        raw_events.occurred_at,
        cast(raw_events.occurred_at as date) as activity_date,
        raw_events.event_type in ('share', 'invite', 'comment', 'co_edit') as is_collaborative
    from raw.events as raw_events
    cross join params
    where cast(raw_events.occurred_at as date) <= params.as_of_date
)

select * from final
