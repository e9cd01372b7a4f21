-- name: feature_adoption
-- version: 2
-- depends: stg_events, user_milestones
-- grain: one row per feature event type and segment, plus segment 'all'
-- description: feature adoption: users with at least one event of the feature (adopters) among all users of the segment, uses, uses per adopter
with features as (
    select cast(feature_list.feature as varchar) as feature
    from (
        values ('template_use'), ('database_create'), ('search'), ('integration_connect'), ('export')
    ) as feature_list (feature)
),

users as (
    select user_id, segment from analytics.user_milestones
    union all
    select user_id, 'all' from analytics.user_milestones
),

segment_users as (
    select
        segment,
        cast(count(*) as bigint) as users
    from users
    group by segment
),

feature_events as (
    select
        stg_events.user_id,
        stg_events.event_type as feature,
        cast(count(*) as bigint) as uses
    from analytics.stg_events as stg_events
    inner join features
        on features.feature = stg_events.event_type
    group by stg_events.user_id, stg_events.event_type
),

usage as (
    select
        users.segment,
        feature_events.feature,
        cast(count(*) as bigint) as adopters,
        cast(sum(feature_events.uses) as bigint) as uses
    from feature_events
    inner join users
        on users.user_id = feature_events.user_id
    group by users.segment, feature_events.feature
),

final as (
    select
        features.feature,
        cast(segment_users.segment as varchar) as segment,
        segment_users.users,
        coalesce(usage.adopters, cast(0 as bigint)) as adopters,
        cast(coalesce(usage.adopters, 0) as double precision) / segment_users.users as adoption_rate,
        coalesce(usage.uses, cast(0 as bigint)) as uses,
        cast(usage.uses as double precision) / nullif(usage.adopters, 0) as uses_per_adopter
    from features
    cross join segment_users
    left join usage
        on usage.feature = features.feature
        and usage.segment = segment_users.segment
)

select * from final
