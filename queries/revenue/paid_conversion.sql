-- name: paid_conversion
-- version: 3
-- depends: user_milestones, stg_workspace_members, stg_subscriptions, stg_users
-- grain: one row per dimension value: ('all', 'all'), ('segment', <segment>), ('channel', <channel>)
-- description: paid conversion per user covered by a paid seat (a member of a workspace with a paid subscription) and per account (workspace with a member, attributed to the segment and channel of its one account owner, stg_workspace_members.is_account_owner). Primary, tenure-fair: covered within monetization_window_days of signup (day_n 0..window - 1) among users whose window is observable; secondary, labelled "ever": covered on or before as_of_date among all users; paid at the end: covered on as_of_date; every rate with its n and a 95% Wilson interval
with params as (
    select as_of_date, monetization_window_days from config.params
),

users as (
    select
        user_milestones.segment,
        user_milestones.acquisition_channel,
        user_milestones.has_paid,
        user_milestones.is_paid_at_end,
        user_milestones.signup_date + params.monetization_window_days - 1 <= params.as_of_date as is_window_observable,
        coalesce(
            cast(cast(user_milestones.first_paid_at as date) - user_milestones.signup_date as integer)
                < params.monetization_window_days,
            false
        ) as is_paid_in_window
    from analytics.user_milestones as user_milestones
    cross join params
),

dimensioned as (
    select 'all' as dimension, 'all' as dimension_value, has_paid, is_paid_at_end, is_window_observable, is_paid_in_window
    from users
    union all
    select 'segment', segment, has_paid, is_paid_at_end, is_window_observable, is_paid_in_window from users
    union all
    select 'channel', acquisition_channel, has_paid, is_paid_at_end, is_window_observable, is_paid_in_window from users
),

user_counts as (
    select
        dimension,
        dimension_value,
        cast(count(*) as bigint) as users,
        cast(count(*) filter (where is_window_observable) as bigint) as observable_users,
        cast(count(*) filter (where is_window_observable and is_paid_in_window) as bigint) as paid_in_window_users,
        cast(count(*) filter (where has_paid) as bigint) as paid_users,
        cast(count(*) filter (where is_paid_at_end) as bigint) as paid_at_end_users
    from dimensioned
    group by dimension, dimension_value
),

-- accounts: workspaces, one row each, with the segment and channel of their account owner (the
-- earliest-joined 'owner' row, or the earliest-joined member without one); paid = a paid
-- subscription started on or before as_of_date
accounts as (
    select
        members.workspace_id,
        users.segment,
        users.acquisition_channel,
        exists (
            select 1
            from analytics.stg_subscriptions as subscriptions
            where subscriptions.workspace_id = members.workspace_id
                and subscriptions.is_paid
        ) as has_paid
    from analytics.stg_workspace_members as members
    inner join analytics.stg_users as users
        on users.user_id = members.user_id
    where members.is_account_owner
),

account_dimensioned as (
    select 'all' as dimension, 'all' as dimension_value, has_paid from accounts
    union all
    select 'segment', segment, has_paid from accounts
    union all
    select 'channel', acquisition_channel, has_paid from accounts
),

account_counts as (
    select
        dimension,
        dimension_value,
        cast(count(*) as bigint) as accounts,
        cast(count(*) filter (where has_paid) as bigint) as paid_accounts
    from account_dimensioned
    group by dimension, dimension_value
),

joined as (
    select
        cast(user_counts.dimension as varchar) as dimension,
        cast(user_counts.dimension_value as varchar) as dimension_value,
        user_counts.users,
        user_counts.paid_in_window_users,
        user_counts.observable_users as paid_in_window_conversion_n,
        cast(user_counts.paid_in_window_users as double precision) / nullif(user_counts.observable_users, 0) as p_window,
        cast(nullif(user_counts.observable_users, 0) as double precision) as n_window,
        user_counts.paid_users,
        user_counts.users as paid_conversion_n,
        cast(user_counts.paid_users as double precision) / nullif(user_counts.users, 0) as p_ever,
        cast(nullif(user_counts.users, 0) as double precision) as n_ever,
        user_counts.paid_at_end_users,
        coalesce(account_counts.accounts, cast(0 as bigint)) as accounts,
        coalesce(account_counts.paid_accounts, cast(0 as bigint)) as paid_accounts,
        coalesce(account_counts.accounts, cast(0 as bigint)) as account_paid_conversion_n,
        cast(account_counts.paid_accounts as double precision) / nullif(account_counts.accounts, 0) as p_account,
        cast(nullif(account_counts.accounts, 0) as double precision) as n_account
    from user_counts
    left join account_counts
        on account_counts.dimension = user_counts.dimension
        and account_counts.dimension_value = user_counts.dimension_value
),

-- 95% Wilson score intervals, z = 1.959963984540054 (z^2 = 3.841458820694124)
final as (
    select
        dimension,
        dimension_value,
        users,
        paid_in_window_users,
        p_window as paid_in_window_conversion,
        paid_in_window_conversion_n,
        case when p_window = 0 then cast(0 as double precision) else (p_window + 3.841458820694124 / (2 * n_window)
                - 1.959963984540054 * sqrt(p_window * (1 - p_window) / n_window + 3.841458820694124 / (4 * n_window * n_window)))
                / (1 + 3.841458820694124 / n_window) end as paid_in_window_conversion_ci_low,
        case when p_window = 1 then cast(1 as double precision) else (p_window + 3.841458820694124 / (2 * n_window)
                + 1.959963984540054 * sqrt(p_window * (1 - p_window) / n_window + 3.841458820694124 / (4 * n_window * n_window)))
                / (1 + 3.841458820694124 / n_window) end as paid_in_window_conversion_ci_high,
        paid_users,
        p_ever as paid_conversion,
        paid_conversion_n,
        case when p_ever = 0 then cast(0 as double precision) else (p_ever + 3.841458820694124 / (2 * n_ever)
                - 1.959963984540054 * sqrt(p_ever * (1 - p_ever) / n_ever + 3.841458820694124 / (4 * n_ever * n_ever)))
                / (1 + 3.841458820694124 / n_ever) end as paid_conversion_ci_low,
        case when p_ever = 1 then cast(1 as double precision) else (p_ever + 3.841458820694124 / (2 * n_ever)
                + 1.959963984540054 * sqrt(p_ever * (1 - p_ever) / n_ever + 3.841458820694124 / (4 * n_ever * n_ever)))
                / (1 + 3.841458820694124 / n_ever) end as paid_conversion_ci_high,
        paid_at_end_users,
        cast(paid_at_end_users as double precision) / users as paid_at_end_rate,
        accounts,
        paid_accounts,
        p_account as account_paid_conversion,
        account_paid_conversion_n,
        case when p_account = 0 then cast(0 as double precision) else (p_account + 3.841458820694124 / (2 * n_account)
                - 1.959963984540054 * sqrt(p_account * (1 - p_account) / n_account + 3.841458820694124 / (4 * n_account * n_account)))
                / (1 + 3.841458820694124 / n_account) end as account_paid_conversion_ci_low,
        case when p_account = 1 then cast(1 as double precision) else (p_account + 3.841458820694124 / (2 * n_account)
                + 1.959963984540054 * sqrt(p_account * (1 - p_account) / n_account + 3.841458820694124 / (4 * n_account * n_account)))
                / (1 + 3.841458820694124 / n_account) end as account_paid_conversion_ci_high
    from joined
)

select * from final
