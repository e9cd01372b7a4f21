-- name: stg_visits
-- version: 1
-- depends: stg_users
-- grain: one row per visit dated on or before as_of_date
-- description: raw.visits censored at as_of_date, with visit_date and is_attributed (the visit's user_id is a user who signed up on or before as_of_date: the visit converted)
with params as (
    select as_of_date from config.params
),

final as (
    select
        visits.visit_id,
        visits.visited_at,
        cast(visits.visited_at as date) as visit_date,
        visits.channel,
        visits.landing_page,
        visits.user_id,
        stg_users.user_id is not null as is_attributed
    from raw.visits as visits
    cross join params
    left join analytics.stg_users as stg_users
        on stg_users.user_id = visits.user_id
    where cast(visits.visited_at as date) <= params.as_of_date
)

select * from final
