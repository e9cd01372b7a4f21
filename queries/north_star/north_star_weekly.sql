-- name: north_star_weekly
-- version: 5
-- depends: stg_events, stg_workspace_members, user_weeks
-- grain: one row per ISO week (Monday start) from the week of period_start to the week of as_of_date
-- description: North Star v2 WACW (wacw): team workspaces (two or more members) with at least two distinct members active in the workspace in the ISO week and at least one comment, co_edit or share there (an invite alone does not count); active_team_workspaces (team workspaces with any member active in them in the week) and wacw_share = wacw / active_team_workspaces with its 95% Wilson interval; v1 kept as collaborative_workspaces (any workspace with any collaborative action, invites included); iso_week_active_users (calendar-week counts, not the rolling 7-day WAU of dau_mau), active workspaces, v1 collaborative share
with params as (
    select period_start, as_of_date from config.params
),

weeks as (
    select week_series.week_start
    from (
        -- Mondays from the week of period_start to the week of as_of_date
        select first_week.week_start + 7 * numbers.n as week_start
        from (
            select
                cast(date_trunc('week', cast(params.period_start as timestamp)) as date) as week_start,
                params.as_of_date
            from params
        ) as first_week
        inner join config.numbers as numbers
            on 7 * numbers.n <= cast(first_week.as_of_date - first_week.week_start as integer)
    ) as week_series
),

workspace_weeks as (
    select
        stg_events.workspace_id,
        cast(date_trunc('week', stg_events.occurred_at) as date) as week_start,
        bool_or(stg_events.is_collaborative) as is_collaborative
    from analytics.stg_events as stg_events
    group by stg_events.workspace_id, cast(date_trunc('week', stg_events.occurred_at) as date)
),

workspace_counts as (
    select
        week_start,
        cast(count(*) filter (where is_collaborative) as bigint) as collaborative_workspaces,
        cast(count(*) as bigint) as active_workspaces
    from workspace_weeks
    group by week_start
),

team_workspaces as (
    select distinct workspace_id
    from analytics.stg_workspace_members
    where is_team_workspace
),

-- v2: per team workspace and week, the distinct members active in it and whether a
-- comment, co_edit or share happened there (an invite is not an interaction with a member)
team_workspace_weeks as (
    select
        stg_events.workspace_id,
        cast(date_trunc('week', stg_events.occurred_at) as date) as week_start,
        count(distinct stg_events.user_id) as active_members,
        bool_or(stg_events.event_type in ('comment', 'co_edit', 'share')) as has_interaction
    from analytics.stg_events as stg_events
    inner join team_workspaces
        on team_workspaces.workspace_id = stg_events.workspace_id
    group by stg_events.workspace_id, cast(date_trunc('week', stg_events.occurred_at) as date)
),

team_counts as (
    select
        week_start,
        cast(count(*) filter (where active_members >= 2 and has_interaction) as bigint) as wacw,
        cast(count(*) filter (where active_members >= 2) as bigint) as multi_member_workspaces,
        cast(count(*) as bigint) as active_team_workspaces
    from team_workspace_weeks
    group by week_start
),

user_counts as (
    select
        week_start,
        cast(count(*) as bigint) as iso_week_active_users
    from analytics.user_weeks
    group by week_start
),

counts as (
    select
        weeks.week_start,
        -- complete: all seven days inside [period_start, as_of_date]
        weeks.week_start >= params.period_start
            and weeks.week_start + 6 <= params.as_of_date as is_complete_week,
        coalesce(team_counts.wacw, cast(0 as bigint)) as wacw,
        coalesce(team_counts.multi_member_workspaces, cast(0 as bigint)) as multi_member_workspaces,
        coalesce(team_counts.active_team_workspaces, cast(0 as bigint)) as active_team_workspaces,
        coalesce(workspace_counts.collaborative_workspaces, cast(0 as bigint)) as collaborative_workspaces,
        coalesce(user_counts.iso_week_active_users, cast(0 as bigint)) as iso_week_active_users,
        coalesce(workspace_counts.active_workspaces, cast(0 as bigint)) as active_workspaces,
        cast(workspace_counts.collaborative_workspaces as double precision)
            / nullif(workspace_counts.active_workspaces, 0) as collaborative_share,
        cast(team_counts.wacw as double precision) / nullif(team_counts.active_team_workspaces, 0) as p,
        cast(team_counts.active_team_workspaces as double precision) as n
    from weeks
    cross join params
    left join workspace_counts
        on workspace_counts.week_start = weeks.week_start
    left join team_counts
        on team_counts.week_start = weeks.week_start
    left join user_counts
        on user_counts.week_start = weeks.week_start
),

-- 95% Wilson score interval, z = 1.959963984540054 (z^2 = 3.8414588206941254)
wilson as (
    select
        counts.*,
        (p + 1.9207294103470627 / n) / (1 + 3.8414588206941254 / n) as center,
        1.959963984540054 / (1 + 3.8414588206941254 / n)
            * sqrt(p * (1 - p) / n + 0.9603647051735313 / (n * n)) as half_width
    from counts
),

final as (
    select
        week_start,
        is_complete_week,
        wacw,
        active_team_workspaces,
        multi_member_workspaces,
        p as wacw_share,
        active_team_workspaces as wacw_share_n,
        center - half_width as wacw_share_ci_low,
        center + half_width as wacw_share_ci_high,
        collaborative_workspaces,
        iso_week_active_users,
        active_workspaces,
        collaborative_share
    from wilson
)

select * from final
