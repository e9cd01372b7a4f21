-- name: check_funnel_monotonic
-- version: 2
-- depends: funnel_stages
-- grain: one row per funnel stage that converts more units than the stage before it holds
-- description: funnel_stages converted (attributed visits for signup, users from activation on) never exceeds the previous stage's users (visits for awareness)
with final as (
    select stage_order, stage_name, users, converted, previous_users
    from analytics.funnel_stages
    where converted > previous_users
)

select * from final
