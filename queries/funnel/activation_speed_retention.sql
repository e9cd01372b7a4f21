-- name: activation_speed_retention
-- version: 2
-- depends: user_milestones, user_months
-- grain: one row per activation speed: fast, slow, never, rest (slow + never)
-- description: month-1 retention by activation speed (fast = first page_create < 24 h after signup; slow = activated at day_n < 7 but not fast; never = not activated), month-1 observable users only; month1_retention with its n and 95% Wilson interval; each row compared with the fast activators: fast_difference (fast - this row, Newcombe hybrid score interval) and fast_ratio (fast / this row, Katz log interval); fast vs slow compares two activated groups, fast vs rest also mixes in users who never activated, and neither is a causal effect
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

counted as (
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
),

-- 95% Wilson score interval of x successes in n: (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2/4)) / (n + z^2),
-- z = 1.959963984540054 (z^2 = 3.8414588206941254); NULL when n = 0
wilson as (
    select
        counted.*,
        users as month1_retention_n,
        (cast(retained_users as double precision) + 1.9207294103470627
            - 1.959963984540054 * sqrt(cast(retained_users as double precision) * (cast(nullif(users, 0) as double precision) - cast(retained_users as double precision)) / cast(nullif(users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(users, 0) as double precision) + 3.8414588206941254) as month1_retention_ci_low,
        (cast(retained_users as double precision) + 1.9207294103470627
            + 1.959963984540054 * sqrt(cast(retained_users as double precision) * (cast(nullif(users, 0) as double precision) - cast(retained_users as double precision)) / cast(nullif(users, 0) as double precision) + 0.9603647051735313))
            / (cast(nullif(users, 0) as double precision) + 3.8414588206941254) as month1_retention_ci_high
    from counted
),

fast as (
    select
        retained_users as fast_retained,
        users as fast_users,
        month1_retention as fast_rate,
        month1_retention_ci_low as fast_ci_low,
        month1_retention_ci_high as fast_ci_high
    from wilson
    where activation_speed = 'fast'
),

-- fast vs this row. Difference: Newcombe's hybrid score interval from the two Wilson intervals,
-- d - sqrt((p1 - l1)^2 + (u2 - p2)^2) .. d + sqrt((u1 - p1)^2 + (p2 - l2)^2) with 1 = fast, 2 = this row.
-- Ratio: Katz log interval, exp(ln(r) -+ z sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)), NULL when a group
-- has no retained user
final as (
    select
        wilson.*,
        case when wilson.activation_speed <> 'fast' then fast.fast_rate - wilson.month1_retention end
            as fast_difference,
        case when wilson.activation_speed <> 'fast' then
            fast.fast_rate - wilson.month1_retention
            - sqrt(
                (fast.fast_rate - fast.fast_ci_low) * (fast.fast_rate - fast.fast_ci_low)
                + (wilson.month1_retention_ci_high - wilson.month1_retention)
                * (wilson.month1_retention_ci_high - wilson.month1_retention)
            )
        end as fast_difference_ci_low,
        case when wilson.activation_speed <> 'fast' then
            fast.fast_rate - wilson.month1_retention
            + sqrt(
                (fast.fast_ci_high - fast.fast_rate) * (fast.fast_ci_high - fast.fast_rate)
                + (wilson.month1_retention - wilson.month1_retention_ci_low)
                * (wilson.month1_retention - wilson.month1_retention_ci_low)
            )
        end as fast_difference_ci_high,
        case when wilson.activation_speed <> 'fast' then fast.fast_rate / nullif(wilson.month1_retention, 0) end
            as fast_ratio,
        case when wilson.activation_speed <> 'fast' and fast.fast_retained > 0 and wilson.retained_users > 0 then
            exp(
                ln(fast.fast_rate / wilson.month1_retention)
                - 1.959963984540054 * sqrt(
                    1 / cast(fast.fast_retained as double precision) - 1 / cast(fast.fast_users as double precision)
                    + 1 / cast(wilson.retained_users as double precision) - 1 / cast(wilson.users as double precision)
                )
            )
        end as fast_ratio_ci_low,
        case when wilson.activation_speed <> 'fast' and fast.fast_retained > 0 and wilson.retained_users > 0 then
            exp(
                ln(fast.fast_rate / wilson.month1_retention)
                + 1.959963984540054 * sqrt(
                    1 / cast(fast.fast_retained as double precision) - 1 / cast(fast.fast_users as double precision)
                    + 1 / cast(wilson.retained_users as double precision) - 1 / cast(wilson.users as double precision)
                )
            )
        end as fast_ratio_ci_high
    from wilson
    left join fast
        on true
)

select * from final
