-- name: headline
-- version: 5
-- depends: north_star_summary, engagement_summary, activation_summary, funnel_stages, paid_conversion, account_metrics_monthly, net_revenue_retention, net_revenue_retention_trailing
-- grain: one row
-- description: the headline figures of this run, the one source of the report's executive summary, the dashboard's KPI tiles and summary.json: North Star v2 of the latest complete week (target, gap, 4-week mean, 12-week trend), WAU, 30-day average DAU, WAU, MAU and stickiness against its benchmark, activation rate (n, 95% Wilson interval), the strict signup -> paid funnel conversion and the number of funnel stages, paid conversion within the monetization window among observable users (n, interval) and covered at the end, MRR, paying accounts and ARPA of the as-of month, company-level trailing-12-month NRR and GRR (with the accounts in their base), the first-year NRR and GRR of new accounts (account cohorts pooled); beside them the figures of the latest earlier as-of date in meta.run_history and the change (NULL without an earlier run), for activation and paid conversion with the previous denominators and Newcombe's hybrid score interval of the change (runs taken as independent samples: conservative when they share users) and has_detectable_*_change when it excludes 0
with params as (
    select as_of_date, activation_window_days, monetization_window_days from config.params
),

north_star as (
    select
        week_start, value, target, gap, mean_4_weeks, change_12_weeks, trend_12_weeks, population_value
    from analytics.north_star_summary
),

engagement as (
    select wau, avg_dau_30d, avg_wau_30d, avg_mau_30d, avg_stickiness_30d, stickiness_benchmark, meets_benchmark
    from analytics.engagement_summary
),

activation as (
    select activation_rate, activation_rate_n, activation_rate_ci_low, activation_rate_ci_high
    from analytics.activation_summary
    where dimension = 'all' and dimension_value = 'all'
),

funnel as (
    select
        count(*) as funnel_stages,
        max(case when stage_order = (select max(stage_order) from analytics.funnel_stages) then overall_conversion end)
            as signup_to_paid
    from analytics.funnel_stages
),

paid as (
    select
        paid_in_window_conversion,
        paid_in_window_conversion_n,
        paid_in_window_conversion_ci_low,
        paid_in_window_conversion_ci_high,
        paid_at_end_rate
    from analytics.paid_conversion
    where dimension = 'all' and dimension_value = 'all'
),

accounts as (
    select month, mrr, paying_accounts, arpa
    from analytics.account_metrics_monthly
    where month = (select max(month) from analytics.account_metrics_monthly)
),

first_year_retention as (
    select nrr_12, grr_12
    from analytics.net_revenue_retention
    where row_type = 'pooled'
),

trailing_retention as (
    select nrr_trailing_12, grr_trailing_12, nrr_trailing_12_accounts
    from analytics.net_revenue_retention_trailing
),

current_figures as (
    select
        params.as_of_date,
        params.activation_window_days,
        params.monetization_window_days,
        north_star.week_start as north_star_week_start,
        north_star.value as north_star,
        north_star.target as north_star_target,
        north_star.gap as north_star_gap,
        north_star.mean_4_weeks as north_star_mean_4_weeks,
        north_star.change_12_weeks as north_star_change_12_weeks,
        north_star.trend_12_weeks as north_star_trend_12_weeks,
        north_star.population_value as north_star_population_value,
        engagement.wau,
        engagement.avg_dau_30d,
        engagement.avg_wau_30d,
        engagement.avg_mau_30d,
        engagement.avg_stickiness_30d,
        engagement.stickiness_benchmark,
        engagement.meets_benchmark as meets_stickiness_benchmark,
        activation.activation_rate,
        activation.activation_rate_n,
        activation.activation_rate_ci_low,
        activation.activation_rate_ci_high,
        funnel.funnel_stages,
        funnel.signup_to_paid,
        paid.paid_in_window_conversion as paid_conversion,
        paid.paid_in_window_conversion_n as paid_conversion_n,
        paid.paid_in_window_conversion_ci_low as paid_conversion_ci_low,
        paid.paid_in_window_conversion_ci_high as paid_conversion_ci_high,
        paid.paid_at_end_rate,
        accounts.month as mrr_month,
        accounts.mrr,
        accounts.paying_accounts,
        accounts.arpa,
        trailing_retention.nrr_trailing_12,
        trailing_retention.grr_trailing_12,
        trailing_retention.nrr_trailing_12_accounts,
        first_year_retention.nrr_12 as first_year_nrr_pooled,
        first_year_retention.grr_12 as first_year_grr_pooled
    from params
    left join north_star on 1 = 1
    left join engagement on 1 = 1
    left join activation on 1 = 1
    left join funnel on 1 = 1
    left join paid on 1 = 1
    left join accounts on 1 = 1
    left join trailing_retention on 1 = 1
    left join first_year_retention on 1 = 1
),

