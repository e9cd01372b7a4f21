-- name: growth_sensitivity
-- version: 5
-- depends: growth_scenarios
-- grain: one row per lever of config.growth_levers and assumption (lift, arpa, churn, trend, ramp, ceiling)
-- description: tornado of each lever's P50 first-12-month revenue (population scale): the value when one assumption moves one notch down and up (lift: low / high lift; arpa: the 95% bounds of the new-account ARPA; churn: the 95% bounds of the net MRR churn; trend: the 95% bounds of the signup trend; ramp: 3 / 9 months; ceiling: off, its other side the P50 value), the P50 value and the swing (high - low); NULL with the lever's reason when it cannot be valued
with scenarios as (
    select * from analytics.growth_scenarios
),

base as (
    select lever_id, first_12_month_revenue as base_value
    from scenarios
    where scenario = 'p50'
),

notches as (
    select
        scenarios.lever_id,
        max(scenarios.lever_name) as lever_name,
        max(scenarios.target_stage) as target_stage,
        scenarios.assumption,
        min(scenarios.scenario_order) as assumption_order,
        max(case when scenarios.scenario in ('lift_low', 'arpa_low', 'churn_high', 'trend_low', 'ramp_9')
            then scenarios.first_12_month_revenue end) as pessimistic_value,
        max(case when scenarios.scenario in ('lift_high', 'arpa_high', 'churn_low', 'trend_high', 'ramp_3', 'ceiling_off')
            then scenarios.first_12_month_revenue end) as optimistic_value,
        max(scenarios.status_reason) as status_reason
    from scenarios
    where scenarios.assumption <> 'lift'
        or scenarios.scenario in ('lift_low', 'lift_high')
    group by scenarios.lever_id, scenarios.assumption
),

-- a notch that leaves the value unchanged up to floating-point summation order (the ceiling
-- of a stage it does not bind) is the P50 value itself, so the swing is exactly 0 on every engine
snapped as (
    select
        notches.lever_id,
        notches.lever_name,
        notches.target_stage,
        notches.assumption,
        notches.assumption_order,
        notches.status_reason,
        case
            when abs(notches.pessimistic_value - base.base_value) <= 1e-12 * abs(base.base_value)
                then base.base_value
            else notches.pessimistic_value
        end as pessimistic_value,
        case
            when abs(notches.optimistic_value - base.base_value) <= 1e-12 * abs(base.base_value)
                then base.base_value
            else notches.optimistic_value
        end as optimistic_value
    from notches
    inner join base
        on base.lever_id = notches.lever_id
),

final as (
    select
        notches.lever_id,
        notches.lever_name,
        notches.target_stage,
        notches.assumption,
        cast(notches.assumption_order as integer) as assumption_order,
        cast(base.base_value as double precision) as base_value,
        -- ceiling has one notch (off): the other side is the P50 value
        cast(least(coalesce(notches.pessimistic_value, base.base_value), notches.optimistic_value) as double precision)
            as low_value,
        cast(greatest(coalesce(notches.pessimistic_value, base.base_value), notches.optimistic_value) as double precision)
            as high_value,
        cast(
            greatest(coalesce(notches.pessimistic_value, base.base_value), notches.optimistic_value)
            - least(coalesce(notches.pessimistic_value, base.base_value), notches.optimistic_value)
            as double precision
        ) as swing,
        notches.status_reason
    from snapped as notches
    inner join base
        on base.lever_id = notches.lever_id
)

select * from final
