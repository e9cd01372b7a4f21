-- name: feature_adoption
-- version: 3
-- depends: stg_events, user_milestones
-- grain: one row per feature event type and segment, plus segment 'all'
-- description: feature adoption: users with at least one event of the feature (adopters) among all users of the segment, uses, uses per adopter (ever, as of the end: favours long-tenured users); tenure-fair adoption_rate_30d: users with the feature at day_n 0..29 among users observable for 30 days (signup_date + 29 <= as_of_date), with its n and 95% Wilson interval
with features as (
    select cast(feature_list.feature as varchar) as feature
    from (
        values ('template_use'), ('database_create'), ('search'), ('integration_connect'), ('export')
    ) as feature_list (feature)
),

params as (
    select as_of_date from config.params
),

users as (
    select
        user_milestones.user_id,
        user_milestones.segment,
        user_milestones.signup_date,
        user_milestones.signup_date + 29 <= params.as_of_date as is_30d_observable
    from analytics.user_milestones as user_milestones
    cross join params
    union all
    select
        user_milestones.user_id,
        'all',
        user_milestones.signup_date,
        user_milestones.signup_date + 29 <= params.as_of_date
    from analytics.user_milestones as user_milestones
    cross join params
),

segment_users as (
    select
        segment,
        cast(count(*) as bigint) as users,
        cast(count(*) filter (where is_30d_observable) as bigint) as observable_users_30d
    from users
    group by segment
),

feature_events as (
    select
        stg_events.user_id,
        stg_events.event_type as feature,
        cast(count(*) as bigint) as uses,
        min(stg_events.activity_date) as first_use_date
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
        cast(sum(feature_events.uses) as bigint) as uses,
        -- first use at day_n 0..29, counted among users observable for 30 days
        cast(
            count(*) filter (
                where users.is_30d_observable and feature_events.first_use_date <= users.signup_date + 29
            ) as bigint
        ) as adopters_30d
    from feature_events
    inner join users
        on users.user_id = feature_events.user_id
    group by users.segment, feature_events.feature
),

counted as (
    select
        features.feature,
        cast(segment_users.segment as varchar) as segment,
        segment_users.users,
        coalesce(usage.adopters, cast(0 as bigint)) as adopters,
        cast(coalesce(usage.adopters, 0) as double precision) / segment_users.users as adoption_rate,
        coalesce(usage.uses, cast(0 as bigint)) as uses,
        cast(usage.uses as double precision) / nullif(usage.adopters, 0) as uses_per_adopter,
        segment_users.observable_users_30d,
        coalesce(usage.adopters_30d, cast(0 as bigint)) as adopters_30d,
        cast(coalesce(usage.adopters_30d, 0) as double precision) / nullif(segment_users.observable_users_30d, 0)
            as adoption_rate_30d
    from features
    cross join segment_users
    left join usage
        on usage.feature = features.feature
        and usage.segment = segment_users.segment
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
final as (
    select
        counted.*,
        observable_users_30d as adoption_rate_30d_n,
        (cast(adopters_30d as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(adopters_30d as double precision) * (cast(nullif(observable_users_30d, 0) as double precision) - cast(adopters_30d as double precision)) / cast(nullif(observable_users_30d, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users_30d, 0) as double precision) + 3.8414588206941254) as adoption_rate_30d_ci_low,
        (cast(adopters_30d as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(adopters_30d as double precision) * (cast(nullif(observable_users_30d, 0) as double precision) - cast(adopters_30d as double precision)) / cast(nullif(observable_users_30d, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(observable_users_30d, 0) as double precision) + 3.8414588206941254) as adoption_rate_30d_ci_high
    from counted
)

select * from final