previous_run as (
    select history.*
    from meta.run_history as history
    where history.as_of_date = (
        select max(earlier.as_of_date)
        from meta.run_history as earlier
        where earlier.as_of_date < (select as_of_date from params)
    )
),

-- 95% Wilson score interval of the previous run's two rates (z = 1.959963984540054,
-- z^2 = 3.841458820694124), NULL without a recorded denominator.
previous_rates as (
    select
        activation_rate as a,
        cast(nullif(activation_rate_n, 0) as double precision) as a_n,
        paid_conversion as p,
        cast(nullif(paid_conversion_n, 0) as double precision) as p_n
    from previous_run
),

previous_bounds as (
    select
        (a + 3.841458820694124 / (2 * a_n)
            - 1.959963984540054 * sqrt(a * (1 - a) / a_n + 3.841458820694124 / (4 * a_n * a_n)))
            / (1 + 3.841458820694124 / a_n) as activation_low,
        (a + 3.841458820694124 / (2 * a_n)
            + 1.959963984540054 * sqrt(a * (1 - a) / a_n + 3.841458820694124 / (4 * a_n * a_n)))
            / (1 + 3.841458820694124 / a_n) as activation_high,
        (p + 3.841458820694124 / (2 * p_n)
            - 1.959963984540054 * sqrt(p * (1 - p) / p_n + 3.841458820694124 / (4 * p_n * p_n)))
            / (1 + 3.841458820694124 / p_n) as paid_low,
        (p + 3.841458820694124 / (2 * p_n)
            + 1.959963984540054 * sqrt(p * (1 - p) / p_n + 3.841458820694124 / (4 * p_n * p_n)))
            / (1 + 3.841458820694124 / p_n) as paid_high
    from previous_rates
),

-- The change of each rate since the previous run (this - previous) with Newcombe's hybrid
-- score interval from the two Wilson intervals, treating the runs as independent samples:
-- wider than needed when the later run's users include the earlier run's (a weekly append),
-- so "no detectable change" errs on the side of not claiming one.
changes as (
    select
        current_figures.activation_rate - previous_run.activation_rate as activation_rate_change,
        current_figures.activation_rate - previous_run.activation_rate
            - sqrt((current_figures.activation_rate - current_figures.activation_rate_ci_low)
                * (current_figures.activation_rate - current_figures.activation_rate_ci_low)
                + (previous_bounds.activation_high - previous_run.activation_rate)
                * (previous_bounds.activation_high - previous_run.activation_rate)) as activation_rate_change_ci_low,
        current_figures.activation_rate - previous_run.activation_rate
            + sqrt((current_figures.activation_rate_ci_high - current_figures.activation_rate)
                * (current_figures.activation_rate_ci_high - current_figures.activation_rate)
                + (previous_run.activation_rate - previous_bounds.activation_low)
                * (previous_run.activation_rate - previous_bounds.activation_low)) as activation_rate_change_ci_high,
        current_figures.paid_conversion - previous_run.paid_conversion as paid_conversion_change,
        current_figures.paid_conversion - previous_run.paid_conversion
            - sqrt((current_figures.paid_conversion - current_figures.paid_conversion_ci_low)
                * (current_figures.paid_conversion - current_figures.paid_conversion_ci_low)
                + (previous_bounds.paid_high - previous_run.paid_conversion)
                * (previous_bounds.paid_high - previous_run.paid_conversion)) as paid_conversion_change_ci_low,
        current_figures.paid_conversion - previous_run.paid_conversion
            + sqrt((current_figures.paid_conversion_ci_high - current_figures.paid_conversion)
                * (current_figures.paid_conversion_ci_high - current_figures.paid_conversion)
                + (previous_run.paid_conversion - previous_bounds.paid_low)
                * (previous_run.paid_conversion - previous_bounds.paid_low)) as paid_conversion_change_ci_high
    from current_figures
    inner join previous_run on 1 = 1
    left join previous_bounds on 1 = 1
)

