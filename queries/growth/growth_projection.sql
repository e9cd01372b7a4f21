-- name: growth_projection
-- version: 5
-- depends: growth_baseline, growth_levers, growth_scenarios
-- grain: one row per projected month 1..projection_months
-- description: projection of paying accounts and MRR, population scale, baseline vs with the top 3 ranked levers that can be valued: signups at the measured run rate growing by the measured month-over-month trend; new paying accounts = signups x paid rate x accounts per paying user, arriving by the measured payment lag (signups of the months before month 1 included); each lever adds its extra payers per signup (P50, and P10 / P90 for the band) ramping linearly over its ramp_months by signup month; accounts churn at the measured monthly logo churn from the month after they arrive; MRR: the latest month's MRR and each month's new accounts at the ARPA of new accounts, decaying at the measured net MRR churn (churned + contraction - expansion) from the month after; cumulative extra revenue at P10 / P50 / P90 (levers assumed to move together, so the band is wide)
with params as (
    select * from config.params
),

baseline as (
    select
        max(case when measure = 'signups_run_rate_monthly' then value end) as signups_monthly,
        coalesce(max(case when measure = 'signups_trend_monthly' then value end), 0) as trend,
        max(case when measure = 'paid_within_window' then value end) as paid_rate,
        max(case when measure = 'accounts_per_paying_user' then value end) as accounts_per_payer,
        max(case when measure = 'new_account_arpa' then value end) as new_arpa,
        max(case when measure = 'logo_churn_monthly' then value end) as churn,
        max(case when measure = 'net_mrr_churn_monthly' then value end) as mrr_churn,
        max(case when measure = 'paying_accounts_latest' then value end) as starting_accounts,
        max(case when measure = 'mrr_latest' then value end) as starting_mrr
    from analytics.growth_baseline
),

payment_lag as (
    select month_number as lag_months, value as share
    from analytics.growth_baseline
    where measure = 'payment_month_share'
),

top_levers as (
    select
        growth_levers.lever_id,
        growth_levers.lever_name,
        growth_levers.lever_rank,
        config_levers.ramp_months,
        max(case when scenarios.scenario = 'p10' then scenarios.extra_paid_per_signup end) as extra_p10,
        max(case when scenarios.scenario = 'p50' then scenarios.extra_paid_per_signup end) as extra_p50,
        max(case when scenarios.scenario = 'p90' then scenarios.extra_paid_per_signup end) as extra_p90
    from analytics.growth_levers as growth_levers
    inner join config.growth_levers as config_levers
        on config_levers.lever_id = growth_levers.lever_id
    inner join analytics.growth_scenarios as scenarios
        on scenarios.lever_id = growth_levers.lever_id
    where growth_levers.lever_rank <= 3
        and growth_levers.status_reason is null
    group by growth_levers.lever_id, growth_levers.lever_name, growth_levers.lever_rank, config_levers.ramp_months
),

-- the names in rank order (a bounded concatenation: at most 3 levers)
lever_names as (
    select
        concat_ws(
            ' + ',
            max(case when position = 1 then lever_name end),
            max(case when position = 2 then lever_name end),
            max(case when position = 3 then lever_name end)
        ) as levers
    from (
        select lever_name, row_number() over (order by lever_rank) as position from top_levers
    ) as ordered
),

months as (
    select cast(numbers.n as integer) as month_number
    from params
    inner join config.numbers as numbers
        on numbers.n between 1 and params.projection_months
),

-- new accounts arriving in month t from signup month s = t - lag (s <= 0: signups before month 1)
arrivals as (
    select
        months.month_number,
        baseline.signups_monthly * power(1 + baseline.trend, months.month_number - payment_lag.lag_months)
            * payment_lag.share * baseline.accounts_per_payer as accounts_per_extra_paid,
        months.month_number - payment_lag.lag_months as signup_month
    from months
    cross join payment_lag
    cross join baseline
),

