-- name: calibration
-- version: 6
-- depends: stg_events, stg_visits, stg_subscriptions, user_milestones, funnel_stages, activation_summary, paid_conversion, activation_speed_retention, monthly_retention, cohort_early_late, power_users, account_metrics_monthly, net_revenue_retention, trials, north_star_weekly
-- grain: one row per calibration id of docs/CALIBRATION.md (31 rows with the built-in seeds: C3 per row of config.segments, C4 per row of config.channels)
-- description: calibration targets (config.calibration_targets) against the value measured on the warehouse; passed = measured within [lower_bound, upper_bound], or measured > lower_bound for a direction target (upper_bound NULL)
with user_counts as (
    select cast(count(*) as double precision) as users
    from analytics.user_milestones
),

segment_shares as (
    select
        'C3_' || segment_list.segment as target_id,
        cast(count(user_milestones.user_id) as double precision) / nullif(max(user_counts.users), 0) as measured
    from config.segments as segment_list
    cross join user_counts
    left join analytics.user_milestones as user_milestones
        on user_milestones.segment = segment_list.segment
    group by segment_list.segment
),

channel_shares as (
    select
        'C4_' || channel_list.channel as target_id,
        cast(count(user_milestones.user_id) as double precision) / nullif(max(user_counts.users), 0) as measured
    from config.channels as channel_list
    cross join user_counts
    left join analytics.user_milestones as user_milestones
        on user_milestones.acquisition_channel = channel_list.channel
    group by channel_list.channel
),

-- C10 and C15 compare the tenure-fair rate (covered by a paid seat within the monetization window)
paid as (
    select dimension, dimension_value, paid_in_window_conversion, paid_at_end_rate
    from analytics.paid_conversion
),

-- C16: workspaces with a paid subscription and two subscriptions (trials included) active on a common day
overlapping_workspaces as (
    select distinct first_subscription.workspace_id
    from analytics.stg_subscriptions as first_subscription
    inner join analytics.stg_subscriptions as second_subscription
        on second_subscription.workspace_id = first_subscription.workspace_id
        and second_subscription.subscription_id > first_subscription.subscription_id
        and (second_subscription.end_date is null or second_subscription.end_date > first_subscription.start_date)
        and (first_subscription.end_date is null or first_subscription.end_date > second_subscription.start_date)
    where (first_subscription.end_date is null or first_subscription.end_date > first_subscription.start_date)
        and (second_subscription.end_date is null or second_subscription.end_date > second_subscription.start_date)
        and first_subscription.workspace_id in (
            select workspace_id from analytics.stg_subscriptions where is_paid
        )
),

latest_complete_months as (
    select month, logo_churn_rate
    from analytics.account_metrics_monthly
    where is_complete_month
    order by month desc
    limit 12
),

