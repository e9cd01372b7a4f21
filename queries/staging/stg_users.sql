-- name: stg_users
-- version: 1
-- depends:
-- grain: one row per user who signed up on or before as_of_date
-- description: raw.users censored at as_of_date, with signup_date: a signup dated after it (the partial last day of ingested data) stays in raw.users but is outside every metric
with params as (
    select as_of_date from config.params
),

final as (
    select
        users.user_id,
        users.signup_at,
        cast(users.signup_at as date) as signup_date,
        users.segment,
        users.acquisition_channel,
        users.device,
        users.region,
        users.use_case
    from raw.users as users
    cross join params
    where cast(users.signup_at as date) <= params.as_of_date
)

select * from final
