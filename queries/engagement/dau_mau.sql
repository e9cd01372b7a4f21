-- name: dau_mau
-- version: 3
-- depends: user_days
-- grain: one row per calendar day from period_start to as_of_date
-- description: DAU, WAU (distinct users active in [d - 6, d]), MAU (distinct users active in [d - 29, d]), stickiness = DAU / MAU, dau_wau = DAU / WAU; computed linearly from each active day's new window coverage and running sums
with params as (
    select period_start, as_of_date from config.params
),

calendar as (
    select params.period_start + numbers.n as activity_date
    from params
    inner join config.numbers as numbers
        on numbers.n <= cast(params.as_of_date - params.period_start as integer)
),

active_days as (
    select
        activity_date,
        lag(activity_date) over (partition by user_id order by activity_date) as previous_date
    from analytics.user_days
),

-- an active day a keeps its user in a w-day window on days a .. a + w - 1; the user's
-- previous active day p already covers days up to p + w - 1, so a adds the days
-- greatest(a, p + w) .. a + w - 1 and nothing else does: these spans of one user are
-- disjoint and together cover exactly the days the user counts in the window.
-- Each span is +1 on its first day and -1 on the day after its last; one row per
-- active day carries the DAU count and both windows' changes.
changes as (
    select
        case kinds.kind
            when 1 then active_days.activity_date
            when 2 then greatest(
                active_days.activity_date, coalesce(active_days.previous_date + 7, active_days.activity_date)
            )
            when 3 then active_days.activity_date + 7
            when 4 then greatest(
                active_days.activity_date, coalesce(active_days.previous_date + 30, active_days.activity_date)
            )
            else active_days.activity_date + 30
        end as change_date,
        case when kinds.kind = 1 then 1 else 0 end as dau_change,
        case kinds.kind when 2 then 1 when 3 then -1 else 0 end as wau_change,
        case kinds.kind when 4 then 1 when 5 then -1 else 0 end as mau_change
    from active_days
    cross join (values (1), (2), (3), (4), (5)) as kinds (kind)
),

-- changes before period_start are folded into period_start
daily_changes as (
    select
        greatest(changes.change_date, params.period_start) as change_date,
        -- DAU counts only the day itself (an active day before period_start is not folded in)
        sum(case when changes.change_date >= params.period_start then changes.dau_change else 0 end)
            as dau_change,
        sum(changes.wau_change) as wau_change,
        sum(changes.mau_change) as mau_change
    from changes
    cross join params
    group by greatest(changes.change_date, params.period_start)
),

rolling as (
    select
        calendar.activity_date,
        cast(coalesce(daily_changes.dau_change, 0) as bigint) as dau,
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
