-- name: trials
-- version: 1
-- depends: stg_subscriptions
-- grain: one row
-- description: trials ($0 subscriptions, never counted as paid): trials started on or before as_of_date, trial users, trials whose 30-day conversion window (trial start .. start + 30 days) is observable, how many of those converted (a paid subscription of the same user and workspace starting in the window), trial -> paid conversion among them, trials still in their window, trials active on as_of_date
with params as (
    select as_of_date from config.params
),

trials as (
    select
        subscription_id,
        user_id,
        workspace_id,
        started_at,
        start_date,
        end_date
    from analytics.stg_subscriptions
    where is_trial
),

-- converted: a paid subscription (monthly_revenue > 0) of the same user and workspace
-- starting at or after the trial start and at most 30 days after it
converted as (
    select
        trials.subscription_id,
        min(paid.started_at) as converted_at
    from trials
    inner join analytics.stg_subscriptions as paid
        on paid.user_id = trials.user_id
        and paid.workspace_id = trials.workspace_id
        and paid.is_paid
        and paid.started_at >= trials.started_at
        and paid.started_at <= trials.started_at + interval '30 days'
    group by trials.subscription_id
),

-- the window is observable once its last day (start_date + 30) is on or before as_of_date
flags as (
    select
        trials.user_id,
        trials.start_date + 30 <= params.as_of_date as is_observable,
        converted.subscription_id is not null as is_converted,
        trials.end_date is null or trials.end_date > params.as_of_date as is_active_at_end
    from trials
    cross join params
    left join converted
        on converted.subscription_id = trials.subscription_id
),

final as (
    select
        cast(count(*) as bigint) as trials_started,
        cast(count(distinct user_id) as bigint) as trial_users,
        cast(count(*) filter (where is_observable) as bigint) as observable_trials,
        cast(count(*) filter (where is_observable and is_converted) as bigint) as converted_trials,
        cast(count(*) filter (where is_observable and is_converted) as double precision)
            / nullif(count(*) filter (where is_observable), 0) as trial_conversion,
        cast(count(*) filter (where not is_observable) as bigint) as pending_trials,
        cast(count(*) filter (where is_active_at_end) as bigint) as active_trials_at_end
    from flags
)

select * from final
