-- name: growth_baseline
-- version: 6
-- depends: growth_user_stages, user_milestones, funnel_stages, funnel_by_dimension, account_metrics_monthly, account_mrr_monthly
-- grain: one row per measure (per stage for stage measures, per month after signup for payment_month_share)
-- description: measured baseline of the growth model, each value with its sample size n and, for a proportion, its 95% Wilson interval: signup run rate (trailing 3 complete months, population scale) and its month-over-month trend (95% interval from the two windows' counts as Poisson counts); per stage the share of signups reaching it within its window in any order (reach_rate) and in strict order (strict_rate), the step rate P(reach k | reached k-1), its ceiling (best segment's or channel's step rate), P(paid within the monetization window | reached k-1 and k) and | reached k-1 but not k; paid within the window; the time to first payment (share paying in 30-day month 0, 1, ... after signup; median days); ARPA, paying accounts per paying user (covered by a paid seat) and monthly logo churn (trailing 3 complete months, from account_metrics_monthly), paying accounts and MRR at the window's end (population scale); from account_mrr_monthly over the same window, the ARPA of new accounts (MRR in their first paying month, 95% normal interval of the mean) and the monthly net MRR churn (churned + contraction - expansion MRR over starting MRR, the MRR bridge of mrr_movements, 95% ratio-estimator interval)
with params as (
    select
        params.*,
        cast(params.population_users as double precision) / nullif(params.sample_users, 0) as scale,
        -- trailing window: the 3 complete calendar months before the month holding as_of_date + 1
        cast(date_trunc('month', cast(params.as_of_date + 1 as timestamp)) as date) as window_end
    from config.params as params
),

windows as (
    select
        params.*,
        cast(params.window_end - 3 * interval '1 month' as date) as window_start,
        cast(params.window_end - 6 * interval '1 month' as date) as previous_start
    from params
),

-- signups in the trailing 3 complete months and the 3 months before them (NULL when the
-- period does not cover the whole window)
signups as (
    select
        case when windows.window_start >= windows.period_start then cast(count(users.user_id) filter (
            where users.signup_date >= windows.window_start and users.signup_date < windows.window_end
        ) as bigint) end as recent_signups,
        case when windows.previous_start >= windows.period_start then cast(count(users.user_id) filter (
            where users.signup_date >= windows.previous_start and users.signup_date < windows.window_start
        ) as bigint) end as previous_signups
    from windows
    left join analytics.user_milestones as users
        on true
    group by windows.window_start, windows.window_end, windows.previous_start, windows.period_start
),

-- Revenue inputs: the only CTE that reads revenue tables (revenue/account_metrics_monthly).
-- ARPA (MRR per paying account), paying accounts per paying user (a user covered by a paid
-- seat, the meaning of "paid" in user_milestones) and monthly logo churn (accounts paying at
-- a month's start, the previous evaluation day, and not at its end), pooled over the window's
-- 3 complete months; one row, NULL when the period does not cover the window
account_economics as (
    select
        cast(sum(accounts.mrr) as double precision) as window_mrr,
        cast(sum(accounts.users_covered) as bigint) as window_paying_users,
        cast(sum(accounts.paying_accounts) as bigint) as window_account_months,
        cast(sum(accounts.starting_accounts) as bigint) as starting_accounts,
        cast(sum(accounts.churned_accounts) as bigint) as churned_accounts,
        cast(max(case when accounts.month = cast(windows.window_end - interval '1 month' as date)
            then accounts.paying_accounts end) as bigint) as latest_paying_accounts,
        cast(max(case when accounts.month = cast(windows.window_end - interval '1 month' as date)
            then accounts.mrr end) as double precision) as latest_mrr
    from windows
    left join analytics.account_metrics_monthly as accounts
        on accounts.month >= windows.window_start
        and accounts.month < windows.window_end
        and accounts.is_complete_month
        and windows.window_start >= windows.period_start
),

-- new accounts: accounts in their first paying month (cohort month) within the window, with
-- the MRR of that month; none when the period does not cover the window. Mean and standard
-- deviation from plain sums (sum x, sum x^2): whole-dollar MRR sums exactly in any row order,
-- so the figures do not depend on the order rows were ingested in
new_account_sums as (
    select
        cast(count(accounts.workspace_id) as bigint) as accounts,
        cast(sum(accounts.mrr) as double precision) as mrr_sum,
        cast(sum(accounts.mrr * accounts.mrr) as double precision) as mrr_squares,
        cast(min(accounts.mrr) as double precision) as smallest_mrr
    from windows
    left join analytics.account_mrr_monthly as accounts
        on accounts.month_start >= windows.window_start
        and accounts.month_start < windows.window_end
        and accounts.cohort_month = accounts.month_start
        and windows.window_start >= windows.period_start
),

-- the MRR bridge per account-month of the window: each account paying at the previous
-- month's evaluation day, its MRR then (start) and the MRR it lost by this month's (churned:
-- all of it; contraction: the decrease; expansion: a negative loss); summed over the window,
-- lost / start = (churned + contraction - expansion) / starting MRR of mrr_movements
mrr_pairs as (
    select
        previous_month.mrr as start_mrr,
        previous_month.mrr - coalesce(current_month.mrr, cast(0 as double precision)) as lost_mrr
    from windows
    inner join analytics.account_mrr_monthly as previous_month
        on previous_month.month_start >= cast(windows.window_start - interval '1 month' as date)
        and previous_month.month_start < cast(windows.window_end - interval '1 month' as date)
        and windows.window_start >= windows.period_start
    left join analytics.account_mrr_monthly as current_month
        on current_month.workspace_id = previous_month.workspace_id
        and current_month.month_start = cast(previous_month.month_start + interval '1 month' as date)
    where previous_month.mrr > 0
),

mrr_churn as (
    select
        cast(count(*) as bigint) as account_months,
        cast(sum(start_mrr) as double precision) as start_mrr,
        cast(sum(lost_mrr) as double precision) as lost_mrr,
        cast(sum(start_mrr * start_mrr) as double precision) as start_squares,
        cast(sum(lost_mrr * lost_mrr) as double precision) as lost_squares,
        cast(sum(lost_mrr * start_mrr) as double precision) as lost_start
    from mrr_pairs
),

-- ratio estimator R = sum(lost) / sum(start): variance ~ n / (n - 1) x sum((lost - R start)^2)
-- / sum(start)^2 (account-months taken as independent); the sum of squares expanded into plain
-- sums (sum lost^2 - 2 R sum lost start + R^2 sum start^2), exact for whole-dollar MRR in any
-- row order
mrr_churn_spread as (
    select
        account_months,
        start_mrr,
        lost_mrr / nullif(start_mrr, 0) as rate,
        greatest(
            lost_squares - 2 * (lost_mrr / nullif(start_mrr, 0)) * lost_start
                + (lost_mrr / nullif(start_mrr, 0)) * (lost_mrr / nullif(start_mrr, 0)) * start_squares,
            cast(0 as double precision)
        ) as residual_squares
    from mrr_churn
),

new_accounts as (
    select
        accounts,
        mrr_sum / nullif(accounts, 0) as arpa,
        case when accounts > 1 then sqrt(greatest(
            (mrr_squares - mrr_sum * mrr_sum / accounts) / (accounts - 1), cast(0 as double precision)
        )) end as arpa_sd,
        smallest_mrr
    from new_account_sums
),

stage_rows as (
    select 3 as stage_order, true as reached_previous, reached_activation as reached,
        strict_activation as reached_strict, reached_monetization as paid, segment, acquisition_channel
    from analytics.growth_user_stages
    union all
    select 4, reached_activation, reached_engagement, strict_engagement, reached_monetization, segment, acquisition_channel
    from analytics.growth_user_stages
    union all
    select 5, reached_engagement, reached_habit, strict_habit, reached_monetization, segment, acquisition_channel
    from analytics.growth_user_stages
    union all
    select 6, reached_habit, reached_collaboration, strict_collaboration, reached_monetization, segment, acquisition_channel
    from analytics.growth_user_stages
    union all
    select 7, reached_collaboration, reached_monetization, strict_monetization, reached_monetization, segment, acquisition_channel
    from analytics.growth_user_stages
),

stage_counts as (
    select
        stage_order,
        cast(count(*) as bigint) as cohort_users,
        cast(count(*) filter (where reached) as bigint) as reached_users,
        cast(count(*) filter (where reached_strict) as bigint) as strict_users,
        cast(count(*) filter (where reached_previous) as bigint) as at_risk,
        cast(count(*) filter (where reached_previous and reached) as bigint) as stepped,
        cast(count(*) filter (where reached_previous and reached and paid) as bigint) as stepped_paid,
        cast(count(*) filter (where reached_previous and not reached) as bigint) as missed,
        cast(count(*) filter (where reached_previous and not reached and paid) as bigint) as missed_paid
    from stage_rows
    group by stage_order
),

-- step rate of each segment and channel (product stages 3..7; signup: the channel's
-- attributed visits / visits from funnel_by_dimension, by channel)
group_rates as (
    select
        stage_order,
        'segment ' || segment as detail,
        cast(count(*) filter (where reached) as double precision) / count(*) as rate,
        cast(count(*) as bigint) as n
    from stage_rows
    where reached_previous
    group by stage_order, segment
    union all
    select
        stage_order,
        'channel ' || acquisition_channel,
        cast(count(*) filter (where reached) as double precision) / count(*),
        cast(count(*) as bigint)
    from stage_rows
    where reached_previous
    group by stage_order, acquisition_channel
    union all
    select
        signup.stage_order,
        'channel ' || signup.dimension_value,
        signup.step_conversion,
        cast(awareness.users as bigint)
    from analytics.funnel_by_dimension as signup
    inner join analytics.funnel_by_dimension as awareness
        on awareness.dimension = signup.dimension
        and awareness.dimension_value = signup.dimension_value
        and awareness.stage_order = 1
    where signup.dimension = 'channel'
        and signup.stage_order = 2
        and signup.step_conversion is not null
),

-- the best group per stage among groups of at least 30 units at risk, so that a handful of
-- users cannot set it (ties: the larger group, then the name); none: no ceiling row
ceilings as (
    select stage_order, detail, rate, n
    from (
        select
            group_rates.*,
            row_number() over (
                partition by stage_order order by rate desc nulls last, n desc, detail
            ) as position
        from group_rates
        where n >= 30
    ) as ranked
    where position = 1
),

cohort as (
    select
        cast(count(*) as bigint) as users,
        cast(count(*) filter (where reached_monetization) as bigint) as payers
    from analytics.growth_user_stages
),

signup_stage as (
    select cast(converted as bigint) as converted, cast(previous_users as bigint) as visits
    from analytics.funnel_stages
    where stage_order = 2
),

stage_names as (
    select stage_order, stage_name from config.funnel_stages
),

measures as (
    select 'signups_run_rate_monthly' as measure, cast(null as integer) as stage_order,
        cast(null as integer) as month_number, cast(null as varchar) as detail,
        cast(signups.recent_signups as double precision) / 3 * params.scale as value,
        signups.recent_signups as n, false as is_proportion, cast(null as bigint) as successes
    from signups
    cross join params
    union all
    select 'population_scale', null, null, null, params.scale, params.sample_users, false, null
    from params
    union all
    select 'funnel_cohort_signups', null, null, null, cast(cohort.users as double precision), cohort.users, false, null
    from cohort
    union all
    select 'paid_within_window', null, null, null,
        cast(cohort.payers as double precision) / nullif(cohort.users, 0), cohort.users, true, cohort.payers
    from cohort
    union all
    select 'reach_rate', stage_order, null, null,
        cast(reached_users as double precision) / nullif(cohort_users, 0), cohort_users, true, reached_users
    from stage_counts
    union all
    select 'strict_rate', stage_order, null, null,
        cast(strict_users as double precision) / nullif(cohort_users, 0), cohort_users, true, strict_users
    from stage_counts
    union all
    select 'step_rate', stage_order, null, null,
        cast(stepped as double precision) / nullif(at_risk, 0), at_risk, true, stepped
    from stage_counts
    union all
    select 'paid_if_reached', stage_order, null, null,
        cast(stepped_paid as double precision) / nullif(stepped, 0), stepped, true, stepped_paid
    from stage_counts
    union all
    select 'paid_if_missed', stage_order, null, null,
        cast(missed_paid as double precision) / nullif(missed, 0), missed, true, missed_paid
    from stage_counts
    union all
    -- signup: every cohort user reached it; the step is awareness -> signup in visits
    select 'reach_rate', 2, null, null, 1, cohort.users, true, cohort.users
    from cohort
    union all
    select 'strict_rate', 2, null, null, 1, cohort.users, true, cohort.users
    from cohort
    union all
    select 'step_rate', 2, null, null,
        cast(signup_stage.converted as double precision) / nullif(signup_stage.visits, 0),
        signup_stage.visits, true, signup_stage.converted
    from signup_stage
    union all
    select 'paid_if_reached', 2, null, null,
        cast(cohort.payers as double precision) / nullif(cohort.users, 0), cohort.users, true, cohort.payers
    from cohort
    union all
    select 'step_rate_ceiling', stage_order, null, detail, rate, n, false, null
    from ceilings
    union all
    select 'payment_month_share', null, payment_month, null,
        cast(count(*) as double precision) / max(cohort.payers), max(cohort.payers), true, cast(count(*) as bigint)
    from analytics.growth_user_stages
    cross join cohort
    where payment_month is not null
    group by payment_month
    union all
    select 'days_to_first_payment_median', null, null, null,
        cast(percentile_cont(0.5) within group (order by days_to_first_payment) as double precision),
        cast(count(*) as bigint), false, null
    from analytics.growth_user_stages
    where days_to_first_payment is not null
    union all
    -- ARPA: MRR per paying account, pooled over the window's month ends
    select 'arpa', null, null, null,
        account_economics.window_mrr / nullif(account_economics.window_account_months, 0),
        account_economics.window_account_months, false, null
    from account_economics
    union all
    select 'accounts_per_paying_user', null, null, null,
        cast(account_economics.window_account_months as double precision)
            / nullif(account_economics.window_paying_users, 0),
        account_economics.window_paying_users, false, null
    from account_economics
    union all
    select 'paying_accounts_latest', null, null, null,
        cast(account_economics.latest_paying_accounts as double precision) * params.scale,
        account_economics.latest_paying_accounts, false, null
    from account_economics
    cross join params
    union all
    -- MRR at the window's last month end, population scale (n: the paying accounts then)
    select 'mrr_latest', null, null, null,
        account_economics.latest_mrr * params.scale,
        account_economics.latest_paying_accounts, false, null
    from account_economics
    cross join params
    union all
    -- monthly logo churn: accounts paying at a month's start (previous month end) and not at its end
    select 'logo_churn_monthly', null, null, null,
        cast(account_economics.churned_accounts as double precision)
            / nullif(account_economics.starting_accounts, 0),
        account_economics.starting_accounts, true, account_economics.churned_accounts
    from account_economics
),

-- 95% Wilson score interval of a proportion x / n (z = 1.959963984540054):
-- (p + z^2 / 2n -+ z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n)
wilson as (
    select
        measures.*,
        cast(measures.successes as double precision) / nullif(measures.n, 0) as p,
        cast(1.959963984540054 as double precision) as z
    from measures
),

-- measures whose interval is not a Wilson interval: value, n, 95% bounds
interval_measures as (
    -- compound month-over-month growth between the two 3-month windows, ((recent / previous)^(1/3)
    -- - 1); interval: the ratio of two Poisson counts, exp(ln(a / b) -+ z sqrt(1 / a + 1 / b)),
    -- taken to the power 1/3
    select 'signups_trend_monthly' as measure,
        power(
            cast(signups.recent_signups as double precision) / nullif(signups.previous_signups, 0),
            cast(1 as double precision) / 3
        ) - 1 as value,
        signups.previous_signups as n,
        case when signups.recent_signups > 0 and signups.previous_signups > 0 then power(exp(
            ln(cast(signups.recent_signups as double precision) / signups.previous_signups)
            - 1.959963984540054 * sqrt(cast(1 as double precision) / signups.recent_signups
                + cast(1 as double precision) / signups.previous_signups)
        ), cast(1 as double precision) / 3) - 1 end as ci_low,
        case when signups.recent_signups > 0 and signups.previous_signups > 0 then power(exp(
            ln(cast(signups.recent_signups as double precision) / signups.previous_signups)
            + 1.959963984540054 * sqrt(cast(1 as double precision) / signups.recent_signups
                + cast(1 as double precision) / signups.previous_signups)
        ), cast(1 as double precision) / 3) - 1 end as ci_high
    from signups
    union all
    -- ARPA of new accounts: mean MRR in the first paying month; interval mean -+ z sd / sqrt(n)
    -- (the lower bound at least the smallest new account's MRR, below which no mean can lie;
    -- none below 2 accounts)
    select 'new_account_arpa',
        new_accounts.arpa,
        new_accounts.accounts,
        case when new_accounts.accounts > 1 then greatest(
            new_accounts.arpa - 1.959963984540054 * new_accounts.arpa_sd / sqrt(cast(new_accounts.accounts as double precision)),
            new_accounts.smallest_mrr
        ) end,
        case when new_accounts.accounts > 1 then
            new_accounts.arpa + 1.959963984540054 * new_accounts.arpa_sd / sqrt(cast(new_accounts.accounts as double precision))
        end
    from new_accounts
    union all
    -- net MRR churn a month (negative: net expansion); n = starting account-months
    select 'net_mrr_churn_monthly',
        mrr_churn_spread.rate,
        mrr_churn_spread.account_months,
        case when mrr_churn_spread.account_months > 1 then mrr_churn_spread.rate - 1.959963984540054
            * sqrt(mrr_churn_spread.residual_squares * cast(mrr_churn_spread.account_months as double precision)
                / (mrr_churn_spread.account_months - 1))
            / mrr_churn_spread.start_mrr end,
        case when mrr_churn_spread.account_months > 1 then mrr_churn_spread.rate + 1.959963984540054
            * sqrt(mrr_churn_spread.residual_squares * cast(mrr_churn_spread.account_months as double precision)
                / (mrr_churn_spread.account_months - 1))
            / mrr_churn_spread.start_mrr end
    from mrr_churn_spread
),

final as (
    select
        wilson.measure,
        wilson.stage_order,
        stage_names.stage_name,
        wilson.month_number,
        wilson.detail,
        cast(wilson.value as double precision) as value,
        cast(wilson.n as bigint) as n,
        cast(case when wilson.is_proportion and wilson.n > 0 then
            (wilson.p + wilson.z * wilson.z / (2 * wilson.n)
                - wilson.z * sqrt(wilson.p * (1 - wilson.p) / wilson.n + wilson.z * wilson.z / (4 * wilson.n * wilson.n)))
            / (1 + wilson.z * wilson.z / wilson.n)
        end as double precision) as value_ci_low,
        cast(case when wilson.is_proportion and wilson.n > 0 then
            (wilson.p + wilson.z * wilson.z / (2 * wilson.n)
                + wilson.z * sqrt(wilson.p * (1 - wilson.p) / wilson.n + wilson.z * wilson.z / (4 * wilson.n * wilson.n)))
            / (1 + wilson.z * wilson.z / wilson.n)
        end as double precision) as value_ci_high
    from wilson
    left join stage_names
        on stage_names.stage_order = wilson.stage_order
    union all
    select
        measure,
        cast(null as integer),
        cast(null as varchar),
        cast(null as integer),
        cast(null as varchar),
        cast(value as double precision),
        cast(n as bigint),
        cast(ci_low as double precision),
        cast(ci_high as double precision)
    from interval_measures
)

select * from final
