-- name: check_funnel_monotonic
-- version: 1
-- depends: funnel_stages
-- grain: one row per funnel stage with more users than the stage before it
-- description: funnel_stages users are non-increasing from awareness to monetization
with stages as (
    select
        stage_order,
        stage_name,
        users,
        lag(users) over (order by stage_order) as previous_users
    from analytics.funnel_stages
),

final as (
    select stage_order, stage_name, users, previous_users
    from stages
    where users > previous_users
)

select * from final
