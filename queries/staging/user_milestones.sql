-- name: user_milestones
-- version: 4
-- depends: stg_users, stg_events, stg_subscriptions, stg_workspace_members, user_days
-- grain: one row per user
-- description: per-user facts (users who signed up on or before as_of_date): signup, segment, channel, first page_create, first collaborative action, first time covered by a paid seat (a member of a workspace whose paid subscription, monthly_revenue > 0, is active on a calendar day from the member's join day on; trials are not payments), activation, fast activator, paid flags, activity totals
with params as (
    select as_of_date, activation_window_days from config.params
),

users as (
    select
        user_id,
        signup_at,
        signup_date,
        segment,
        acquisition_channel
    from analytics.stg_users
),

first_events as (
    select
        user_id,
        min(occurred_at) filter (where event_type = 'page_create') as first_page_create_at,
        min(occurred_at) filter (where is_collaborative) as first_collaborative_at
    from analytics.stg_events
    group by user_id
),

activity as (
    select
        user_id,
        cast(sum(events) as bigint) as total_events,
        cast(count(*) as bigint) as active_days,
        max(day_n) as last_active_day_n
    from analytics.user_days
    group by user_id
),

-- covered by a paid seat: a member of a workspace (joined on or before the moment) whose paid
-- subscription (monthly_revenue > 0) is active then; billing is per workspace, so the owner and
-- the members of a paying workspace are all covered. first_paid_at: the first such moment (the
-- later of the subscription start and the join); paid_at_end: covered on as_of_date. A $0
-- subscription is a trial (revenue/trials).
payments as (
    select
        members.user_id,
        min(
            case when subscriptions.started_at > members.joined_at then subscriptions.started_at else members.joined_at end
        ) as first_paid_at,
        bool_or(
            (subscriptions.end_date is null or subscriptions.end_date > params.as_of_date)
        ) as is_paid_at_end
    from analytics.stg_workspace_members as members
    inner join analytics.stg_subscriptions as subscriptions
        on subscriptions.workspace_id = members.workspace_id
        -- in calendar days: the subscription is active on a day d with start_date <= d < end_date
        -- and the member joined by d, so some day from the join on is covered
        and (
            subscriptions.end_date is null
            or (subscriptions.end_date > members.join_date and subscriptions.end_date > subscriptions.start_date)
        )
    cross join params
    where subscriptions.is_paid
    group by members.user_id
),

joined as (
    select
        users.user_id,
        users.signup_at,
        users.signup_date,
        users.segment,
        users.acquisition_channel,
        first_events.first_page_create_at,
        cast(cast(first_events.first_page_create_at as date) - users.signup_date as integer)
            as first_page_create_day_n,
        (
            cast(extract(epoch from first_events.first_page_create_at) as double precision)
            - cast(extract(epoch from users.signup_at) as double precision)
        ) / 3600 as hours_to_first_page,
        first_events.first_collaborative_at,
        payments.first_paid_at,
        coalesce(payments.is_paid_at_end, false) as is_paid_at_end,
        payments.first_paid_at is not null as has_paid,
        coalesce(activity.total_events, cast(0 as bigint)) as total_events,
        coalesce(activity.active_days, cast(0 as bigint)) as active_days,
        activity.last_active_day_n,
        params.as_of_date,
        params.activation_window_days
    from users
    cross join params
    left join first_events
        on first_events.user_id = users.user_id
    left join activity
        on activity.user_id = users.user_id
    left join payments
        on payments.user_id = users.user_id
),

final as (
    select
        user_id,
        signup_at,
        signup_date,
        segment,
        acquisition_channel,
        first_page_create_at,
        first_page_create_day_n,
        hours_to_first_page,
        first_collaborative_at,
        first_paid_at,
        -- activation window day_n 0..6 is observable once signup_date + 6 <= as_of_date
        signup_date + activation_window_days - 1 <= as_of_date as is_activation_observable,
        coalesce(first_page_create_day_n < activation_window_days, false) as is_activated,
        -- fast activator: first page_create less than 24 hours after signup_at
        coalesce(first_page_create_at < signup_at + interval '24 hours', false) as is_fast_activator,
        case
            when first_page_create_day_n is null or first_page_create_day_n >= activation_window_days
                then 'never'
            when hours_to_first_page < 1 then 'under_1h'
            when hours_to_first_page < 24 then '1h_to_24h'
            else '1d_to_7d'
        end as time_to_first_value,
        has_paid,
        is_paid_at_end,
        total_events,
        active_days,
        last_active_day_n
    from joined
)

select * from final
