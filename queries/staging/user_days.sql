-- name: user_days
-- version: 3
-- depends: stg_users, stg_events
-- grain: one row per user and activity date (days with at least one event, up to as_of_date)
-- description: daily activity per user: day_n since signup, events, collaborative events, first event time
with users as (
    select user_id, signup_date from analytics.stg_users
),

-- stg_events holds the events dated on or before as_of_date
events as (
    select user_id, is_collaborative, occurred_at, activity_date from analytics.stg_events
),

-- aggregate events per user and day first, then attach the signup date (one join per
-- user-day instead of per event)
daily as (
    select
        events.user_id,
        events.activity_date,
        cast(count(*) as bigint) as events,
        cast(count(*) filter (where events.is_collaborative) as bigint) as collaborative_events,
        min(events.occurred_at) as first_event_at
    from events
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
