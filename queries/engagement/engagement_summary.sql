-- name: engagement_summary
-- version: 1
-- depends: dau_mau
-- grain: one row
-- description: DAU, WAU, MAU and stickiness (DAU / MAU) on as_of_date, their averages over the 30 days ending as_of_date, and the stickiness benchmark
with params as (
    select as_of_date, stickiness_benchmark from config.params
),

latest as (
    select dau_mau.*
    from analytics.dau_mau as dau_mau
    inner join params
        on params.as_of_date = dau_mau.activity_date
),

last_30_days as (
    select
        cast(avg(dau_mau.dau) as double precision) as avg_dau_30d,
        cast(avg(dau_mau.wau) as double precision) as avg_wau_30d,
        cast(avg(dau_mau.mau) as double precision) as avg_mau_30d,
        -- mean of the daily ratios (days with MAU = 0 have no ratio and are skipped)
        cast(avg(dau_mau.stickiness) as double precision) as avg_stickiness_30d,
        cast(avg(dau_mau.dau_wau) as double precision) as avg_dau_wau_30d
    from analytics.dau_mau as dau_mau
    cross join params
    where dau_mau.activity_date between params.as_of_date - 29 and params.as_of_date
),

final as (
    select
        params.as_of_date,
        latest.dau,
        latest.wau,
        latest.mau,
        latest.stickiness,
        latest.dau_wau,
        last_30_days.avg_dau_30d,
        last_30_days.avg_wau_30d,
        last_30_days.avg_mau_30d,
        last_30_days.avg_stickiness_30d,
        last_30_days.avg_dau_wau_30d,
        cast(params.stickiness_benchmark as double precision) as stickiness_benchmark,
        last_30_days.avg_stickiness_30d >= params.stickiness_benchmark as meets_benchmark
    from params
    cross join last_30_days
    left join latest
        on true
)

select * from final
