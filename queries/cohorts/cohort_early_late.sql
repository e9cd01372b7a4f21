-- name: cohort_early_late
-- version: 3
-- depends: cohort_retention
-- grain: one row
-- description: pooled month-1 retention of the first 6 and the latest 6 cohorts whose month-1 cell is observable, and latest / first - 1; cohorts_per_group = how many cohorts each group pools (6, or every complete cohort when fewer exist; the groups overlap when fewer than 12 such cohorts exist); each retention with its n and 95% Wilson interval; difference latest - first with Newcombe's hybrid score interval (retention_difference); relative_change with a Katz log interval of the ratio, minus 1; has_detectable_change when the difference's interval excludes 0
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

counted as (
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
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
wilson as (
    select
        counted.*,
        (cast(first_retained as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(first_retained as double precision) * (cast(nullif(first_users, 0) as double precision) - cast(first_retained as double precision)) / cast(nullif(first_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(first_users, 0) as double precision) + 3.8414588206941254) as first_month1_retention_ci_low,
        (cast(first_retained as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(first_retained as double precision) * (cast(nullif(first_users, 0) as double precision) - cast(first_retained as double precision)) / cast(nullif(first_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(first_users, 0) as double precision) + 3.8414588206941254) as first_month1_retention_ci_high,
        (cast(latest_retained as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(latest_retained as double precision) * (cast(nullif(latest_users, 0) as double precision) - cast(latest_retained as double precision)) / cast(nullif(latest_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(latest_users, 0) as double precision) + 3.8414588206941254) as latest_month1_retention_ci_low,
        (cast(latest_retained as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(latest_retained as double precision) * (cast(nullif(latest_users, 0) as double precision) - cast(latest_retained as double precision)) / cast(nullif(latest_users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(latest_users, 0) as double precision) + 3.8414588206941254) as latest_month1_retention_ci_high
    from counted
),

-- latest - first: Newcombe's hybrid score interval, d - sqrt((p1 - l1)^2 + (u2 - p2)^2) ..
-- d + sqrt((u1 - p1)^2 + (p2 - l2)^2) with 1 = latest, 2 = first. Ratio latest / first: Katz log
-- interval exp(ln(r) -+ z sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)), reported minus 1 like relative_change
differences as (
    select
        wilson.*,
        latest_month1_retention - first_month1_retention as retention_difference,
        latest_month1_retention - first_month1_retention
            - sqrt(
                (latest_month1_retention - latest_month1_retention_ci_low)
                * (latest_month1_retention - latest_month1_retention_ci_low)
                + (first_month1_retention_ci_high - first_month1_retention)
                * (first_month1_retention_ci_high - first_month1_retention)
            ) as retention_difference_ci_low,
        latest_month1_retention - first_month1_retention
            + sqrt(
                (latest_month1_retention_ci_high - latest_month1_retention)
                * (latest_month1_retention_ci_high - latest_month1_retention)
                + (first_month1_retention - first_month1_retention_ci_low)
                * (first_month1_retention - first_month1_retention_ci_low)
            ) as retention_difference_ci_high,
        case when latest_retained > 0 and first_retained > 0 then
            1.959963984540054 * sqrt(
                1 / cast(latest_retained as double precision) - 1 / cast(latest_users as double precision)
                + 1 / cast(first_retained as double precision) - 1 / cast(first_users as double precision)
            )
        end as log_ratio_margin
    from wilson
),

final as (
    select
        complete_cohorts,
        first_cohorts_from,
        first_cohorts_to,
        first_users,
        first_retained,
        first_month1_retention,
        first_month1_retention_ci_low,
        first_month1_retention_ci_high,
        latest_cohorts_from,
        latest_cohorts_to,
        latest_users,
        latest_retained,
        latest_month1_retention,
        latest_month1_retention_ci_low,
        latest_month1_retention_ci_high,
        relative_change,
        case when log_ratio_margin is not null
            then exp(ln(relative_change + 1) - log_ratio_margin) - 1
        end as relative_change_ci_low,
        case when log_ratio_margin is not null
            then exp(ln(relative_change + 1) + log_ratio_margin) - 1
        end as relative_change_ci_high,
        retention_difference,
        retention_difference_ci_low,
        retention_difference_ci_high,
        retention_difference_ci_low > 0 or retention_difference_ci_high < 0 as has_detectable_change
    from differences
)

select
    final.*,
    cast(least(final.complete_cohorts, 6) as bigint) as cohorts_per_group
from final
