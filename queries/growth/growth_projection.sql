-- name: growth_projection
-- version: 3
-- depends: growth_levers, funnel_stages
-- grain: one row per projected month 1..projection_months
-- description: 12-month projection of the top 3 levers combined: signups growing monthly, each lever's lift ramping linearly to full over its ramp_months, new paying users with and without levers, accumulated extra paying users, extra MRR and cumulative extra revenue (population scale)
with params as (
    select * from config.params
),

top_levers as (
    select
        growth_levers.lever_id,
        growth_levers.lever_name,
        growth_levers.target_stage,
        growth_levers.expected_lift,
        config_levers.ramp_months
    from analytics.growth_levers as growth_levers
    inner join config.growth_levers as config_levers
        on config_levers.lever_id = growth_levers.lever_id
    where growth_levers.lever_rank <= 3
        and growth_levers.score is not null
),

-- the (at most 3) top levers' names joined by ' + ' in lever_id order; NULL when none
lever_names as (
    select
        max(case when ranked.rn = 1 then ranked.lever_name end)
        || coalesce(' + ' || max(case when ranked.rn = 2 then ranked.lever_name end), '')
        || coalesce(' + ' || max(case when ranked.rn = 3 then ranked.lever_name end), '') as levers
    from (
        select lever_name, row_number() over (order by lever_id) as rn
        from top_levers
    ) as ranked
),

baseline as (
    select
        max(annual_signups) as annual_signups,
        max(baseline_overall_conversion) as baseline_overall_conversion
    from analytics.growth_levers
),

months as (
    select numbers.n as month_number
    from params
    inner join config.numbers as numbers
        on numbers.n between 1 and params.projection_months
),

stages as (
    select stage_order, stage_name, step_conversion
    from analytics.funnel_stages
    where stage_order >= 2
),

-- lift of each stage in month m: sum of the active levers' expected lifts, each ramped
-- linearly (m / ramp_months, full from month ramp_months on); the rate is capped at 1
stage_rates as (
    select
        months.month_number,
        stages.stage_order,
        stages.step_conversion as base_rate,
        -- least() skips NULLs: an unmeasured step stays NULL, not 100%
        case when stages.step_conversion is not null then least(
            stages.step_conversion * (
                1 + coalesce(
                    sum(
                        top_levers.expected_lift
                        * least(cast(months.month_number as double precision) / top_levers.ramp_months, 1.0)
                    ),
                    0
                )
            ),
            1.0
        ) end as lifted_rate
    from months
    cross join stages
    left join top_levers
        on top_levers.target_stage = stages.stage_name
    group by months.month_number, stages.stage_order, stages.step_conversion
),

monthly_rates as (
    select
        month_number,
        -- more signups from the same visits: lifted / baseline awareness -> signup rate
        max(case when stage_order = 2 then lifted_rate / nullif(base_rate, 0) end) as signup_multiplier,
        max(case when stage_order = 3 then lifted_rate end)
            * max(case when stage_order = 4 then lifted_rate end)
            * max(case when stage_order = 5 then lifted_rate end)
            * max(case when stage_order = 6 then lifted_rate end)
            * max(case when stage_order = 7 then lifted_rate end) as combined_overall_conversion
    from stage_rates
    group by month_number
),

projected as (
    select
        monthly_rates.month_number,
        baseline.annual_signups / 12
            * power(cast(1 + params.signup_growth_monthly as double precision), monthly_rates.month_number)
            as signups,
        coalesce(monthly_rates.signup_multiplier, 1.0) as signup_multiplier,
        baseline.baseline_overall_conversion,
        monthly_rates.combined_overall_conversion,
        cast(params.arpu_monthly as double precision) as arpu_monthly
    from monthly_rates
    cross join baseline
    cross join params
),

paying as (
    select
        projected.*,
        signups * baseline_overall_conversion as new_paying_baseline,
        signups * signup_multiplier * combined_overall_conversion as new_paying_with_levers
    from projected
),

-- extra paying users accumulate (new users each month, no stock summed twice); MRR is the stock x ARPU
accumulated as (
    select
        paying.*,
        new_paying_with_levers - new_paying_baseline as extra_new_paying,
        sum(new_paying_with_levers - new_paying_baseline) over (
            order by month_number rows between unbounded preceding and current row
        ) as cumulative_extra_paying
    from paying
),

final as (
    select
        accumulated.month_number,
        lever_names.levers,
        cast(accumulated.signups as double precision) as signups,
        cast(accumulated.signup_multiplier as double precision) as signup_multiplier,
        cast(accumulated.baseline_overall_conversion as double precision) as baseline_overall_conversion,
        cast(accumulated.combined_overall_conversion as double precision) as combined_overall_conversion,
        cast(accumulated.new_paying_baseline as double precision) as new_paying_baseline,
        cast(accumulated.new_paying_with_levers as double precision) as new_paying_with_levers,
        cast(accumulated.extra_new_paying as double precision) as extra_new_paying,
        cast(accumulated.cumulative_extra_paying as double precision) as cumulative_extra_paying,
        cast(accumulated.cumulative_extra_paying * accumulated.arpu_monthly as double precision) as extra_mrr,
        cast(
            sum(accumulated.cumulative_extra_paying * accumulated.arpu_monthly) over (
                order by accumulated.month_number rows between unbounded preceding and current row
            ) as double precision
        ) as cumulative_extra_revenue
    from accumulated
    cross join lever_names
)

select * from final
