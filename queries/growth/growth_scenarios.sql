-- name: growth_scenarios
-- version: 5
-- depends: growth_baseline
-- grain: one row per lever of config.growth_levers and scenario (p10, p50, p90 of the lift; lift_low, lift_high, arpa_low, arpa_high, churn_low, churn_high, trend_low, trend_high (the 95% bounds of the measured new-account ARPA, net MRR churn and signup trend), ramp_3, ramp_9, ceiling_off at the p50 lift)
-- description: value of each lever under each scenario, population scale: the lift moves the stage's step rate in odds (rate' = r (1 + lift) / (1 + r lift)), capped at the stage's ceiling (best segment's or channel's rate); extra payers per signup = share reaching the previous stage x rate change x (P(paid | reached) - P(paid | missed)), or for signup the extra signups x paid rate; extra paying accounts = extra payers x accounts per paying user, signups at the run rate growing by the measured month-over-month trend, arriving by the measured payment lag, the lift ramping over ramp_months; each arriving account valued at the ARPA of new accounts, its MRR decaying at the measured net MRR churn (churned + contraction - expansion); first-12-month revenue and, separately, the steady-state annual run rate (NULL when the net MRR churn is not positive); gross profit, cost (engineering weeks x cost per week), ROI and payback months; value_basis: observational_uplift (a product stage: P(paid | reached) - P(paid | missed), an upper bound of the causal effect) or assumed_average_paid_rate (the signup step: extra signups assumed to pay at the average paid rate)
with params as (
    select * from config.params
),

baseline as (
    select
        max(case when measure = 'signups_run_rate_monthly' then value end) as signups_monthly,
        max(case when measure = 'funnel_cohort_signups' then value end) as cohort_users,
        max(case when measure = 'paid_within_window' then value end) as paid_rate,
        max(case when measure = 'new_account_arpa' then value end) as arpa,
        max(case when measure = 'new_account_arpa' then value_ci_low end) as arpa_low,
        max(case when measure = 'new_account_arpa' then value_ci_high end) as arpa_high,
        max(case when measure = 'accounts_per_paying_user' then value end) as accounts_per_payer,
        max(case when measure = 'net_mrr_churn_monthly' then value end) as churn,
        max(case when measure = 'net_mrr_churn_monthly' then value_ci_low end) as churn_low,
        max(case when measure = 'net_mrr_churn_monthly' then value_ci_high end) as churn_high,
        coalesce(max(case when measure = 'signups_trend_monthly' then value end), 0) as trend,
        max(case when measure = 'signups_trend_monthly' then value_ci_low end) as trend_low,
        max(case when measure = 'signups_trend_monthly' then value_ci_high end) as trend_high
    from analytics.growth_baseline
),

stage_inputs as (
    select
        stage_order,
        max(stage_name) as stage_name,
        max(case when measure = 'step_rate' then value end) as step_rate,
        max(case when measure = 'step_rate' then n end) as at_risk,
        max(case when measure = 'step_rate_ceiling' then value end) as ceiling,
        max(case when measure = 'paid_if_reached' then value end) as paid_if_reached,
        coalesce(max(case when measure = 'paid_if_missed' then value end), 0) as paid_if_missed
    from analytics.growth_baseline
    where stage_order is not null
    group by stage_order
),

payment_lag as (
    select month_number, value as share
    from analytics.growth_baseline
    where measure = 'payment_month_share'
),

