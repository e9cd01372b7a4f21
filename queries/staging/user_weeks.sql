-- name: user_weeks
-- version: 1
-- depends: user_days
-- grain: one row per user and ISO week (Monday start) with at least one active day
-- description: weekly activity per user: active days, events and collaborative events in the ISO week
with user_days as (
    select * from analytics.user_days
),

final as (
    select
        user_id,
        cast(date_trunc('week', cast(activity_date as timestamp)) as date) as week_start,
        cast(count(*) as bigint) as active_days,
        cast(sum(events) as bigint) as events,
        cast(sum(collaborative_events) as bigint) as collaborative_events
    from user_days
    group by user_id, cast(date_trunc('week', cast(activity_date as timestamp)) as date)
)

select * from final
