-- name: check_rates_in_range
-- version: 5
-- depends: north_star_weekly, funnel_stages, funnel_by_dimension, cohort_retention, monthly_retention, day_n_retention, activation_speed_retention, dau_mau, activation_summary, paid_conversion, feature_adoption, growth_levers, growth_experiments, growth_baseline, trials
-- grain: one row per rate value outside [0, 1]
-- description: every rate (conversions, retention, stickiness, activation, adoption, trial conversion, lifted rates) lies in [0, 1]
with rates as (
    select
        'funnel_stages.step_conversion' as rate_name,
        cast(stage_order as varchar) as row_key,
        step_conversion as rate
    from analytics.funnel_stages
    union all
    select 'funnel_stages.overall_conversion', cast(stage_order as varchar), overall_conversion
    from analytics.funnel_stages
    union all
    select 'funnel_by_dimension.step_conversion',
        dimension || ':' || dimension_value || ':' || cast(stage_order as varchar), step_conversion
    from analytics.funnel_by_dimension
    union all
    select 'cohort_retention.retention_rate',
        cast(cohort_month as varchar) || ':' || cast(months_since_signup as varchar), retention_rate
    from analytics.cohort_retention
    union all
    select 'monthly_retention.retention_rate', cast(months_since_signup as varchar), retention_rate
    from analytics.monthly_retention
    union all
    select 'day_n_retention.on_day_rate', cast(day_number as varchar), on_day_rate
    from analytics.day_n_retention
    union all
    select 'day_n_retention.on_or_after_rate', cast(day_number as varchar), on_or_after_rate
    from analytics.day_n_retention
    union all
    select 'day_n_retention.in_window_rate', cast(day_number as varchar), in_window_rate
    from analytics.day_n_retention
    union all
    select 'north_star_weekly.wacw_share', cast(week_start as varchar), wacw_share
    from analytics.north_star_weekly
    union all
    select 'activation_speed_retention.month1_retention', activation_speed, month1_retention
    from analytics.activation_speed_retention
    union all
    select 'dau_mau.stickiness', cast(activity_date as varchar), stickiness
    from analytics.dau_mau
    union all
    select 'dau_mau.dau_wau', cast(activity_date as varchar), dau_wau
    from analytics.dau_mau
    union all
    select 'activation_summary.activation_rate', dimension || ':' || dimension_value, activation_rate
    from analytics.activation_summary
    union all
    select 'paid_conversion.paid_conversion', dimension || ':' || dimension_value, paid_conversion
    from analytics.paid_conversion
    union all
    select 'paid_conversion.paid_at_end_rate', dimension || ':' || dimension_value, paid_at_end_rate
    from analytics.paid_conversion
    union all
    select 'feature_adoption.adoption_rate', feature || ':' || segment, adoption_rate
    from analytics.feature_adoption
    union all
    select 'feature_adoption.adoption_rate_30d', feature || ':' || segment, adoption_rate_30d
    from analytics.feature_adoption
    union all
    select 'growth_levers.lifted_rate_p90', lever_name, lifted_rate_p90
    from analytics.growth_levers
    union all
    select 'growth_experiments.treatment_rate', lever_name, treatment_rate
    from analytics.growth_experiments
    union all
    select 'growth_baseline.' || measure, coalesce(stage_name, cast(month_number as varchar), 'all'), value
    from analytics.growth_baseline
    where measure in (
        'paid_within_window', 'reach_rate', 'strict_rate', 'step_rate', 'step_rate_ceiling',
        'paid_if_reached', 'paid_if_missed', 'payment_month_share', 'logo_churn_monthly'
    )
    union all
    select 'trials.trial_conversion', 'all', trial_conversion
    from analytics.trials
),

final as (
    select
        cast(rate_name as varchar) as rate_name,
        row_key,
        rate
    from rates
    where rate < 0 or rate > 1
)

select * from final