select
    current_figures.as_of_date,
    cast(current_figures.north_star_week_start as date) as north_star_week_start,
    cast(current_figures.north_star as bigint) as north_star,
    cast(current_figures.north_star_target as bigint) as north_star_target,
    cast(current_figures.north_star_gap as bigint) as north_star_gap,
    cast(current_figures.north_star_mean_4_weeks as double precision) as north_star_mean_4_weeks,
    cast(current_figures.north_star_change_12_weeks as double precision) as north_star_change_12_weeks,
    current_figures.north_star_trend_12_weeks,
    cast(current_figures.north_star_population_value as double precision) as north_star_population_value,
    cast(current_figures.wau as bigint) as wau,
    cast(current_figures.avg_dau_30d as double precision) as avg_dau_30d,
    cast(current_figures.avg_wau_30d as double precision) as avg_wau_30d,
    cast(current_figures.avg_mau_30d as double precision) as avg_mau_30d,
    cast(current_figures.avg_stickiness_30d as double precision) as avg_stickiness_30d,
    cast(current_figures.stickiness_benchmark as double precision) as stickiness_benchmark,
    current_figures.meets_stickiness_benchmark,
    cast(current_figures.activation_rate as double precision) as activation_rate,
    cast(current_figures.activation_rate_n as bigint) as activation_rate_n,
    cast(current_figures.activation_rate_ci_low as double precision) as activation_rate_ci_low,
    cast(current_figures.activation_rate_ci_high as double precision) as activation_rate_ci_high,
    current_figures.activation_window_days,
    cast(current_figures.funnel_stages as bigint) as funnel_stages,
    cast(current_figures.signup_to_paid as double precision) as signup_to_paid,
    cast(current_figures.paid_conversion as double precision) as paid_conversion,
    cast(current_figures.paid_conversion_n as bigint) as paid_conversion_n,
    cast(current_figures.paid_conversion_ci_low as double precision) as paid_conversion_ci_low,
    cast(current_figures.paid_conversion_ci_high as double precision) as paid_conversion_ci_high,
    cast(current_figures.paid_at_end_rate as double precision) as paid_at_end_rate,
    current_figures.monetization_window_days,
    cast(current_figures.mrr_month as date) as mrr_month,
    cast(current_figures.mrr as double precision) as mrr,
    cast(current_figures.paying_accounts as bigint) as paying_accounts,
    cast(current_figures.arpa as double precision) as arpa,
    cast(current_figures.nrr_trailing_12 as double precision) as nrr_trailing_12,
    cast(current_figures.grr_trailing_12 as double precision) as grr_trailing_12,
    cast(current_figures.nrr_trailing_12_accounts as bigint) as nrr_trailing_12_accounts,
    cast(current_figures.first_year_nrr_pooled as double precision) as first_year_nrr_pooled,
    cast(current_figures.first_year_grr_pooled as double precision) as first_year_grr_pooled,
    previous_run.as_of_date as previous_as_of_date,
    previous_run.north_star as previous_north_star,
    previous_run.activation_rate as previous_activation_rate,
    previous_run.paid_conversion as previous_paid_conversion,
    previous_run.mrr as previous_mrr,
    previous_run.paying_accounts as previous_paying_accounts,
    cast(current_figures.north_star - previous_run.north_star as bigint) as north_star_change,
    cast(changes.activation_rate_change as double precision) as activation_rate_change,
    cast(changes.paid_conversion_change as double precision) as paid_conversion_change,
    cast(current_figures.mrr - previous_run.mrr as double precision) as mrr_change,
    cast(current_figures.paying_accounts - previous_run.paying_accounts as bigint) as paying_accounts_change,
    previous_run.activation_rate_n as previous_activation_rate_n,
    previous_run.paid_conversion_n as previous_paid_conversion_n,
    cast(changes.activation_rate_change_ci_low as double precision) as activation_rate_change_ci_low,
    cast(changes.activation_rate_change_ci_high as double precision) as activation_rate_change_ci_high,
    changes.activation_rate_change_ci_low > 0 or changes.activation_rate_change_ci_high < 0 as has_detectable_activation_change,
    cast(changes.paid_conversion_change_ci_low as double precision) as paid_conversion_change_ci_low,
    cast(changes.paid_conversion_change_ci_high as double precision) as paid_conversion_change_ci_high,
    changes.paid_conversion_change_ci_low > 0 or changes.paid_conversion_change_ci_high < 0 as has_detectable_paid_conversion_change
from current_figures
left join previous_run on 1 = 1
left join changes on 1 = 1
