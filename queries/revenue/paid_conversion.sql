-- name: paid_conversion
-- version: 1
-- depends: user_milestones
-- grain: one row per dimension value: ('all', 'all'), ('segment', <segment>), ('channel', <channel>)
-- description: paid conversion (users with a subscription started on or before as_of_date / users) and paid at the end (subscription active on as_of_date / users)
with users as (
    select segment, acquisition_channel, has_paid, is_paid_at_end
    from analytics.user_milestones
),

dimensioned as (
    select 'all' as dimension, 'all' as dimension_value, has_paid, is_paid_at_end from users
    union all
    select 'segment', segment, has_paid, is_paid_at_end from users
    union all
    select 'channel', acquisition_channel, has_paid, is_paid_at_end from users
),

final as (
    select
        cast(dimension as varchar) as dimension,
        cast(dimension_value as varchar) as dimension_value,
        cast(count(*) as bigint) as users,
        cast(count(*) filter (where has_paid) as bigint) as paid_users,
        cast(count(*) filter (where has_paid) as double precision) / count(*) as paid_conversion,
        cast(count(*) filter (where is_paid_at_end) as bigint) as paid_at_end_users,
        cast(count(*) filter (where is_paid_at_end) as double precision) / count(*) as paid_at_end_rate
    from dimensioned
    group by dimension, dimension_value
)

select * from final
