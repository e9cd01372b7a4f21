-- name: check_events_after_signup
-- version: 1
-- depends:
-- grain: one row per event that happens before its user's signup_at
-- description: no event before its user's signup
with final as (
    select
        raw_events.event_id,
        raw_events.user_id,
        raw_events.occurred_at,
        users.signup_at
    from raw.events as raw_events
    inner join raw.users as users
        on users.user_id = raw_events.user_id
    where raw_events.occurred_at < users.signup_at
)

select * from final
