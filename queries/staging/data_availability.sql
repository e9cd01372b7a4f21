-- name: data_availability
-- version: 1
-- depends:
-- grain: one row
-- description: which optional raw tables hold data (visits, subscriptions, team workspaces), so the report says what is unknown instead of printing zeros
with counts as (
    select
        (select cast(count(*) as bigint) from raw.visits) as visits,
        (select cast(count(*) as bigint) from raw.subscriptions) as subscriptions,
        (
            select cast(count(*) as bigint)
            from raw.workspaces as workspaces
            where workspaces.workspace_type = 'team'
        ) as team_workspaces
),

final as (
    select
        visits,
        subscriptions,
        team_workspaces,
        visits > 0 as has_visits,
        subscriptions > 0 as has_subscriptions,
        team_workspaces > 0 as has_team_workspaces
    from counts
)

select * from final
