-- name: check_within_period
-- version: 3
-- depends:
-- grain: one row per event, visit or signup dated before period_start, or (generated data) after period_end
-- description: every event, visit and signup falls within the configured period; in ingested data rows after period_end are the partial last day after as_of_date: counted in data_availability, outside every metric, not a failure
with params as (
    select period_start, period_end, data_source from config.params
),

dated as (
    select 'raw.events' as table_name, event_id as id, cast(occurred_at as date) as row_date from raw.events
    union all
    select 'raw.visits', visit_id, cast(visited_at as date) from raw.visits
    union all
    select 'raw.users', user_id, cast(signup_at as date) from raw.users
),

final as (
    select
        cast(dated.table_name as varchar) as table_name,
        dated.id,
        dated.row_date
    from dated
    cross join params
    where dated.row_date < params.period_start
        or (params.data_source = 'generated' and dated.row_date > params.period_end)
)

select * from final
