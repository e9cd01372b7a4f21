-- name: activation_speed_retention
-- version: 1
-- depends: user_milestones, user_months
-- grain: one row per activation speed: fast, slow, never, rest (slow + never)
-- description: month-1 retention by activation speed (fast = first page_create < 24 h after signup; slow = activated at day_n < 7 but not fast; never = not activated), month-1 observable users only
with params as (
    select as_of_date from config.params
),

-- month 1 = day_n 30..59, observable when signup_date + 59 <= as_of_date
observable_users as (
    select
        user_milestones.user_id,
        case
            when user_milestones.is_fast_activator then 'fast'
            when user_milestones.is_activated then 'slow'
            else 'never'
        end as activation_speed,
        user_months.user_id is not null as is_retained
    from analytics.user_milestones as user_milestones
    cross join params
    left join analytics.user_months as user_months
        on user_months.user_id = user_milestones.user_id
        and user_months.month_n = 1
    where user_milestones.signup_date + 59 <= params.as_of_date
),

grouped as (
    select activation_speed, is_retained from observable_users
    union all
    -- 'rest' = everyone who is not a fast activator (the C11 comparison group)
    select 'rest', is_retained from observable_users where activation_speed <> 'fast'
),

speeds as (
    select speed, speed_order
    from (values ('fast', 1), ('slow', 2), ('never', 3), ('rest', 4)) as speed_list (speed, speed_order)
),

final as (
    select
        cast(speeds.speed as varchar) as activation_speed,
        cast(speeds.speed_order as integer) as speed_order,
        cast(count(grouped.activation_speed) as bigint) as users,
        cast(count(*) filter (where grouped.is_retained) as bigint) as retained_users,
        cast(count(*) filter (where grouped.is_retained) as double precision)
            / nullif(count(grouped.activation_speed), 0) as month1_retention
    from speeds
    left join grouped
        on grouped.activation_speed = speeds.speed
    group by speeds.speed, speeds.speed_order
)

select * from final
