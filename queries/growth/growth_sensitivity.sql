-- name: growth_sensitivity
-- version: 3
-- depends: growth_levers
-- grain: one row per lever and relative lift 0.05, 0.10, ..., 0.30
-- description: sensitivity of each lever's annual revenue (population scale) to the size of its lift, lifted rate capped at 1; NULL with the lever's reason when it cannot be valued
with params as (
    select arpu_monthly from config.params
),

lifts as (
    select cast(numbers.n as double precision) / 20 as lift
    from config.numbers as numbers
    where numbers.n between 1 and 6
),

scenarios as (
    select
        growth_levers.lever_id,
        growth_levers.lever_name,
        growth_levers.target_stage,
        lifts.lift,
        growth_levers.measured_rate,
        -- least() skips NULLs: an unmeasured rate stays NULL, not 100%
        case when growth_levers.measured_rate is not null then least(growth_levers.measured_rate * (1 + lifts.lift), 1.0) end as lifted_rate,
        growth_levers.baseline_overall_conversion,
        growth_levers.annual_signups,
        growth_levers.status_reason,
        -- levers that could be valued have lifted_overall_expected; the others stay NULL
        growth_levers.lifted_overall_expected is not null as is_valued
    from analytics.growth_levers as growth_levers
    cross join lifts
),

final as (
    select
        scenarios.lever_id,
        scenarios.lever_name,
        scenarios.target_stage,
        cast(scenarios.lift as double precision) as lift,
        cast(scenarios.lifted_rate as double precision) as lifted_rate,
        cast(
            case
                when scenarios.is_valued
                    then scenarios.annual_signups * scenarios.baseline_overall_conversion
                        * (scenarios.lifted_rate / scenarios.measured_rate - 1)
            end as double precision
        ) as extra_paying_users,
        cast(
            case
                when scenarios.is_valued
                    then scenarios.annual_signups * scenarios.baseline_overall_conversion
                        * (scenarios.lifted_rate / scenarios.measured_rate - 1) * params.arpu_monthly * 12
            end as double precision
        ) as annual_revenue,
        scenarios.status_reason
    from scenarios
    cross join params
)

select * from final
