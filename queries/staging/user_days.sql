-- name: user_days
-- version: 2
-- depends:
-- grain: one row per user and activity date (days with at least one event, up to as_of_date)
-- description: daily activity per user: day_n since signup, events, collaborative events, first event time
with params as (
    select as_of_date from config.params
),

users as (
    select
        user_id,
        cast(signup_at as date) as signup_date
    from raw.users
),

events as (
    select
        user_id,
        event_type,
        occurred_at,
        cast(occurred_at as date) as activity_date
    from raw.events
),

-- aggregate events per user and day first, then attach the signup date (one join per
-- user-day instead of per event)
daily as (
    select
        events.user_id,
        events.activity_date,
        cast(count(*) as bigint) as events,
        cast(
            count(*) filter (where events.event_type in ('share', 'invite', 'comment', 'co_edit'))
            as bigint
        ) as collaborative_events,
        min(events.occurred_at) as first_event_at
    from events
    cross join params
    -- as_of_date is the last observable day: later events do not exist yet
    where events.activity_date <= params.as_of_date
    group by events.user_id, events.activity_date
),

final as (
    select
        daily.user_id,
        daily.activity_date,
        cast(daily.activity_date - users.signup_date as integer) as day_n,
        daily.events,
        daily.collaborative_events,
        daily.first_event_at
    from daily
    inner join users
        on users.user_id = daily.user_id
)

select * from final
