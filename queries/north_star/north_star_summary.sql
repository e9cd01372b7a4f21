-- name: north_star_summary
-- version: 3
-- depends: north_star_weekly
-- grain: one row
-- description: North Star v2 headline: WACW of the latest complete ISO week and the mean of the last 4 complete weeks, target, gap (value - target, negative when short), values 4 and 12 weeks earlier, v1 count of the latest week (v1_value), its wacw_share with Wilson interval, and the trend over 12 and 52 weeks: the mean of the last 4 complete weeks minus the mean of the 4 weeks ending 12 (52) weeks earlier, with a 95% interval from the week-to-week noise (change +- z * sd(week-to-week differences over the last 52 complete weeks) / 2); rising / falling only when the interval excludes 0, else 'no detectable change'; value scaled to the population
with params as (
    select north_star_target, sample_users, population_users from config.params
),

-- complete weeks numbered back from the latest (0 = latest)
complete_weeks as (
    select
        week_start,
        wacw,
        collaborative_workspaces,
        wacw_share,
        wacw_share_n,
        wacw_share_ci_low,
        wacw_share_ci_high,
        row_number() over (order by week_start desc) - 1 as weeks_back,
        wacw - lag(wacw) over (order by week_start) as week_to_week_difference
    from analytics.north_star_weekly
    where is_complete_week
),

-- noise: the week-to-week differences of the last 52 complete weeks (51 differences). With
-- independent weekly noise of variance s^2, a difference has variance 2 s^2 and the difference
-- of two 4-week means s^2 / 2, i.e. var(differences) / 4: its standard error is sd / 2
noise as (
    select
        cast(stddev_samp(week_to_week_difference) as double precision) as week_noise_sd,
        cast(count(week_to_week_difference) as bigint) as noise_weeks
    from complete_weeks
    where weeks_back < 51
),

windows as (
    select
        max(week_start) filter (where weeks_back = 0) as week_start,
        max(wacw) filter (where weeks_back = 0) as value,
        max(collaborative_workspaces) filter (where weeks_back = 0) as v1_value,
        max(wacw_share) filter (where weeks_back = 0) as wacw_share,
        max(wacw_share_n) filter (where weeks_back = 0) as wacw_share_n,
        max(wacw_share_ci_low) filter (where weeks_back = 0) as wacw_share_ci_low,
        max(wacw_share_ci_high) filter (where weeks_back = 0) as wacw_share_ci_high,
        max(wacw) filter (where weeks_back = 4) as value_4_weeks_earlier,
        max(wacw) filter (where weeks_back = 12) as value_12_weeks_earlier,
        -- a mean needs all four of its weeks
        case when count(*) filter (where weeks_back < 4) = 4
            then avg(cast(wacw as double precision)) filter (where weeks_back < 4)
        end as mean_4_weeks,
        case when count(*) filter (where weeks_back between 12 and 15) = 4
            then avg(cast(wacw as double precision)) filter (where weeks_back between 12 and 15)
        end as mean_4_weeks_12_weeks_earlier,
        case when count(*) filter (where weeks_back between 52 and 55) = 4
            then avg(cast(wacw as double precision)) filter (where weeks_back between 52 and 55)
        end as mean_4_weeks_52_weeks_earlier
    from complete_weeks
),

changes as (
    select
        windows.*,
        noise.week_noise_sd,
        noise.noise_weeks,
        windows.mean_4_weeks - windows.mean_4_weeks_12_weeks_earlier as change_12_weeks,
        windows.mean_4_weeks - windows.mean_4_weeks_52_weeks_earlier as change_52_weeks,
        -- z * sd / 2; NULL with fewer than 3 differences (too little noise estimate)
        case when noise.noise_weeks >= 3 then 1.959963984540054 * noise.week_noise_sd / 2 end as change_margin
    from windows
    cross join noise
),

final as (
    select
        changes.week_start,
        changes.value,
        changes.mean_4_weeks,
        params.north_star_target as target,
        changes.value - params.north_star_target as gap,
        changes.value_4_weeks_earlier,
        changes.value_12_weeks_earlier,
        changes.v1_value,
        changes.wacw_share,
        changes.wacw_share_n,
        changes.wacw_share_ci_low,
        changes.wacw_share_ci_high,
        changes.week_noise_sd,
        changes.noise_weeks,
        changes.mean_4_weeks_12_weeks_earlier,
        changes.change_12_weeks,
        changes.change_12_weeks - changes.change_margin as change_12_weeks_ci_low,
        changes.change_12_weeks + changes.change_margin as change_12_weeks_ci_high,
        case
            when changes.change_12_weeks is null or changes.change_margin is null then null
            when changes.change_12_weeks - changes.change_margin > 0 then 'rising'
            when changes.change_12_weeks + changes.change_margin < 0 then 'falling'
            else 'no detectable change'
        end as trend_12_weeks,
        changes.mean_4_weeks_52_weeks_earlier,
        changes.change_52_weeks,
        changes.change_52_weeks - changes.change_margin as change_52_weeks_ci_low,
        changes.change_52_weeks + changes.change_margin as change_52_weeks_ci_high,
        case
            when changes.change_52_weeks is null or changes.change_margin is null then null
            when changes.change_52_weeks - changes.change_margin > 0 then 'rising'
            when changes.change_52_weeks + changes.change_margin < 0 then 'falling'
            else 'no detectable change'
        end as trend_52_weeks,
        cast(changes.value as double precision) * params.population_users
            / nullif(params.sample_users, 0) as population_value
    from changes
    cross join params
)

select * from final
