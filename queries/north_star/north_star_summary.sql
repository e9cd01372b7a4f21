-- name: north_star_summary
-- version: 2
-- depends: north_star_weekly
-- grain: one row
-- description: North Star headline: WACW of the latest complete ISO week, target, gap (value - target, negative when short), values 4 and 12 weeks earlier, value scaled to the population
with params as (
    select north_star_target, sample_users, population_users from config.params
),

latest as (
    select max(week_start) as week_start
    from analytics.north_star_weekly
    where is_complete_week
),

final as (
    select
        latest.week_start,
        current_week.collaborative_workspaces as value,
        params.north_star_target as target,
        current_week.collaborative_workspaces - params.north_star_target as gap,
        week_minus_4.collaborative_workspaces as value_4_weeks_earlier,
        week_minus_12.collaborative_workspaces as value_12_weeks_earlier,
        current_week.collaborative_workspaces - week_minus_12.collaborative_workspaces as change_12_weeks,
        -- the direction the report words the trend with (NULL when 12 weeks earlier is not in the data)
        case
            when current_week.collaborative_workspaces > week_minus_12.collaborative_workspaces then 'rising'
            when current_week.collaborative_workspaces < week_minus_12.collaborative_workspaces then 'falling'
            when week_minus_12.collaborative_workspaces is not null then 'flat'
        end as trend_12_weeks,
        cast(current_week.collaborative_workspaces as double precision) * params.population_users
            / nullif(params.sample_users, 0) as population_value
    from latest
    cross join params
    left join analytics.north_star_weekly as current_week
        on current_week.week_start = latest.week_start
    left join analytics.north_star_weekly as week_minus_4
        on week_minus_4.week_start = latest.week_start - 28
    left join analytics.north_star_weekly as week_minus_12
        on week_minus_12.week_start = latest.week_start - 84
)

select * from final
