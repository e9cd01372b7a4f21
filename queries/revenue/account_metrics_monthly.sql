-- name: account_metrics_monthly
-- version: 2
-- depends: revenue_months, account_mrr_monthly, mrr_movements, stg_workspace_members
-- grain: one row per calendar month from the month of period_start to the month of as_of_date
-- description: account metrics at each month's evaluation day: MRR, paying accounts, ARPA (MRR / paying accounts), ARPU (MRR / users active in the 30 days ending on the evaluation day), paid seats, users covered by a paid seat (distinct users, a member of two paying accounts once), and churn against the previous evaluation day: logo churn rate (churned accounts / starting accounts, with n and a 95% Wilson interval), revenue churn rate of cancelled accounts (churned MRR / starting MRR) and gross revenue churn rate ((churned + contraction MRR) / starting MRR)
with months as (
    select month_start, evaluation_date, is_complete_month, active_users_30d from analytics.revenue_months
),

accounts as (
    select
        month_start,
        cast(sum(mrr) as double precision) as mrr,
        cast(count(*) as bigint) as paying_accounts,
        cast(sum(seats) as bigint) as seats_paid
    from analytics.account_mrr_monthly
    group by month_start
),

-- distinct users covered by a paid seat: members (joined by the evaluation day) of any paying
-- account; a member of two paying accounts counts once
covered as (
    select
        account.month_start,
        cast(count(distinct members.user_id) as bigint) as users_covered
    from analytics.account_mrr_monthly as account
    inner join analytics.stg_workspace_members as members
        on members.workspace_id = account.workspace_id
        and members.join_date <= account.evaluation_date
    group by account.month_start
),

movements as (
    select month_start, starting_accounts, churned_accounts, mrr_start, churned_mrr, contraction_mrr
    from analytics.mrr_movements
),

joined as (
    select
        months.month_start,
        months.evaluation_date,
        months.is_complete_month,
        coalesce(accounts.mrr, cast(0 as double precision)) as mrr,
        coalesce(accounts.paying_accounts, cast(0 as bigint)) as paying_accounts,
        coalesce(accounts.seats_paid, cast(0 as bigint)) as seats_paid,
        coalesce(covered.users_covered, cast(0 as bigint)) as users_covered,
        months.active_users_30d,
        movements.starting_accounts,
        movements.churned_accounts,
        movements.mrr_start as starting_mrr,
        movements.churned_mrr,
        movements.contraction_mrr,
        cast(movements.churned_accounts as double precision) / nullif(movements.starting_accounts, 0) as p,
        cast(nullif(movements.starting_accounts, 0) as double precision) as n
    from months
    left join accounts
        on accounts.month_start = months.month_start
    left join covered
        on covered.month_start = months.month_start
    left join movements
        on movements.month_start = months.month_start
),

final as (
    select
        month_start as month,
        evaluation_date,
        is_complete_month,
        mrr,
        paying_accounts,
        mrr / nullif(paying_accounts, 0) as arpa,
        mrr / nullif(active_users_30d, 0) as arpu,
        active_users_30d,
        seats_paid,
        users_covered,
        mrr / nullif(seats_paid, 0) as mrr_per_seat,
        starting_accounts,
        churned_accounts,
        p as logo_churn_rate,
        starting_accounts as logo_churn_rate_n,
        -- 95% Wilson score interval, z = 1.959963984540054
        case when p = 0 then cast(0 as double precision) else (p + 3.841458820694124 / (2 * n)
            - 1.959963984540054 * sqrt(p * (1 - p) / n + 3.841458820694124 / (4 * n * n)))
            / (1 + 3.841458820694124 / n) end as logo_churn_rate_ci_low,
        case when p = 1 then cast(1 as double precision) else (p + 3.841458820694124 / (2 * n)
            + 1.959963984540054 * sqrt(p * (1 - p) / n + 3.841458820694124 / (4 * n * n)))
            / (1 + 3.841458820694124 / n) end as logo_churn_rate_ci_high,
        starting_mrr,
        churned_mrr,
        churned_mrr / nullif(starting_mrr, 0) as revenue_churn_rate,
        contraction_mrr,
        (churned_mrr + contraction_mrr) / nullif(starting_mrr, 0) as gross_revenue_churn_rate
    from joined
)

select * from final
