-- name: lifecycle_weekly
-- version: 2
-- depends: user_weeks
-- grain: one row per complete ISO week (all seven days within period_start..as_of_date)
-- description: PostHog lifecycle per week: new (first-ever active week), returning (active this and the previous week), resurrecting (active this week, not the previous, active before), dormant (active the previous week, not this one; negative count)
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
    cross join params
    where week_series.week_start >= params.period_start
        and week_series.week_start + 6 <= params.as_of_date
),

user_weeks as (
    select
        user_id,
        week_start,
        lag(week_start) over (partition by user_id order by week_start) as previous_week,
        lead(week_start) over (partition by user_id order by week_start) as next_week
    from analytics.user_weeks
),

-- each active user-week is classified once; a user whose next active week is not the
-- following one becomes dormant in the following week
statuses as (
    select
        week_start,
        case
            when previous_week is null then 'new'
            when previous_week = week_start - 7 then 'returning'
            else 'resurrecting'
        end as status
    from user_weeks
    union all
    select
        week_start + 7,
        'dormant'
    from user_weeks
    where next_week is null or next_week <> week_start + 7
),

counts as (
    select
        week_start,
        cast(count(*) filter (where status = 'new') as bigint) as new_users,
        cast(count(*) filter (where status = 'returning') as bigint) as returning_users,
        cast(count(*) filter (where status = 'resurrecting') as bigint) as resurrecting_users,
        cast(count(*) filter (where status = 'dormant') as bigint) as dormant_users
    from statuses
    group by week_start
),

final as (
    select
        weeks.week_start,
        coalesce(counts.new_users, cast(0 as bigint)) as new_users,
        coalesce(counts.returning_users, cast(0 as bigint)) as returning_users,
        coalesce(counts.resurrecting_users, cast(0 as bigint)) as resurrecting_users,
        -coalesce(counts.dormant_users, cast(0 as bigint)) as dormant_users,
        coalesce(counts.new_users + counts.returning_users + counts.resurrecting_users, cast(0 as bigint))
            as active_users
    from weeks
    left join counts
        on counts.week_start = weeks.week_start
)

select * from final
