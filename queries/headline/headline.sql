-- name: headline
-- version: 2
-- depends: north_star_summary, activation_summary, paid_conversion, account_metrics_monthly
-- grain: one row
-- description: headline figures of this run (North Star v2 of the latest complete week, activation rate, paid conversion within the monetization window among observable users, MRR and paying accounts of the as-of month) beside those of the latest earlier as-of date in meta.run_history, and the change (NULL without an earlier run)
with params as (
    select as_of_date from config.params
),

current_figures as (
    select
        params.as_of_date,
        (select north_star_summary.value from analytics.north_star_summary) as north_star,
        (
            select activation_summary.activation_rate
            from analytics.activation_summary
            where activation_summary.dimension = 'all' and activation_summary.dimension_value = 'all'
        ) as activation_rate,
        (
            select paid_conversion.paid_in_window_conversion
            from analytics.paid_conversion
            where paid_conversion.dimension = 'all' and paid_conversion.dimension_value = 'all'
        ) as paid_conversion,
        (
            select accounts.mrr
            from analytics.account_metrics_monthly as accounts
            where accounts.month = (select max(month) from analytics.account_metrics_monthly)
        ) as mrr,
        (
            select accounts.paying_accounts
            from analytics.account_metrics_monthly as accounts
            where accounts.month = (select max(month) from analytics.account_metrics_monthly)
        ) as paying_accounts
    from params
),

previous_run as (
    select history.*
    from meta.run_history as history
    where history.as_of_date = (
        select max(earlier.as_of_date)
        from meta.run_history as earlier
        where earlier.as_of_date < (select as_of_date from params)
    )
)

select
    current_figures.as_of_date,
    cast(current_figures.north_star as bigint) as north_star,
    cast(current_figures.activation_rate as double precision) as activation_rate,
    cast(current_figures.paid_conversion as double precision) as paid_conversion,
    cast(current_figures.mrr as double precision) as mrr,
    cast(current_figures.paying_accounts as bigint) as paying_accounts,
    previous_run.as_of_date as previous_as_of_date,
    previous_run.north_star as previous_north_star,
    previous_run.activation_rate as previous_activation_rate,
    previous_run.paid_conversion as previous_paid_conversion,
    previous_run.mrr as previous_mrr,
    previous_run.paying_accounts as previous_paying_accounts,
    cast(current_figures.north_star - previous_run.north_star as bigint) as north_star_change,
    cast(current_figures.activation_rate - previous_run.activation_rate as double precision) as activation_rate_change,
    cast(current_figures.paid_conversion - previous_run.paid_conversion as double precision) as paid_conversion_change,
    cast(current_figures.mrr - previous_run.mrr as double precision) as mrr_change,
    cast(current_figures.paying_accounts - previous_run.paying_accounts as bigint) as paying_accounts_change
from current_figures
left join previous_run on 1 = 1
