-- name: funnel_stages
-- version: 4
-- depends: stg_visits, user_funnel
-- grain: one row per funnel stage (7)
-- description: strict seven-stage funnel of the funnel cohort: users (visits for awareness), converted (attributed visits for signup, users otherwise), step and overall conversion (step with step_conversion_n and its 95% Wilson interval), signups without a tracked visit, drop-off, median hours from the previous stage, largest drop-off
with params as (
    select * from config.params
),

stages as (
    select stage_order, stage_name from config.funnel_stages
),

-- awareness: visits dated within the cohort's signup span (visits are anonymous, so they are counted, not users);
-- the awareness -> signup step counts attributed visits among them (visits by a user who signed up), one unit
-- on both sides (as C7). NULL (unknown) when the warehouse holds no visits at all, e.g. ingested data without a visits file
has_visits as (
    select exists (select 1 from analytics.stg_visits) as has_visits
),

awareness as (
    select
        case when has_visits.has_visits then cast(count(stg_visits.visit_id) as bigint) end as users,
        case
            when has_visits.has_visits
                then cast(count(stg_visits.visit_id) filter (where stg_visits.is_attributed) as bigint)
        end as attributed_visits
    from has_visits
    cross join params
    left join analytics.stg_visits as stg_visits
        on stg_visits.visit_date <= params.as_of_date - params.monetization_window_days + 1
        and stg_visits.visit_date >= params.period_start
    group by has_visits.has_visits
),

-- funnel cohort signups with no tracked visit (no visit carries their user_id): they count
-- as signups but not in the awareness -> signup step
tracked_users as (
    select distinct user_id from analytics.stg_visits where user_id is not null
),

untracked as (
    select
        case
            when has_visits.has_visits then (
                select cast(count(*) as bigint)
                from analytics.user_funnel as user_funnel
                left join tracked_users
                    on tracked_users.user_id = user_funnel.user_id
                where tracked_users.user_id is null
            )
        end as signups_without_visit
    from has_visits
),

-- one row per user and reached stage 2..7, with the time of the previous stage
user_stages as (
    select user_id, 2 as stage_order, signup_at as reached_at, cast(null as timestamp) as previous_at
    from analytics.user_funnel
    union all
    select user_id, 3, activated_at, signup_at
    from analytics.user_funnel where activated_at is not null
    union all
    select user_id, 4, engaged_at, activated_at
    from analytics.user_funnel where engaged_at is not null
    union all
    select user_id, 5, habit_at, engaged_at
    from analytics.user_funnel where habit_at is not null
    union all
    select user_id, 6, collaborated_at, habit_at
    from analytics.user_funnel where collaborated_at is not null
    union all
    select user_id, 7, monetized_at, collaborated_at
    from analytics.user_funnel where monetized_at is not null
),

stage_users as (
    select
        stage_order,
        cast(count(*) as bigint) as users,
        cast(
            percentile_cont(0.5) within group (
                order by (
                    cast(extract(epoch from reached_at) as double precision)
                    - cast(extract(epoch from previous_at) as double precision)
                ) / 3600
            ) as double precision
        ) as median_hours_from_previous_stage
    from user_stages
    group by stage_order
),

counts as (
    select
        stages.stage_order,
        stages.stage_name,
        case
            when stages.stage_order = 1 then awareness.users
            else coalesce(stage_users.users, cast(0 as bigint))
        end as users,
        -- units of the previous stage that reached this one: attributed visits for signup
        case
            when stages.stage_order = 1 then cast(null as bigint)
            when stages.stage_order = 2 then awareness.attributed_visits
            else coalesce(stage_users.users, cast(0 as bigint))
        end as converted,
        case when stages.stage_order = 2 then untracked.signups_without_visit end as signups_without_visit,
        stage_users.median_hours_from_previous_stage
    from stages
    cross join awareness
    cross join untracked
    left join stage_users
        on stage_users.stage_order = stages.stage_order
),

rates as (
    select
        stage_order,
        stage_name,
        users,
        converted,
        lag(users) over (order by stage_order) as previous_users,
        cast(converted as double precision)
            / nullif(lag(users) over (order by stage_order), 0) as step_conversion,
        case
            when stage_order >= 2
                then cast(users as double precision)
                    / nullif(max(case when stage_order = 2 then users end) over (), 0)
        end as overall_conversion,
        signups_without_visit,
        median_hours_from_previous_stage
    from counts
),

-- the largest drop-off of the product funnel, stages 3..7 (signup -> paid; ties: the
-- earliest stage). Awareness -> signup is a visit-level rate and is reported, not ranked.
ranked as (
    select
        rates.*,
        1 - step_conversion as drop_off,
        row_number() over (
            order by case when stage_order >= 3 then 1 - step_conversion end desc nulls last, stage_order
        ) as drop_off_rank
    from rates
),

-- 95% Wilson score interval of the step conversion, z = 1.959963984540054 (z^2 = 3.8414588206941254)
wilson as (
    select
        ranked.*,
        (step_conversion + 1.9207294103470627 / n) / (1 + 3.8414588206941254 / n) as center,
        1.959963984540054 / (1 + 3.8414588206941254 / n)
            * sqrt(step_conversion * (1 - step_conversion) / n + 0.9603647051735313 / (n * n)) as half_width
    from (select ranked.*, cast(nullif(previous_users, 0) as double precision) as n from ranked) as ranked
),

final as (
    select
        stage_order,
        stage_name,
        users,
        converted,
        previous_users,
        step_conversion,
        previous_users as step_conversion_n,
        center - half_width as step_conversion_ci_low,
        center + half_width as step_conversion_ci_high,
        overall_conversion,
        drop_off,
        signups_without_visit,
        median_hours_from_previous_stage,
        (drop_off_rank = 1 and drop_off is not null) as is_largest_drop_off
    from wilson
)

select * from final
