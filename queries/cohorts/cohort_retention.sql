-- name: cohort_retention
-- version: 2
-- depends: user_milestones, user_months
-- grain: one row per signup-month cohort and signup-relative month N (0 .. the last month observable for the earliest signup)
-- description: cohort retention matrix in long form: users of the cohort active in day_n [30N, 30N + 29] / cohort users; NULL unless every user of the cohort is observable
with params as (
    select as_of_date from config.params
),

users as (
    select
        user_id,
        signup_date,
        cast(date_trunc('month', signup_at) as date) as cohort_month
    from analytics.user_milestones
),

cohorts as (
    select
        cohort_month,
        -- last day of the cohort month: its latest possible signup date
        cast(cohort_month + interval '1 month' as date) - 1 as cohort_month_end,
        cast(count(*) as bigint) as cohort_users
    from users
    group by cohort_month
),

bounds as (
    select
        cast(
            floor(cast(cast(params.as_of_date - min(users.signup_date) as integer) - 29 as double precision) / 30)
            as integer
        ) as max_month_n
    from users
    cross join params
    group by params.as_of_date
),

months as (
    select numbers.n as month_n
    from bounds
    inner join config.numbers as numbers
        on numbers.n <= bounds.max_month_n
),

retained as (
    select
        users.cohort_month,
        user_months.month_n,
        cast(count(*) as bigint) as retained_users
    from analytics.user_months as user_months
    inner join users
        on users.user_id = user_months.user_id
    group by users.cohort_month, user_months.month_n
),

cells as (
    select
        cohorts.cohort_month,
        months.month_n,
        cohorts.cohort_users,
        -- a cell is observable only when the cohort's last signup day is observable at N
        cohorts.cohort_month_end + 30 * months.month_n + 29 <= params.as_of_date as observable,
        coalesce(retained.retained_users, cast(0 as bigint)) as retained_users
    from cohorts
    cross join months
    cross join params
    left join retained
        on retained.cohort_month = cohorts.cohort_month
        and retained.month_n = months.month_n
),

final as (
    select
        cohort_month,
        month_n as months_since_signup,
        cohort_users,
        observable,
        case when observable then retained_users end as retained_users,
        case
            when observable then cast(retained_users as double precision) / cohort_users
        end as retention_rate
    from cells
)

select * from final
