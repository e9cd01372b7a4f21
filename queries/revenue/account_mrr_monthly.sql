-- name: account_mrr_monthly
-- version: 2
-- depends: revenue_months, stg_subscriptions, stg_workspace_members, stg_users
-- grain: one row per calendar month (period_start .. as_of_date) and paying account (workspace with a paid subscription active on the month's evaluation day)
-- description: per account (workspace) and month: MRR (sum of monthly_revenue of its paid subscriptions active on the evaluation day: the month's last day, or as_of_date in the as_of month), seats, plan, active paid subscriptions, members covered, the account owner's segment and channel (stg_workspace_members.is_account_owner: one per workspace), the account's first paying month (its cohort)
with months as (
    select month_start, evaluation_date, is_complete_month from analytics.revenue_months
),

-- active on day d: started on or before d and not ended on or before d; paid only
active as (
    select
        months.month_start,
        months.evaluation_date,
        months.is_complete_month,
        subscriptions.workspace_id,
        subscriptions.plan,
        subscriptions.seats,
        subscriptions.monthly_revenue,
        subscriptions.started_at
    from months
    inner join analytics.stg_subscriptions as subscriptions
        on subscriptions.start_date <= months.evaluation_date
        and (subscriptions.end_date is null or subscriptions.end_date > months.evaluation_date)
    where subscriptions.is_paid
),

-- the plan of the latest-started active subscription (the one an upgrade or downgrade left in force)
ranked as (
    select
        active.*,
        row_number() over (
            partition by active.month_start, active.workspace_id
            order by active.started_at desc, active.plan
        ) as recency
    from active
),

accounts as (
    select
        month_start,
        min(evaluation_date) as evaluation_date,
        bool_and(is_complete_month) as is_complete_month,
        workspace_id,
        max(case when recency = 1 then plan end) as plan,
        cast(sum(monthly_revenue) as double precision) as mrr,
        cast(sum(seats) as bigint) as seats,
        cast(count(*) as bigint) as active_subscriptions
    from ranked
    group by month_start, workspace_id
),

owners as (
    select
        members.workspace_id,
        users.segment,
        users.acquisition_channel
    from analytics.stg_workspace_members as members
    inner join analytics.stg_users as users
        on users.user_id = members.user_id
    where members.is_account_owner
),

covered as (
    select
        accounts.month_start,
        accounts.workspace_id,
        cast(count(members.user_id) as bigint) as users_covered
    from accounts
    inner join analytics.stg_workspace_members as members
        on members.workspace_id = accounts.workspace_id
        and members.join_date <= accounts.evaluation_date
    group by accounts.month_start, accounts.workspace_id
),

final as (
    select
        accounts.month_start,
        accounts.evaluation_date,
        accounts.is_complete_month,
        accounts.workspace_id,
        owners.segment,
        owners.acquisition_channel,
        accounts.plan,
        accounts.mrr,
        accounts.seats,
        accounts.active_subscriptions,
        coalesce(covered.users_covered, cast(0 as bigint)) as users_covered,
        min(accounts.month_start) over (partition by accounts.workspace_id) as cohort_month
    from accounts
    left join owners
        on owners.workspace_id = accounts.workspace_id
    left join covered
        on covered.month_start = accounts.month_start
        and covered.workspace_id = accounts.workspace_id
)

select * from final
