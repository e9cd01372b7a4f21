-- name: growth_experiments
-- version: 3
-- depends: growth_levers, growth_baseline
-- grain: one row per lever of config.growth_levers
-- description: experiment plan per lever, in the order of the lever ranking: control rate = the stage's measured step rate, treatment rate = the rate the expected lift implies (odds model, ceiling applied), users per arm for a two-sided test of two proportions at alpha 0.05 and power 0.8, weekly traffic into the stage at population scale (signups a week reaching the previous stage; visits for signup) the weeks of that traffic both arms need to enroll (weeks_to_enroll), the weeks the last enrolled user needs to reach the end of the stage's outcome window (weeks_to_observe: signup 0 days, activation activation_window_days, engagement engagement_window_days, habit (habit_window_weeks + 1) x 7 days, collaboration collaboration_window_days, monetization monetization_window_days, from signup) and their sum (weeks_needed)
with baseline as (
    select
        max(case when measure = 'signups_run_rate_monthly' then value end) as signups_monthly,
        max(case when measure = 'funnel_cohort_signups' then value end) as cohort_users
    from analytics.growth_baseline
),

step_rates as (
    select stage_order, n as at_risk
    from analytics.growth_baseline
    where measure = 'step_rate'
),

plans as (
    select
        growth_levers.lever_id,
        growth_levers.lever_name,
        growth_levers.target_stage,
        growth_levers.lever_rank,
        growth_levers.measured_rate as control_rate,
        -- the expected lift in odds, capped at the ceiling like the lever value
        case when growth_levers.status_reason is null then greatest(
            growth_levers.measured_rate,
            least(
                growth_levers.measured_rate * (1 + config_levers.expected_lift)
                    / (1 + growth_levers.measured_rate * config_levers.expected_lift),
                coalesce(growth_levers.ceiling, 1.0)
            )
        ) end as treatment_rate,
        -- users entering the stage's test a week: signups reaching the previous stage
        -- (visits for the signup step), population scale; 12 / 52 months a week
        case
            when growth_levers.stage_order = 2
                then baseline.signups_monthly / nullif(growth_levers.measured_rate, 0) * 12 / 52
            else baseline.signups_monthly * cast(step_rates.at_risk as double precision)
                / nullif(baseline.cohort_users, 0) * 12 / 52
        end as weekly_traffic,
        -- days from signup until the stage's outcome is known (its window); the signup step is
        -- known on the visit itself
        case growth_levers.target_stage
            when 'signup' then 0
            when 'activation' then params.activation_window_days
            when 'engagement' then params.engagement_window_days
            when 'habit' then (params.habit_window_weeks + 1) * 7
            when 'collaboration' then params.collaboration_window_days
            when 'monetization' then params.monetization_window_days
        end as outcome_window_days,
        growth_levers.status_reason
    from analytics.growth_levers as growth_levers
    inner join config.growth_levers as config_levers
        on config_levers.lever_id = growth_levers.lever_id
    cross join baseline
    cross join config.params as params
    left join step_rates
        on step_rates.stage_order = growth_levers.stage_order
),

-- n per arm = (z_a sqrt(2 pbar (1 - pbar)) + z_b sqrt(p1 (1 - p1) + p2 (1 - p2)))^2 / (p2 - p1)^2,
-- z_a = 1.959963984540054 (two-sided 0.05), z_b = 0.8416212335729143 (power 0.8)
sized as (
    select
        plans.*,
        case when plans.treatment_rate > plans.control_rate then
            power(
                cast(1.959963984540054 as double precision) * sqrt(
                    2 * ((plans.control_rate + plans.treatment_rate) / 2)
                    * (1 - (plans.control_rate + plans.treatment_rate) / 2)
                )
                + cast(0.8416212335729143 as double precision) * sqrt(
                    plans.control_rate * (1 - plans.control_rate)
                    + plans.treatment_rate * (1 - plans.treatment_rate)
                ),
                2
            ) / power(plans.treatment_rate - plans.control_rate, 2)
        end as exact_users_per_arm
    from plans
),

final as (
    select
        lever_id,
        lever_name,
        target_stage,
        lever_rank,
        cast(control_rate as double precision) as control_rate,
        cast(treatment_rate as double precision) as treatment_rate,
        cast(treatment_rate - control_rate as double precision) as minimum_detectable_difference,
        cast(ceil(exact_users_per_arm) as bigint) as users_per_arm,
        cast(weekly_traffic as double precision) as weekly_traffic,
        cast(2 * ceil(exact_users_per_arm) / nullif(weekly_traffic, 0) as double precision) as weeks_to_enroll,
        cast(outcome_window_days as integer) as outcome_window_days,
        cast(outcome_window_days as double precision) / 7 as weeks_to_observe,
        cast(
            2 * ceil(exact_users_per_arm) / nullif(weekly_traffic, 0) + cast(outcome_window_days as double precision) / 7
            as double precision
        ) as weeks_needed,
        case
            when status_reason is not null then status_reason
            when treatment_rate <= control_rate
                then 'the ceiling leaves no room for the expected lift: nothing to test'
        end as status_reason
    from sized
)

select * from final
