-- name: north_star_weekly
-- version: 4
-- depends: stg_events, user_weeks
-- grain: one row per ISO week (Monday start) from the week of period_start to the week of as_of_date
-- description: North Star WACW: distinct workspaces with at least one collaborative action in the ISO week; users active in the ISO week (iso_week_active_users: calendar-week counts, not the rolling 7-day WAU of dau_mau), active workspaces, collaborative share
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

user_counts as (
    select
        week_start,
        cast(count(*) as bigint) as iso_week_active_users
    from analytics.user_weeks
    group by week_start
),

final as (
    select
        weeks.week_start,
        -- complete: all seven days inside [period_start, as_of_date]
        weeks.week_start >= params.period_start
            and weeks.week_start + 6 <= params.as_of_date as is_complete_week,
        coalesce(workspace_counts.collaborative_workspaces, cast(0 as bigint)) as collaborative_workspaces,
        coalesce(user_counts.iso_week_active_users, cast(0 as bigint)) as iso_week_active_users,
        coalesce(workspace_counts.active_workspaces, cast(0 as bigint)) as active_workspaces,
        cast(workspace_counts.collaborative_workspaces as double precision)
            / nullif(workspace_counts.active_workspaces, 0) as collaborative_share
    from weeks
    cross join params
    left join workspace_counts
        on workspace_counts.week_start = weeks.week_start
    left join user_counts
        on user_counts.week_start = weeks.week_start
)

select * from final
