-- name: data_availability
-- version: 2
-- depends:
-- grain: one row
-- description: which optional raw tables hold data (visits, subscriptions, team workspaces), so the report says what is unknown instead of printing zeros; and how many raw rows are dated after as_of_date (the partial last day of ingested data: kept in raw, outside every metric)
with params as (
    select as_of_date from config.params
),

counts as (
    select
        (select cast(count(*) as bigint) from raw.visits) as visits,
        (select cast(count(*) as bigint) from raw.subscriptions) as subscriptions,
        (
            select cast(count(*) as bigint)
            from raw.workspaces as workspaces
            where workspaces.workspace_type = 'team'
        ) as team_workspaces,
        (
            select cast(count(*) as bigint)
            from raw.events as raw_events
            where cast(raw_events.occurred_at as date) > params.as_of_date
        ) as events_after_as_of,
        (
            select cast(count(*) as bigint)
            from raw.users as users
            where cast(users.signup_at as date) > params.as_of_date
        ) as signups_after_as_of,
        (
            select cast(count(*) as bigint)
            from raw.visits as visits
            where cast(visits.visited_at as date) > params.as_of_date
        ) as visits_after_as_of,
        (
            select cast(count(*) as bigint)
            from raw.subscriptions as subscriptions
            where cast(subscriptions.started_at as date) > params.as_of_date
        ) as subscriptions_after_as_of
    from params
),

final as (
    select
        visits,
        subscriptions,
        team_workspaces,
        visits > 0 as has_visits,
        subscriptions > 0 as has_subscriptions,
        team_workspaces > 0 as has_team_workspaces,
        events_after_as_of,
        signups_after_as_of,
        visits_after_as_of,
        subscriptions_after_as_of
    from counts
)

select * from final