measurements as (
    select 'C1' as target_id, users as measured from user_counts
    union all
    select 'C2', cast(count(*) as double precision) from analytics.stg_events
    union all
    select target_id, measured from segment_shares
    union all
    select target_id, measured from channel_shares
    union all
    select 'C5', paid_at_end_rate from paid where dimension = 'all'
    union all
    select 'C6', activation_rate from analytics.activation_summary where dimension = 'all'
    union all
    -- attributed visits (by a user who signed up) / all visits, the unit of the awareness -> signup step
    select 'C7', cast(count(*) filter (where is_attributed) as double precision) / nullif(count(*), 0)
    from analytics.stg_visits
    union all
    select 'C8', step_conversion from analytics.funnel_stages where stage_name = 'engagement'
    union all
    select 'C9', overall_conversion from analytics.funnel_stages where stage_name = 'monetization'
    union all
    select
        'C10',
        max(case when dimension_value = 'enterprise' then paid_in_window_conversion end)
            / nullif(max(case when dimension_value = 'individual' then paid_in_window_conversion end), 0)
    from paid
    where dimension = 'segment'
    union all
    select
        'C11',
        max(case when activation_speed = 'fast' then month1_retention end)
            / nullif(max(case when activation_speed = 'rest' then month1_retention end), 0)
    from analytics.activation_speed_retention
    union all
    select 'C12_m' || cast(months_since_signup as varchar), retention_rate
    from analytics.monthly_retention
    where months_since_signup in (1, 3, 6)
    union all
    select 'C13', relative_change from analytics.cohort_early_late
    union all
    select 'C14', share_of_events from analytics.power_users where decile = 1
    union all
    select
        'C15',
        max(case when dimension_value = 'referral' then paid_in_window_conversion end)
            / nullif(max(case when dimension_value = 'paid_ads' then paid_in_window_conversion end), 0)
    from paid
    where dimension = 'channel'
    union all
    select 'C16', cast(count(*) as double precision) from overlapping_workspaces
    union all
    select 'C17', mrr_per_seat
    from analytics.account_metrics_monthly
    where month = (select max(month) from analytics.account_metrics_monthly)
    union all
    select 'C18', avg(logo_churn_rate) from latest_complete_months
    union all
    select 'C19', nrr_12 from analytics.net_revenue_retention where row_type = 'pooled'
    union all
    select 'C20', trial_conversion from analytics.trials
    union all
    -- North Star v2: share of active team workspaces counted as WACW, pooled over the last
    -- 52 complete ISO weeks (team workspaces with any member active in the week)
    select
        'C21',
        cast(sum(weekly.wacw) as double precision) / nullif(sum(weekly.active_team_workspaces), 0)
    from analytics.north_star_weekly as weekly
    inner join (
        select max(week_start) as latest_week
        from analytics.north_star_weekly
        where is_complete_week
    ) as latest
        on weekly.week_start > latest.latest_week - 364
    where weekly.is_complete_week
),

seed_counts as (
    select
        (select cast(count(*) as integer) from config.segments) as segments,
        (select cast(count(*) as integer) from config.channels) as channels
),

-- every id is listed even when its measurement is missing (e.g. no month-6 users yet):
-- C1, C2, one C3 per segment and one C4 per channel (in seed order), then C5 .. C21
target_ids as (
    select cast(id_list.target_id as varchar) as target_id, id_list.sort_order
    from (
        values ('C1', 1), ('C2', 2)
    ) as id_list (target_id, sort_order)
    union all
    select 'C3_' || segment, 2 + segment_order
    from config.segments
    union all
    select 'C4_' || channels.channel, 2 + seed_counts.segments + channels.channel_order
    from config.channels as channels
    cross join seed_counts
    union all
    select cast(id_list.target_id as varchar), 2 + seed_counts.segments + seed_counts.channels + id_list.position
    from (
        values
            ('C5', 1), ('C6', 2), ('C7', 3), ('C8', 4), ('C9', 5), ('C10', 6), ('C11', 7),
            ('C12_m1', 8), ('C12_m3', 9), ('C12_m6', 10), ('C13', 11), ('C14', 12), ('C15', 13),
            ('C16', 14), ('C17', 15), ('C18', 16), ('C19', 17), ('C20', 18), ('C21', 19)
    ) as id_list (target_id, position)
    cross join seed_counts
),

final as (
    select
        target_ids.target_id,
        cast(target_ids.sort_order as integer) as sort_order,
        targets.measure,
        cast(targets.target_value as double precision) as target_value,
        cast(targets.lower_bound as double precision) as lower_bound,
        cast(targets.upper_bound as double precision) as upper_bound,
        cast(measurements.measured as double precision) as measured,
        coalesce(
            case
                -- a direction target (no upper bound): strictly above the lower bound
                when targets.upper_bound is null then measurements.measured > targets.lower_bound
                else measurements.measured between targets.lower_bound and targets.upper_bound
            end,
            false
        ) as passed,
        case
            when targets.target_id is null then 'no target in config.calibration_targets'
            when measurements.measured is null then 'not measurable on this warehouse'
            else targets.note
        end as note
    from target_ids
    left join measurements
        on measurements.target_id = target_ids.target_id
    left join config.calibration_targets as targets
        on targets.target_id = target_ids.target_id
)

select * from final
