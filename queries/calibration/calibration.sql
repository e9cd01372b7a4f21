-- name: calibration
-- version: 3
-- depends: stg_events, stg_visits, user_milestones, funnel_stages, activation_summary, paid_conversion, activation_speed_retention, monthly_retention, cohort_early_late, power_users, north_star_weekly
-- grain: one row per calibration id of METRICS.md (26 rows)
-- description: calibration targets (config.calibration_targets) against the value measured on the warehouse; passed = measured within [lower_bound, upper_bound] (C15: measured > lower_bound)
with user_counts as (
    select cast(count(*) as double precision) as users
    from analytics.user_milestones
),

segment_shares as (
    select
        'C3_' || segment_list.segment as target_id,
        cast(count(user_milestones.user_id) as double precision) / nullif(max(user_counts.users), 0) as measured
    from (
        values ('individual'), ('small_team'), ('enterprise'), ('education')
    ) as segment_list (segment)
    cross join user_counts
    left join analytics.user_milestones as user_milestones
        on user_milestones.segment = segment_list.segment
    group by segment_list.segment
),

channel_shares as (
    select
        'C4_' || channel_list.channel as target_id,
        cast(count(user_milestones.user_id) as double precision) / nullif(max(user_counts.users), 0) as measured
    from (
        values ('organic_search'), ('social_media'), ('referral'), ('paid_ads'), ('word_of_mouth'), ('content')
    ) as channel_list (channel)
    cross join user_counts
    left join analytics.user_milestones as user_milestones
        on user_milestones.acquisition_channel = channel_list.channel
    group by channel_list.channel
),

paid as (
    select dimension, dimension_value, paid_conversion, paid_at_end_rate
    from analytics.paid_conversion
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
        max(case when dimension_value = 'enterprise' then paid_conversion end)
            / nullif(max(case when dimension_value = 'individual' then paid_conversion end), 0)
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
        max(case when dimension_value = 'referral' then paid_conversion end)
            / nullif(max(case when dimension_value = 'paid_ads' then paid_conversion end), 0)
    from paid
    where dimension = 'channel'
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

-- every id is listed even when its measurement is missing (e.g. no month-6 users yet)
target_ids as (
    select cast(id_list.target_id as varchar) as target_id, id_list.sort_order
    from (
        values
            ('C1', 1), ('C2', 2),
            ('C3_individual', 3), ('C3_small_team', 4), ('C3_enterprise', 5), ('C3_education', 6),
            ('C4_organic_search', 7), ('C4_social_media', 8), ('C4_referral', 9), ('C4_paid_ads', 10),
            ('C4_word_of_mouth', 11), ('C4_content', 12),
            ('C5', 13), ('C6', 14), ('C7', 15), ('C8', 16), ('C9', 17), ('C10', 18), ('C11', 19),
            ('C12_m1', 20), ('C12_m3', 21), ('C12_m6', 22), ('C13', 23), ('C14', 24), ('C15', 25),
            ('C21', 26)
    ) as id_list (target_id, sort_order)
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
                -- C15 is a direction: referral must convert strictly better than paid_ads
                when target_ids.target_id = 'C15' then measurements.measured > targets.lower_bound
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
