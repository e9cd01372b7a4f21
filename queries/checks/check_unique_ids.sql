-- name: check_unique_ids
-- version: 1
-- depends:
-- grain: one row per offending id (NULL or duplicated) per raw table
-- description: ids are non-null and unique in raw.users, raw.workspaces, raw.events, raw.visits, raw.subscriptions, and (workspace_id, user_id) is unique in raw.workspace_members
with users as (
    select
        'raw.users' as table_name,
        user_id as id,
        cast(null as bigint) as second_id,
        cast(count(*) as bigint) as occurrences
    from raw.users
    group by user_id
    having user_id is null or count(*) > 1
),

workspaces as (
    select 'raw.workspaces', workspace_id, cast(null as bigint), cast(count(*) as bigint)
    from raw.workspaces
    group by workspace_id
    having workspace_id is null or count(*) > 1
),

events as (
    select 'raw.events', event_id, cast(null as bigint), cast(count(*) as bigint)
    from raw.events
    group by event_id
    having event_id is null or count(*) > 1
),

visits as (
    select 'raw.visits', visit_id, cast(null as bigint), cast(count(*) as bigint)
    from raw.visits
    group by visit_id
    having visit_id is null or count(*) > 1
),

subscriptions as (
    select 'raw.subscriptions', subscription_id, cast(null as bigint), cast(count(*) as bigint)
    from raw.subscriptions
    group by subscription_id
    having subscription_id is null or count(*) > 1
),

members as (
    select 'raw.workspace_members', workspace_id, user_id, cast(count(*) as bigint)
    from raw.workspace_members
    group by workspace_id, user_id
    having workspace_id is null or user_id is null or count(*) > 1
),

final as (
    select cast(table_name as varchar) as table_name, id, second_id, occurrences from users
    union all
    select * from workspaces
    union all
    select * from events
    union all
    select * from visits
    union all
    select * from subscriptions
    union all
    select * from members
)

select * from final
