-- name: power_users
-- version: 1
-- depends: user_milestones
-- grain: one row per decile 1..10 (1 = heaviest users)
-- description: users ranked by event count (ties by user_id, users without events included), ntile(10): users, events and share of all events per decile
with ranked as (
    select
        user_id,
        total_events,
        ntile(10) over (order by total_events desc, user_id) as decile
    from analytics.user_milestones
),

final as (
    select
        cast(decile as integer) as decile,
        cast(count(*) as bigint) as users,
        cast(sum(total_events) as bigint) as events,
        cast(min(total_events) as bigint) as min_events,
        cast(max(total_events) as bigint) as max_events,
        cast(sum(total_events) as double precision)
            / nullif(cast(sum(sum(total_events)) over () as double precision), 0) as share_of_events
    from ranked
    group by decile
)

select * from final