arrivals_by_month as (
    select
        arrivals.month_number,
        sum(arrivals.accounts_per_extra_paid) * max(baseline.paid_rate) as new_accounts_baseline,
        coalesce(sum(arrivals.accounts_per_extra_paid * lifts.extra_p10), 0) as extra_new_p10,
        coalesce(sum(arrivals.accounts_per_extra_paid * lifts.extra_p50), 0) as extra_new_p50,
        coalesce(sum(arrivals.accounts_per_extra_paid * lifts.extra_p90), 0) as extra_new_p90
    from arrivals
    cross join baseline
    left join (
        -- the levers' extra payers per signup of signup month s, each ramped by s / ramp_months
        select
            cohorts.signup_month,
            sum(top_levers.extra_p10 * least(cast(cohorts.signup_month as double precision) / greatest(top_levers.ramp_months, 1), 1.0)) as extra_p10,
            sum(top_levers.extra_p50 * least(cast(cohorts.signup_month as double precision) / greatest(top_levers.ramp_months, 1), 1.0)) as extra_p50,
            sum(top_levers.extra_p90 * least(cast(cohorts.signup_month as double precision) / greatest(top_levers.ramp_months, 1), 1.0)) as extra_p90
        from (select distinct signup_month from arrivals where signup_month >= 1) as cohorts
        cross join top_levers
        group by cohorts.signup_month
    ) as lifts
        on lifts.signup_month = arrivals.signup_month
    group by arrivals.month_number
),

-- accounts at month t: the starting stock and every month's arrivals, each surviving
-- (1 - logo churn) a month after the month it arrives in; MRR the same with the starting MRR,
-- arrivals at the new-account ARPA and (1 - net MRR churn)
stocks as (
    select
        months.month_number,
        max(baseline.starting_mrr * power(1 - baseline.mrr_churn, months.month_number)) + sum(
            arrived.new_accounts_baseline * baseline.new_arpa
                * power(1 - baseline.mrr_churn, months.month_number - arrived.month_number)
        ) as mrr_baseline,
        sum(arrived.extra_new_p10 * baseline.new_arpa
            * power(1 - baseline.mrr_churn, months.month_number - arrived.month_number)) as extra_mrr_p10,
        sum(arrived.extra_new_p50 * baseline.new_arpa
            * power(1 - baseline.mrr_churn, months.month_number - arrived.month_number)) as extra_mrr_p50,
        sum(arrived.extra_new_p90 * baseline.new_arpa
            * power(1 - baseline.mrr_churn, months.month_number - arrived.month_number)) as extra_mrr_p90,
        max(baseline.starting_accounts * power(1 - baseline.churn, months.month_number)) + sum(
            arrived.new_accounts_baseline * power(1 - baseline.churn, months.month_number - arrived.month_number)
        ) as accounts_baseline,
        sum(arrived.extra_new_p50 * power(1 - baseline.churn, months.month_number - arrived.month_number)) as extra_accounts_p50
    from months
    cross join baseline
    inner join arrivals_by_month as arrived
        on arrived.month_number <= months.month_number
    group by months.month_number
),

final as (
    select
        months.month_number,
        lever_names.levers,
        cast(baseline.signups_monthly * power(1 + baseline.trend, months.month_number) as double precision) as signups,
        cast(arrivals_by_month.new_accounts_baseline as double precision) as new_accounts_baseline,
        cast(arrivals_by_month.new_accounts_baseline + arrivals_by_month.extra_new_p50 as double precision)
            as new_accounts_with_levers,
        cast(stocks.accounts_baseline as double precision) as paying_accounts_baseline,
        cast(stocks.accounts_baseline + stocks.extra_accounts_p50 as double precision) as paying_accounts_with_levers,
        cast(stocks.mrr_baseline as double precision) as mrr_baseline,
        cast(stocks.mrr_baseline + stocks.extra_mrr_p50 as double precision) as mrr_with_levers,
        cast(stocks.extra_mrr_p50 as double precision) as extra_mrr,
        cast(sum(stocks.extra_mrr_p10) over (
            order by months.month_number rows between unbounded preceding and current row
        ) as double precision) as cumulative_extra_revenue_p10,
        cast(sum(stocks.extra_mrr_p50) over (
            order by months.month_number rows between unbounded preceding and current row
        ) as double precision) as cumulative_extra_revenue_p50,
        cast(sum(stocks.extra_mrr_p90) over (
            order by months.month_number rows between unbounded preceding and current row
        ) as double precision) as cumulative_extra_revenue_p90
    from months
    cross join baseline
    cross join lever_names
    left join arrivals_by_month
        on arrivals_by_month.month_number = months.month_number
    left join stocks
        on stocks.month_number = months.month_number
)

select * from final
