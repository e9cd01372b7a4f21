-- name: cohort_early_late
-- version: 1
-- depends: cohort_retention
-- grain: one row
-- description: pooled month-1 retention of the first 6 and the latest 6 cohorts whose month-1 cell is observable, and latest / first - 1 (the groups overlap when fewer than 12 such cohorts exist)
with complete_cohorts as (
    select
        cohort_month,
        cohort_users,
        retained_users,
        row_number() over (order by cohort_month) as rank_from_first,
        row_number() over (order by cohort_month desc) as rank_from_latest
    from analytics.cohort_retention
    where months_since_signup = 1
        and observable
),

pooled as (
    select
        min(cohort_month) filter (where rank_from_first <= 6) as first_cohorts_from,
        max(cohort_month) filter (where rank_from_first <= 6) as first_cohorts_to,
        cast(sum(cohort_users) filter (where rank_from_first <= 6) as bigint) as first_users,
        cast(sum(retained_users) filter (where rank_from_first <= 6) as bigint) as first_retained,
        min(cohort_month) filter (where rank_from_latest <= 6) as latest_cohorts_from,
        max(cohort_month) filter (where rank_from_latest <= 6) as latest_cohorts_to,
        cast(sum(cohort_users) filter (where rank_from_latest <= 6) as bigint) as latest_users,
        cast(sum(retained_users) filter (where rank_from_latest <= 6) as bigint) as latest_retained,
        cast(count(*) as bigint) as complete_cohorts
    from complete_cohorts
),

final as (
    select
        complete_cohorts,
        first_cohorts_from,
        first_cohorts_to,
        first_users,
        first_retained,
        cast(first_retained as double precision) / nullif(first_users, 0) as first_month1_retention,
        latest_cohorts_from,
        latest_cohorts_to,
        latest_users,
        latest_retained,
        cast(latest_retained as double precision) / nullif(latest_users, 0) as latest_month1_retention,
        (cast(latest_retained as double precision) / nullif(latest_users, 0))
            / nullif(cast(first_retained as double precision) / nullif(first_users, 0), 0) - 1
            as relative_change
    from pooled
)

select * from final