scenarios as (
    select *
    from (
        values
            ('p10', 1, 'lift', 'p10', 'mid', 'mid', 'mid', cast(null as integer), true),
            ('p50', 2, 'lift', 'p50', 'mid', 'mid', 'mid', null, true),
            ('p90', 3, 'lift', 'p90', 'mid', 'mid', 'mid', null, true),
            ('lift_low', 4, 'lift', 'low', 'mid', 'mid', 'mid', null, true),
            ('lift_high', 5, 'lift', 'high', 'mid', 'mid', 'mid', null, true),
            ('arpa_low', 6, 'arpa', 'p50', 'low', 'mid', 'mid', null, true),
            ('arpa_high', 7, 'arpa', 'p50', 'high', 'mid', 'mid', null, true),
            ('churn_low', 8, 'churn', 'p50', 'mid', 'low', 'mid', null, true),
            ('churn_high', 9, 'churn', 'p50', 'mid', 'high', 'mid', null, true),
            ('trend_low', 10, 'trend', 'p50', 'mid', 'mid', 'low', null, true),
            ('trend_high', 11, 'trend', 'p50', 'mid', 'mid', 'high', null, true),
            ('ramp_3', 12, 'ramp', 'p50', 'mid', 'mid', 'mid', 3, true),
            ('ramp_9', 13, 'ramp', 'p50', 'mid', 'mid', 'mid', 9, true),
            ('ceiling_off', 14, 'ceiling', 'p50', 'mid', 'mid', 'mid', null, false)
    ) as scenario_values (
        scenario, scenario_order, assumption, lift_choice, arpa_choice, churn_choice, trend_choice, ramp_override,
        ceiling_on
    )
),

levers as (
    select
        growth_levers.lever_id,
        growth_levers.lever_name,
        growth_levers.target_stage,
        stage_inputs.stage_order,
        stage_inputs.step_rate as measured_rate,
        stage_inputs.ceiling,
        -- share of signups at risk of the stage (reached the previous one); 1 for signup
        case
            when stage_inputs.stage_order = 2 then cast(1 as double precision)
            else cast(stage_inputs.at_risk as double precision) / nullif(baseline.cohort_users, 0)
        end as at_risk_share,
        -- paid within the window gained per user moved across the stage
        case
            when stage_inputs.stage_order = 2 then baseline.paid_rate
            else stage_inputs.paid_if_reached - stage_inputs.paid_if_missed
        end as uplift_per_user,
        cast(growth_levers.low_lift as double precision) as low_lift,
        cast(growth_levers.expected_lift as double precision) as expected_lift,
        cast(growth_levers.high_lift as double precision) as high_lift,
        growth_levers.ramp_months,
        cast(growth_levers.cost_weeks * growth_levers.cost_per_week as double precision) as cost,
        cast(growth_levers.gross_margin as double precision) as gross_margin,
        baseline.signups_monthly,
        baseline.arpa,
        baseline.arpa_low,
        baseline.arpa_high,
        baseline.accounts_per_payer,
        baseline.churn,
        baseline.churn_low,
        baseline.churn_high,
        baseline.trend,
        baseline.trend_low,
        baseline.trend_high,
        case
            when stage_inputs.stage_order is null or stage_inputs.stage_order < 2
                then 'target stage ' || growth_levers.target_stage || ' has no step rate to lift'
            when not (growth_levers.low_lift <= growth_levers.expected_lift
                and growth_levers.expected_lift <= growth_levers.high_lift)
                then 'lifts are not ordered low <= expected <= high'
            when stage_inputs.step_rate is null
                then 'no user reached the stage before ' || growth_levers.target_stage
            when stage_inputs.step_rate = 0
                then 'no user reached ' || growth_levers.target_stage || ': a lift in odds of a zero rate is zero'
            when stage_inputs.step_rate = 1
                then 'stage rate is already 100%: nothing to lift'
            when baseline.signups_monthly is null
                then 'the period has no 3 complete months of signups: no run rate'
            when coalesce(baseline.paid_rate, 0) = 0
                then 'no user of the funnel cohort paid within the monetization window'
            when baseline.arpa is null
                then 'no new paying account in the trailing 3 complete months: no new-account ARPA'
            when baseline.churn is null
                then 'no paying account at a month start in the trailing 3 complete months: no net MRR churn'
            -- observational uplift of zero or less: moving users across the stage shows no gain
            when stage_inputs.stage_order > 2 and stage_inputs.paid_if_reached <= stage_inputs.paid_if_missed
                then 'users who reach ' || growth_levers.target_stage
                    || ' pay within the window no more often than those who miss it: no measured uplift'
        end as status_reason
    from config.growth_levers as growth_levers
    cross join baseline
    left join stage_inputs
        on stage_inputs.stage_name = growth_levers.target_stage
),

