-- name: dau_mau
-- version: 1
-- depends: user_days
-- grain: one row per calendar day from period_start to as_of_date
-- description: DAU, WAU (distinct users active in [d - 6, d]), MAU (distinct users active in [d - 29, d]), stickiness = DAU / MAU, dau_wau = DAU / WAU; computed linearly from islands of activity and running sums
with params as (
    select period_start, as_of_date from config.params
),

calendar as (
    select cast(day_series.g as date) as activity_date
    from params
    cross join generate_series(
        cast(params.period_start as timestamp), cast(params.as_of_date as timestamp), interval '1 day'
    ) as day_series (g)
),

daily as (
    select
        activity_date,
        cast(count(*) as bigint) as dau
    from analytics.user_days
    group by activity_date
),

active_days as (
    select
        user_id,
        activity_date,
        lag(activity_date) over (partition by user_id order by activity_date) as previous_date
    from analytics.user_days
),

-- an active day a keeps the user in the rolling window on days a .. a + (w - 1); consecutive
-- active days less than w + 1 days apart join one island whose coverage ends at last day + w - 1
island_starts as (
    select
        user_id,
        activity_date,
        sum(case when previous_date is null or activity_date - previous_date > 7 then 1 else 0 end)
            over (partition by user_id order by activity_date rows between unbounded preceding and current row)
            as week_island,
        sum(case when previous_date is null or activity_date - previous_date > 30 then 1 else 0 end)
            over (partition by user_id order by activity_date rows between unbounded preceding and current row)
            as month_island
    from active_days
),

week_islands as (
    select
        min(activity_date) as entry_date,
        max(activity_date) + 7 as exit_date
    from island_starts
    group by user_id, week_island
),

month_islands as (
    select
        min(activity_date) as entry_date,
        max(activity_date) + 30 as exit_date
    from island_starts
    group by user_id, month_island
),

-- +1 on the day a user enters the window, -1 on the day after coverage ends;
-- changes before period_start are folded into period_start
changes as (
    select entry_date as change_date, 1 as wau_change, 0 as mau_change from week_islands
    union all
    select exit_date, -1, 0 from week_islands
    union all
    select entry_date, 0, 1 from month_islands
    union all
    select exit_date, 0, -1 from month_islands
),

daily_changes as (
    select
        greatest(changes.change_date, params.period_start) as change_date,
        sum(changes.wau_change) as wau_change,
        sum(changes.mau_change) as mau_change
    from changes
    cross join params
    group by greatest(changes.change_date, params.period_start)
),

rolling as (
    select
        calendar.activity_date,
        coalesce(daily.dau, cast(0 as bigint)) as dau,
        cast(
            sum(coalesce(daily_changes.wau_change, 0)) over (
                order by calendar.activity_date rows between unbounded preceding and current row
            ) as bigint
        ) as wau,
        cast(
            sum(coalesce(daily_changes.mau_change, 0)) over (
                order by calendar.activity_date rows between unbounded preceding and current row
            ) as bigint
        ) as mau
    from calendar
    left join daily
        on daily.activity_date = calendar.activity_date
    left join daily_changes
        on daily_changes.change_date = calendar.activity_date
),

final as (
    select
        activity_date,
        dau,
        wau,
        mau,
        cast(dau as double precision) / nullif(mau, 0) as stickiness,
        cast(dau as double precision) / nullif(wau, 0) as dau_wau
    from rolling
)

select * from final
