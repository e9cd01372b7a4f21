-- name: cohort_ltv
-- version: 3
-- depends: cohort_retention, stg_subscriptions, user_milestones
-- grain: one row per signup-month cohort and signup-relative month N (the grid of cohort_retention)
-- description: cumulative subscription revenue per cohort user up to the end of signup-relative month N (day_n 30N + 29); NULL when the cell is censored
with params as (
    select as_of_date from config.params
),

grid as (
    select
        cohort_month,
        months_since_signup,
        cohort_users,
        observable
    from analytics.cohort_retention
),

subscriptions as (
    select
        subscriptions.user_id,
        subscriptions.start_date,
        subscriptions.end_date,
        subscriptions.monthly_revenue,
        user_milestones.signup_date,
        cast(date_trunc('month', user_milestones.signup_at) as date) as cohort_month
    from analytics.stg_subscriptions as subscriptions
    inner join analytics.user_milestones as user_milestones
        on user_milestones.user_id = subscriptions.user_id
    where subscriptions.is_paid
),

-- a subscription bills monthly_revenue on start_date + 30k (k = 0, 1, ...) while it is
-- active (before end_date), up to the user's horizon signup_date + 30N + 29 and as_of_date
billing_windows as (
    select
        grid.cohort_month,
        grid.months_since_signup,
        subscriptions.start_date,
        subscriptions.monthly_revenue,
        least(
            subscriptions.signup_date + 30 * grid.months_since_signup + 29,
            coalesce(subscriptions.end_date - 1, params.as_of_date),
            params.as_of_date
        ) as last_billable_date
    from grid
    inner join subscriptions
        on subscriptions.cohort_month = grid.cohort_month
    cross join params
),

revenue as (
    select
        cohort_month,
        months_since_signup,
        cast(
            sum(
                monthly_revenue
                * (floor(cast(cast(last_billable_date - start_date as integer) as double precision) / 30) + 1)
            ) as double precision
        ) as cumulative_revenue
    from billing_windows
    where last_billable_date >= start_date
    group by cohort_month, months_since_signup
),

final as (
    select
        grid.cohort_month,
        grid.months_since_signup,
        grid.cohort_users,
        grid.observable,
        case
            when grid.observable then coalesce(revenue.cumulative_revenue, cast(0 as double precision))
        end as cumulative_revenue,
        case
            when grid.observable
                then coalesce(revenue.cumulative_revenue, cast(0 as double precision)) / grid.cohort_users
        end as ltv
    from grid
    left join revenue
        on revenue.cohort_month = grid.cohort_month
        and revenue.months_since_signup = grid.months_since_signup
)

select * from final
