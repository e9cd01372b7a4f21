-- name: growth_levers
-- version: 3
-- depends: funnel_stages, user_funnel
-- grain: one row per lever of config.growth_levers
-- description: ROI of each growth lever: its stage's measured step conversion, lifted rates (capped at 1) for low / expected / high lifts, lifted signup -> paid conversion, extra paying users and annual revenue at population scale, confidence-weighted score and rank
with params as (
    select * from config.params
),

stages as (
    select stage_order, stage_name, step_conversion
    from analytics.funnel_stages
),

baseline as (
    select overall_conversion as baseline_overall_conversion
    from analytics.funnel_stages
    where stage_name = 'monetization'
),

-- signups of the funnel cohort over its signup span (period_start .. as_of_date - monetization_window_days + 1),
-- annualised and scaled from the sample to the population
annual as (
    select
        cast(count(user_funnel.user_id) as double precision) * 365
            / nullif(greatest(cast((params.as_of_date - params.monetization_window_days + 1) - params.period_start as integer) + 1, 0), 0)
            * params.population_users / nullif(params.sample_users, 0) as annual_signups
    from params
    left join analytics.user_funnel as user_funnel
        on true
    group by params.as_of_date, params.monetization_window_days, params.period_start,
        params.population_users, params.sample_users
),

levers as (
    select
        growth_levers.lever_id,
        growth_levers.lever_name,
        growth_levers.target_stage,
        stages.stage_order,
        stages.step_conversion as measured_rate,
        cast(growth_levers.low_lift as double precision) as low_lift,
        cast(growth_levers.expected_lift as double precision) as expected_lift,
        cast(growth_levers.high_lift as double precision) as high_lift,
        cast(growth_levers.confidence as double precision) as confidence,
        baseline.baseline_overall_conversion,
        annual.annual_signups,
        cast(params.arpu_monthly as double precision) as arpu_monthly,
        case
            when coalesce(annual.annual_signups, 0) = 0
                then 'empty funnel cohort: no signup has an observable monetization window'
            when stages.stage_order is null or stages.stage_order < 2
                then 'target stage ' || growth_levers.target_stage || ' has no step conversion to lift'
            when stages.step_conversion is null
                then 'no users reached the stage before ' || growth_levers.target_stage
            when stages.step_conversion = 0
                then 'no users reached ' || growth_levers.target_stage || ': a relative lift of a zero rate is zero'
            when coalesce(baseline.baseline_overall_conversion, 0) = 0
                then 'no user of the funnel cohort reached monetization: no baseline conversion to lift'
        end as status_reason
    from config.growth_levers as growth_levers
    cross join baseline
    cross join annual
    cross join params
    left join stages
        on stages.stage_name = growth_levers.target_stage
),

lifted as (
    select
        levers.*,
        -- least() skips NULLs on both engines: an unmeasured rate stays NULL, not 100%
        case when measured_rate is not null then least(measured_rate * (1 + low_lift), 1.0) end as lifted_rate_low,
        case when measured_rate is not null then least(measured_rate * (1 + expected_lift), 1.0) end as lifted_rate_expected,
        case when measured_rate is not null then least(measured_rate * (1 + high_lift), 1.0) end as lifted_rate_high
    from levers
),

-- lifted signup -> paid conversion: the baseline with the lever's stage rate replaced by its lifted rate.
-- For target_stage = 'signup' this is paid users per baseline signup: the extra signups from the same
-- visits flow through the unchanged downstream rates.
converted as (
    select
        lifted.*,
        case when status_reason is null
            then baseline_overall_conversion * lifted_rate_low / measured_rate end as lifted_overall_low,
        case when status_reason is null
            then baseline_overall_conversion * lifted_rate_expected / measured_rate end as lifted_overall_expected,
        case when status_reason is null
            then baseline_overall_conversion * lifted_rate_high / measured_rate end as lifted_overall_high
    from lifted
),

valued as (
    select
        converted.*,
        annual_signups * (lifted_overall_low - baseline_overall_conversion) as extra_paying_low,
        annual_signups * (lifted_overall_expected - baseline_overall_conversion) as extra_paying_expected,
        annual_signups * (lifted_overall_high - baseline_overall_conversion) as extra_paying_high
    from converted
),

final as (
    select
        lever_id,
        lever_name,
        target_stage,
        stage_order,
        cast(measured_rate as double precision) as measured_rate,
        low_lift,
        expected_lift,
        high_lift,
        cast(lifted_rate_low as double precision) as lifted_rate_low,
        cast(lifted_rate_expected as double precision) as lifted_rate_expected,
        cast(lifted_rate_high as double precision) as lifted_rate_high,
        cast(baseline_overall_conversion as double precision) as baseline_overall_conversion,
        cast(lifted_overall_low as double precision) as lifted_overall_low,
        cast(lifted_overall_expected as double precision) as lifted_overall_expected,
        cast(lifted_overall_high as double precision) as lifted_overall_high,
        cast(annual_signups as double precision) as annual_signups,
        cast(extra_paying_low as double precision) as extra_paying_low,
        cast(extra_paying_expected as double precision) as extra_paying_expected,
        cast(extra_paying_high as double precision) as extra_paying_high,
        cast(extra_paying_low * arpu_monthly * 12 as double precision) as annual_revenue_low,
        cast(extra_paying_expected * arpu_monthly * 12 as double precision) as annual_revenue_expected,
        cast(extra_paying_high * arpu_monthly * 12 as double precision) as annual_revenue_high,
        confidence,
        cast(extra_paying_expected * arpu_monthly * 12 * confidence as double precision) as score,
        cast(row_number() over (
            order by extra_paying_expected * arpu_monthly * 12 * confidence desc nulls last, lever_id
        ) as integer) as lever_rank,
        case
            when status_reason is null and measured_rate = 1
                then 'stage rate is already 100%: nothing to lift'
            else status_reason
        end as status_reason
    from valued
)

select * from final