-- the lift of each scenario: p10 / p50 / p90 of the triangular (low, expected, high)
-- distribution in closed form, F(expected) = (expected - low) / (high - low):
-- L(p) = low + sqrt(p (high - low) (expected - low)) for p <= F, else high - sqrt((1 - p) (high - low) (high - expected))
lifted as (
    select
        levers.*,
        scenarios.scenario,
        scenarios.scenario_order,
        scenarios.assumption,
        -- a bound the baseline could not measure (too few accounts or signups) stays at the value
        case scenarios.arpa_choice
            when 'low' then coalesce(levers.arpa_low, levers.arpa)
            when 'high' then coalesce(levers.arpa_high, levers.arpa)
            else levers.arpa
        end as scenario_arpa,
        case scenarios.churn_choice
            when 'low' then coalesce(levers.churn_low, levers.churn)
            when 'high' then coalesce(levers.churn_high, levers.churn)
            else levers.churn
        end as scenario_churn,
        case scenarios.trend_choice
            when 'low' then coalesce(levers.trend_low, levers.trend)
            when 'high' then coalesce(levers.trend_high, levers.trend)
            else levers.trend
        end as scenario_trend,
        scenarios.ceiling_on,
        coalesce(scenarios.ramp_override, levers.ramp_months) as scenario_ramp_months,
        case
            when scenarios.lift_choice = 'low' then levers.low_lift
            when scenarios.lift_choice = 'high' then levers.high_lift
            when levers.high_lift = levers.low_lift then levers.expected_lift
            when quantiles.p <= (levers.expected_lift - levers.low_lift) / (levers.high_lift - levers.low_lift)
                then levers.low_lift
                    + sqrt(quantiles.p * (levers.high_lift - levers.low_lift) * (levers.expected_lift - levers.low_lift))
            else levers.high_lift
                - sqrt((1 - quantiles.p) * (levers.high_lift - levers.low_lift) * (levers.high_lift - levers.expected_lift))
        end as lift
    from levers
    cross join scenarios
    left join (
        values ('p10', cast(0.1 as double precision)), ('p50', 0.5), ('p90', 0.9)
    ) as quantiles (lift_choice, p)
        on quantiles.lift_choice = scenarios.lift_choice
),

-- the stage rate moved in odds: odds' = odds x (1 + lift), i.e. rate' = r (1 + lift) / (1 + r lift),
-- then capped at the ceiling (never below the measured rate)
rates as (
    select
        lifted.*,
        case
            when lifted.status_reason is not null then cast(null as double precision)
            when lifted.ceiling_on then greatest(
                lifted.measured_rate,
                least(
                    lifted.measured_rate * (1 + lifted.lift) / (1 + lifted.measured_rate * lifted.lift),
                    coalesce(lifted.ceiling, 1.0)
                )
            )
            else lifted.measured_rate * (1 + lifted.lift) / (1 + lifted.measured_rate * lifted.lift)
        end as lifted_rate
    from lifted
),

valued as (
    select
        rates.*,
        case
            when rates.stage_order = 2 then (rates.lifted_rate / rates.measured_rate - 1) * rates.uplift_per_user
            else rates.at_risk_share * (rates.lifted_rate - rates.measured_rate) * rates.uplift_per_user
        end as extra_paid_per_signup
    from rates
),

months as (
    select cast(numbers.n as integer) as month_number
    from params
    inner join config.numbers as numbers
        on numbers.n between 1 and greatest(params.projection_months, 12)
),

