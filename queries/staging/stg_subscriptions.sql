-- name: stg_subscriptions
-- version: 1
-- depends:
-- grain: one row per subscription started on or before as_of_date
-- description: raw.subscriptions censored at as_of_date (a later start stays in raw but is outside every metric), with start and end dates, is_trial (monthly_revenue = 0: a trial, never paid) and is_paid (monthly_revenue > 0); an end after as_of_date keeps the subscription active at as_of_date
with params as (
    select as_of_date from config.params
),

final as (
    select
        subscriptions.subscription_id,
        subscriptions.user_id,
        subscriptions.workspace_id,
        subscriptions.plan,
        subscriptions.seats,
        subscriptions.started_at,
        subscriptions.ended_at,
        cast(subscriptions.started_at as date) as start_date,
        cast(subscriptions.ended_at as date) as end_date,
        subscriptions.monthly_revenue,
        subscriptions.monthly_revenue = 0 as is_trial,
        subscriptions.monthly_revenue > 0 as is_paid
    from raw.subscriptions as subscriptions
    cross join params
    where cast(subscriptions.started_at as date) <= params.as_of_date
)

select * from final
