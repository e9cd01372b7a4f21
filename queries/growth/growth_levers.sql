-- name: growth_levers
-- version: 4
-- depends: growth_scenarios, growth_baseline
-- grain: one row per lever of config.growth_levers
-- description: each lever's value as a range, population scale, observational uplift (an upper bound of the causal effect): its stage's measured step rate with its 95% Wilson interval and ceiling, the lift at P10 / P50 / P90 of the triangular (low, expected, high) distribution and the rates it implies (odds model) and the P50 change in percentage points, extra paying accounts a month at full lift, first-12-month revenue and steady-state annual run rate at P10 / P50 / P90, cost, ROI over the first 12 months at P10 / P50 / P90, payback months at P50; score = P50 first-12-month revenue x confidence, rank, and is_investable (ROI at P10 at least 0); value_basis (observational_uplift or assumed_average_paid_rate, from growth_scenarios)
with scenarios as (
    select * from analytics.growth_scenarios
    where scenario in ('p10', 'p50', 'p90')
),

rate_intervals as (
    select stage_order, n as measured_rate_n, value_ci_low, value_ci_high
    from analytics.growth_baseline
    where measure = 'step_rate'
),

pivoted as (
    select
        lever_id,
        max(lever_name) as lever_name,
        max(target_stage) as target_stage,
        max(stage_order) as stage_order,
        max(measured_rate) as measured_rate,
        max(ceiling) as ceiling,
        max(case when scenario = 'p10' then lift end) as lift_p10,
        max(case when scenario = 'p50' then lift end) as lift_p50,
        max(case when scenario = 'p90' then lift end) as lift_p90,
        max(case when scenario = 'p10' then lifted_rate end) as lifted_rate_p10,
        max(case when scenario = 'p50' then lifted_rate end) as lifted_rate_p50,
        max(case when scenario = 'p90' then lifted_rate end) as lifted_rate_p90,
        max(case when scenario = 'p50' then extra_paid_per_signup end) as extra_paid_per_signup_p50,
        max(case when scenario = 'p10' then extra_accounts_monthly end) as extra_accounts_monthly_p10,
        max(case when scenario = 'p50' then extra_accounts_monthly end) as extra_accounts_monthly_p50,
        max(case when scenario = 'p90' then extra_accounts_monthly end) as extra_accounts_monthly_p90,
        max(case when scenario = 'p10' then first_12_month_revenue end) as first_12_month_revenue_p10,
        max(case when scenario = 'p50' then first_12_month_revenue end) as first_12_month_revenue_p50,
        max(case when scenario = 'p90' then first_12_month_revenue end) as first_12_month_revenue_p90,
        max(case when scenario = 'p10' then steady_state_annual_run_rate end) as steady_state_annual_run_rate_p10,
        max(case when scenario = 'p50' then steady_state_annual_run_rate end) as steady_state_annual_run_rate_p50,
        max(case when scenario = 'p90' then steady_state_annual_run_rate end) as steady_state_annual_run_rate_p90,
        max(cost) as cost,
        max(case when scenario = 'p10' then roi_12_months end) as roi_12_months_p10,
        max(case when scenario = 'p50' then roi_12_months end) as roi_12_months_p50,
        max(case when scenario = 'p90' then roi_12_months end) as roi_12_months_p90,
        max(case when scenario = 'p50' then payback_months end) as payback_months_p50,
        max(value_basis) as value_basis,
        max(status_reason) as status_reason
    from scenarios
    group by lever_id
),

final as (
    select
        pivoted.lever_id,
        pivoted.lever_name,
        pivoted.target_stage,
        pivoted.stage_order,
        cast(pivoted.measured_rate as double precision) as measured_rate,
        cast(rate_intervals.measured_rate_n as bigint) as measured_rate_n,
        cast(rate_intervals.value_ci_low as double precision) as measured_rate_ci_low,
        cast(rate_intervals.value_ci_high as double precision) as measured_rate_ci_high,
        cast(pivoted.ceiling as double precision) as ceiling,
        cast(pivoted.lift_p10 as double precision) as lift_p10,
        cast(pivoted.lift_p50 as double precision) as lift_p50,
        cast(pivoted.lift_p90 as double precision) as lift_p90,
        cast(pivoted.lifted_rate_p10 as double precision) as lifted_rate_p10,
        cast(pivoted.lifted_rate_p50 as double precision) as lifted_rate_p50,
        cast(pivoted.lifted_rate_p90 as double precision) as lifted_rate_p90,
        cast(100 * (pivoted.lifted_rate_p50 - pivoted.measured_rate) as double precision) as rate_change_points_p50,
        cast(pivoted.extra_paid_per_signup_p50 as double precision) as extra_paid_per_signup_p50,
        cast(pivoted.extra_accounts_monthly_p10 as double precision) as extra_accounts_monthly_p10,
        cast(pivoted.extra_accounts_monthly_p50 as double precision) as extra_accounts_monthly_p50,
        cast(pivoted.extra_accounts_monthly_p90 as double precision) as extra_accounts_monthly_p90,
        cast(pivoted.first_12_month_revenue_p10 as double precision) as first_12_month_revenue_p10,
        cast(pivoted.first_12_month_revenue_p50 as double precision) as first_12_month_revenue_p50,
        cast(pivoted.first_12_month_revenue_p90 as double precision) as first_12_month_revenue_p90,
        cast(pivoted.steady_state_annual_run_rate_p10 as double precision) as steady_state_annual_run_rate_p10,
        cast(pivoted.steady_state_annual_run_rate_p50 as double precision) as steady_state_annual_run_rate_p50,
        cast(pivoted.steady_state_annual_run_rate_p90 as double precision) as steady_state_annual_run_rate_p90,
        cast(pivoted.cost as double precision) as cost,
        cast(pivoted.roi_12_months_p10 as double precision) as roi_12_months_p10,
        cast(pivoted.roi_12_months_p50 as double precision) as roi_12_months_p50,
        cast(pivoted.roi_12_months_p90 as double precision) as roi_12_months_p90,
        cast(pivoted.payback_months_p50 as integer) as payback_months_p50,
        cast(config_levers.confidence as double precision) as confidence,
        cast(pivoted.first_12_month_revenue_p50 * config_levers.confidence as double precision) as score,
        cast(row_number() over (
            order by pivoted.first_12_month_revenue_p50 * config_levers.confidence desc nulls last, pivoted.lever_id
        ) as integer) as lever_rank,
        coalesce(pivoted.roi_12_months_p10 >= 0, false) as is_investable,
        pivoted.value_basis,
        pivoted.status_reason
    from pivoted
    inner join config.growth_levers as config_levers
        on config_levers.lever_id = pivoted.lever_id
    left join rate_intervals
        on rate_intervals.stage_order = pivoted.stage_order
)

select * from final