-- extra MRR at month t per extra paying account a month at full lift, in units of the
-- new-account ARPA: sum over signup months s <= t and payment lags m (s + m <= t) of
-- ramp(s) x (1 + trend)^s x share(m) x (1 - net MRR churn)^(t - s - m), ramp(s) = least(s / ramp_months, 1)
unit_stock as (
    select
        valued.lever_id,
        valued.scenario,
        months.month_number,
        coalesce(sum(
            least(cast(cohorts.month_number as double precision) / greatest(valued.scenario_ramp_months, 1), 1.0)
            * power(1 + valued.scenario_trend, cohorts.month_number)
            * payment_lag.share
            * power(1 - valued.scenario_churn, months.month_number - cohorts.month_number - payment_lag.month_number)
        ), 0) as unit_accounts
    from valued
    cross join months
    inner join months as cohorts
        on cohorts.month_number <= months.month_number
    inner join payment_lag
        on cohorts.month_number + payment_lag.month_number <= months.month_number
    where valued.status_reason is null
    group by valued.lever_id, valued.scenario, months.month_number
),

monthly as (
    select
        unit_stock.lever_id,
        unit_stock.scenario,
        unit_stock.month_number,
        valued.signups_monthly * valued.extra_paid_per_signup * valued.accounts_per_payer
            * unit_stock.unit_accounts * valued.scenario_arpa as extra_mrr,
        valued.gross_margin * sum(
            valued.signups_monthly * valued.extra_paid_per_signup * valued.accounts_per_payer
                * unit_stock.unit_accounts * valued.scenario_arpa
        ) over (
            partition by unit_stock.lever_id, unit_stock.scenario
            order by unit_stock.month_number rows between unbounded preceding and current row
        ) as cumulative_gross_profit,
        valued.cost
    from unit_stock
    inner join valued
        on valued.lever_id = unit_stock.lever_id
        and valued.scenario = unit_stock.scenario
),

money as (
    select
        lever_id,
        scenario,
        sum(case when month_number <= 12 then extra_mrr end) as first_12_month_revenue,
        min(case when cumulative_gross_profit >= cost and month_number <= params.projection_months then month_number end)
            as payback_months
    from monthly
    cross join params
    group by lever_id, scenario
),

final as (
    select
        valued.lever_id,
        valued.lever_name,
        valued.target_stage,
        valued.stage_order,
        valued.scenario,
        cast(valued.scenario_order as integer) as scenario_order,
        valued.assumption,
        cast(valued.lift as double precision) as lift,
        cast(valued.measured_rate as double precision) as measured_rate,
        cast(valued.ceiling as double precision) as ceiling,
        cast(valued.lifted_rate as double precision) as lifted_rate,
        cast(valued.extra_paid_per_signup as double precision) as extra_paid_per_signup,
        cast(
            valued.signups_monthly * valued.extra_paid_per_signup * valued.accounts_per_payer as double precision
        ) as extra_accounts_monthly,
        cast(money.first_12_month_revenue as double precision) as first_12_month_revenue,
        -- the arrivals of a month at the run rate (no trend) over the net MRR churn; none without decay
        cast(case when valued.scenario_churn > 0 then
            12 * valued.signups_monthly * valued.extra_paid_per_signup * valued.accounts_per_payer
                * valued.scenario_arpa / valued.scenario_churn
        end as double precision) as steady_state_annual_run_rate,
        cast(money.first_12_month_revenue * valued.gross_margin as double precision) as first_12_month_gross_profit,
        valued.cost,
        cast(
            (money.first_12_month_revenue * valued.gross_margin - valued.cost) / nullif(valued.cost, 0)
            as double precision
        ) as roi_12_months,
        cast(money.payback_months as integer) as payback_months,
        case
            when valued.stage_order = 2 then 'assumed_average_paid_rate'
            when valued.stage_order > 2 then 'observational_uplift'
        end as value_basis,
        valued.status_reason
    from valued
    left join money
        on money.lever_id = valued.lever_id
        and money.scenario = valued.scenario
)

select * from final
