//! Every chart and KPI tile, in one place: the query that reads its
//! analytics table(s) and how the rows map to a [`Figure`].
//!
//! Rust only selects, orders and reshapes rows here (a long table pivoted
//! into one series per segment); every number is computed by the SQL in
//! `queries/`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use duckdb::Connection;

use super::figure::{
    palette, thousands, Cartesian, Figure, Heatmap, Plot, Series, SeriesKind, Unit, XValues,
    REFERENCE_COLOR,
};
use super::ChartError;

/// One KPI tile of the dashboard.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KpiTile {
    pub label: &'static str,
    /// The headline value, formatted with its unit ("n/a" when the table has none).
    pub value: String,
    /// One line of context (target, window, date).
    pub detail: String,
    /// `good`, `bad` or `neutral`: colours the tile.
    pub status: &'static str,
    /// The analytics table it reads.
    pub source: &'static str,
}

/// A chart builder: reads its tables, returns the figure.
type Builder = fn(&Connection) -> Result<Figure, ChartError>;

/// The charts, in dashboard order.
pub const CHARTS: &[(&str, Builder)] = &[
    ("north_star", north_star),
    ("active_users", active_users),
    ("stickiness", stickiness),
    ("lifecycle", lifecycle),
    ("funnel", funnel),
    ("funnel_by_segment", funnel_by_segment),
    ("cohort_retention", cohort_retention),
    ("day_n_retention", day_n_retention),
    ("cohort_ltv", cohort_ltv),
    ("feature_adoption", feature_adoption),
    ("power_user_curve", power_user_curve),
    ("mrr", mrr),
    ("mrr_bridge", mrr_bridge),
    ("nrr_by_cohort", nrr_by_cohort),
    ("churn_rates", churn_rates),
    ("growth_levers", growth_levers),
    ("growth_projection", growth_projection),
    ("growth_sensitivity", growth_sensitivity),
];

/// Builds every figure in dashboard order.
///
/// # Errors
/// A missing table or column ([`ChartError::Query`]).
pub fn build_all(conn: &Connection) -> Result<Vec<Figure>, ChartError> {
    CHARTS.iter().map(|(_, build)| build(conn)).collect()
}

/// How money of the growth model is scaled: "population scale" when the
/// warehouse is a sample of a larger user base, "as measured" at scale 1
/// (ingested data is its own population).
fn scale_phrase(conn: &Connection, chart: &'static str) -> Result<&'static str, ChartError> {
    let scaled = read(
        conn,
        chart,
        "config.params",
        "select population_users <> sample_users from config.params",
        |row| row.get::<_, bool>(0),
    )?;
    Ok(if scaled.first().copied().unwrap_or(false) {
        "population scale"
    } else {
        "as measured"
    })
}

/// Runs `sql` and maps each row; errors name the chart and the table.
fn read<T>(
    conn: &Connection,
    chart: &'static str,
    table: &'static str,
    sql: &str,
    mut map: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
) -> Result<Vec<T>, ChartError> {
    let error = |source| ChartError::Query {
        chart,
        table,
        source,
    };
    let mut statement = conn.prepare(sql).map_err(error)?;
    let rows = statement.query_map([], |row| map(row)).map_err(error)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(error)
}

fn date(chart: &'static str, text: &str) -> Result<NaiveDate, ChartError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ChartError::BadValue {
        chart,
        value: text.to_string(),
        expected: "a date",
    })
}

fn dates(chart: &'static str, texts: &[String]) -> Result<Vec<NaiveDate>, ChartError> {
    texts.iter().map(|text| date(chart, text)).collect()
}

fn line(name: &str, index: usize, values: Vec<Option<f64>>) -> Series {
    Series {
        name: name.to_string(),
        kind: SeriesKind::Line,
        values,
        stack: None,
        color: palette(index),
    }
}

fn bar(name: &str, index: usize, values: Vec<Option<f64>>) -> Series {
    Series {
        kind: SeriesKind::Bar,
        ..line(name, index, values)
    }
}

fn reference(name: String, value: Option<f64>, points: usize) -> Series {
    Series {
        name,
        kind: SeriesKind::Reference,
        values: vec![value; points],
        stack: None,
        color: REFERENCE_COLOR,
    }
}

/// Long rows: `(series name, category, value)`.
type LongRow = (String, String, Option<f64>);
/// One named series of values aligned to the categories.
type NamedValues = (String, Vec<Option<f64>>);

/// Pivots long rows into one series per distinct name (in first-seen order)
/// over the categories in first-seen order; a missing cell is `None`.
fn pivot(rows: &[LongRow]) -> (Vec<String>, Vec<NamedValues>) {
    let mut categories: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(usize, usize), Option<f64>> = BTreeMap::new();
    for (name, category, value) in rows {
        let category_index = match categories.iter().position(|c| c == category) {
            Some(index) => index,
            None => {
                categories.push(category.clone());
                categories.len() - 1
            }
        };
        let name_index = match names.iter().position(|n| n == name) {
            Some(index) => index,
            None => {
                names.push(name.clone());
                names.len() - 1
            }
        };
        cells.insert((name_index, category_index), *value);
    }
    let series = names
        .into_iter()
        .enumerate()
        .map(|(name_index, name)| {
            let values = (0..categories.len())
                .map(|category_index| cells.get(&(name_index, category_index)).copied().flatten())
                .collect();
            (name, values)
        })
        .collect();
    (categories, series)
}

fn north_star(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "north_star";
    let rows = read(
        conn,
        NAME,
        "analytics.north_star_weekly",
        "select cast(week_start as varchar), cast(wacw as double), cast(collaborative_workspaces as double) \
         from analytics.north_star_weekly where is_complete_week order by week_start",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<f64>>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        },
    )?;
    let target = read(
        conn,
        NAME,
        "analytics.north_star_summary",
        "select cast(target as double) from analytics.north_star_summary",
        |row| row.get::<_, Option<f64>>(0),
    )?
    .into_iter()
    .next()
    .flatten();
    let weeks: Vec<String> = rows.iter().map(|(week, _, _)| week.clone()).collect();
    let values = rows.iter().map(|(_, value, _)| *value).collect();
    let v1_values = rows.iter().map(|(_, _, v1)| *v1).collect();
    let target_name = match target {
        Some(value) => format!("target ({})", Unit::Count.format(value)),
        None => "target".to_string(),
    };
    Ok(Figure {
        name: NAME,
        title: "North Star v2: weekly active collaborative workspaces".into(),
        source: "analytics.north_star_weekly, analytics.north_star_summary (complete ISO weeks)"
            .into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &weeks)?),
            x_label: "ISO week (Monday)".into(),
            x_unit: Unit::Count,
            y_label: "team workspaces with 2+ members active and collaborating".into(),
            y_unit: Unit::Count,
            series: vec![
                line("WACW (v2)", 0, values),
                line("v1: any collaborative action", 1, v1_values),
                reference(target_name, target, weeks.len()),
            ],
            horizontal: false,
        }),
    })
}

fn active_users(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "active_users";
    let rows = read(
        conn,
        NAME,
        "analytics.dau_mau",
        "select cast(activity_date as varchar), cast(dau as double), cast(wau as double), cast(mau as double) \
         from analytics.dau_mau order by activity_date",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<f64>>(1)?,
                row.get::<_, Option<f64>>(2)?,
                row.get::<_, Option<f64>>(3)?,
            ))
        },
    )?;
    let days: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    Ok(Figure {
        name: NAME,
        title: "Daily, weekly and monthly active users".into(),
        source: "analytics.dau_mau (WAU: 7-day window, MAU: 30-day window)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &days)?),
            x_label: "day".into(),
            x_unit: Unit::Count,
            y_label: "active users".into(),
            y_unit: Unit::Count,
            series: vec![
                line("DAU", 0, rows.iter().map(|row| row.1).collect()),
                line("WAU", 1, rows.iter().map(|row| row.2).collect()),
                line("MAU", 2, rows.iter().map(|row| row.3).collect()),
            ],
            horizontal: false,
        }),
    })
}

fn stickiness(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "stickiness";
    let rows = read(
        conn,
        NAME,
        "analytics.dau_mau",
        "select cast(activity_date as varchar), stickiness from analytics.dau_mau order by activity_date",
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<f64>>(1)?)),
    )?;
    let benchmark = read(
        conn,
        NAME,
        "analytics.engagement_summary",
        "select cast(stickiness_benchmark as double) from analytics.engagement_summary",
        |row| row.get::<_, Option<f64>>(0),
    )?
    .into_iter()
    .next()
    .flatten();
    let days: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let benchmark_name = match benchmark {
        Some(value) => format!("benchmark ({})", Unit::Percent.format(value)),
        None => "benchmark".to_string(),
    };
    Ok(Figure {
        name: NAME,
        title: "Stickiness (DAU / MAU) against the benchmark".into(),
        source: "analytics.dau_mau, analytics.engagement_summary".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &days)?),
            x_label: "day".into(),
            x_unit: Unit::Count,
            y_label: "DAU / MAU".into(),
            y_unit: Unit::Percent,
            series: vec![
                line("DAU/MAU", 0, rows.iter().map(|row| row.1).collect()),
                reference(benchmark_name, benchmark, days.len()),
            ],
            horizontal: false,
        }),
    })
}

fn lifecycle(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "lifecycle";
    let rows = read(
        conn,
        NAME,
        "analytics.lifecycle_weekly",
        "select cast(week_start as varchar), cast(new_users as double), cast(returning_users as double), \
         cast(resurrecting_users as double), cast(dormant_users as double) \
         from analytics.lifecycle_weekly order by week_start",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                [
                    row.get::<_, Option<f64>>(1)?,
                    row.get::<_, Option<f64>>(2)?,
                    row.get::<_, Option<f64>>(3)?,
                    row.get::<_, Option<f64>>(4)?,
                ],
            ))
        },
    )?;
    let weeks: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let series = ["new", "returning", "resurrecting", "dormant"]
        .iter()
        .enumerate()
        .map(|(index, name)| Series {
            stack: Some("users"),
            // dormant in grey-red so the negative bars read as loss
            color: if *name == "dormant" {
                "#d64550"
            } else {
                palette(index)
            },
            ..bar(name, index, rows.iter().map(|row| row.1[index]).collect())
        })
        .collect();
    Ok(Figure {
        name: NAME,
        title: "Weekly lifecycle: new, returning, resurrecting and dormant users".into(),
        source: "analytics.lifecycle_weekly (dormant shown below zero)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &weeks)?),
            x_label: "ISO week (Monday)".into(),
            x_unit: Unit::Count,
            y_label: "users".into(),
            y_unit: Unit::Count,
            series,
            horizontal: false,
        }),
    })
}

fn funnel(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "funnel";
    let rows = read(
        conn,
        NAME,
        "analytics.funnel_stages",
        "select stage_name, cast(users as double), overall_conversion \
         from analytics.funnel_stages order by stage_order",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<f64>>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        },
    )?;
    Ok(Figure {
        name: NAME,
        title: "Seven-stage funnel: users reaching each stage".into(),
        source: "analytics.funnel_stages (funnel cohort, strict order)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Categories(rows.iter().map(|row| row.0.clone()).collect()),
            x_label: "stage".into(),
            x_unit: Unit::Count,
            y_label: "users".into(),
            y_unit: Unit::Count,
            series: vec![bar("users", 0, rows.iter().map(|row| row.1).collect())],
            horizontal: true,
        }),
    })
}

fn funnel_by_segment(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "funnel_by_segment";
    let rows = read(
        conn,
        NAME,
        "analytics.funnel_by_dimension",
        "select dimension_value, stage_name, overall_conversion \
         from analytics.funnel_by_dimension where dimension = 'segment' \
         order by stage_order, dimension_value",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        },
    )?;
    let (stages, by_segment) = pivot(&rows);
    Ok(Figure {
        name: NAME,
        title: "Funnel by segment: share of signups reaching each stage".into(),
        source: "analytics.funnel_by_dimension (segment, overall conversion)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Categories(stages),
            x_label: "stage".into(),
            x_unit: Unit::Count,
            y_label: "share of signups".into(),
            y_unit: Unit::Percent,
            series: by_segment
                .into_iter()
                .enumerate()
                .map(|(index, (name, values))| bar(&name, index, values))
                .collect(),
            horizontal: false,
        }),
    })
}

fn cohort_retention(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "cohort_retention";
    let rows = read(
        conn,
        NAME,
        "analytics.cohort_retention",
        "select strftime(cohort_month, '%Y-%m'), cast(months_since_signup as bigint), retention_rate \
         from analytics.cohort_retention order by cohort_month, months_since_signup",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        },
    )?;
    let mut cohorts: Vec<String> = Vec::new();
    let mut months: Vec<i64> = rows.iter().map(|row| row.1).collect();
    months.sort_unstable();
    months.dedup();
    let mut cells = Vec::with_capacity(rows.len());
    for (cohort, month, value) in &rows {
        if cohorts.last() != Some(cohort) {
            cohorts.push(cohort.clone());
        }
        let x = months.binary_search(month).unwrap_or_default();
        cells.push((x, cohorts.len() - 1, *value));
    }
    Ok(Figure {
        name: NAME,
        title: "Cohort retention: share of each signup month active in month N".into(),
        source: "analytics.cohort_retention (blank: not yet observable for the whole cohort)"
            .into(),
        plot: Plot::Heatmap(Heatmap {
            x: months.iter().map(|month| month.to_string()).collect(),
            x_label: "months since signup (N)".into(),
            y: cohorts,
            y_label: "signup month".into(),
            cells,
            unit: Unit::Percent,
        }),
    })
}

fn day_n_retention(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "day_n_retention";
    let rows = read(
        conn,
        NAME,
        "analytics.day_n_retention",
        "select cast(day_number as double), on_day_rate, on_or_after_rate, in_window_rate \
         from analytics.day_n_retention order by day_number",
        |row| {
            Ok((
                row.get::<_, f64>(0)?,
                row.get::<_, Option<f64>>(1)?,
                row.get::<_, Option<f64>>(2)?,
                row.get::<_, Option<f64>>(3)?,
            ))
        },
    )?;
    Ok(Figure {
        name: NAME,
        title: "Day-N retention".into(),
        source: "analytics.day_n_retention (users whose day N is observable)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Numbers(rows.iter().map(|row| row.0).collect()),
            x_label: "days since signup (N)".into(),
            x_unit: Unit::Count,
            y_label: "share of users".into(),
            y_unit: Unit::Percent,
            series: vec![
                line("active on day N", 0, rows.iter().map(|row| row.1).collect()),
                line(
                    "active in days N..N+6",
                    2,
                    rows.iter().map(|row| row.3).collect(),
                ),
                line(
                    "active on or after day N, as of the end",
                    1,
                    rows.iter().map(|row| row.2).collect(),
                ),
            ],
            horizontal: false,
        }),
    })
}

/// Signup-relative months shown as LTV curves (month 0 is days 0..29).
const LTV_MONTHS: [i64; 4] = [0, 3, 6, 12];

fn cohort_ltv(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "cohort_ltv";
    let months = LTV_MONTHS.map(|month| month.to_string()).join(", ");
    let rows = read(
        conn,
        NAME,
        "analytics.cohort_ltv",
        &format!(
            "select 'by month ' || cast(months_since_signup as varchar), cast(cohort_month as varchar), ltv \
             from analytics.cohort_ltv where months_since_signup in ({months}) \
             order by months_since_signup, cohort_month"
        ),
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        },
    )?;
    let (cohorts, by_month) = pivot(&rows);
    // every month lists the same cohort grid, so first-seen order is cohort order
    Ok(Figure {
        name: NAME,
        title: "Cumulative billed revenue per signup, by signup cohort".into(),
        source:
            "analytics.cohort_ltv (cumulative billed revenue per signup; gaps: not yet observable)"
                .into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &cohorts)?),
            x_label: "signup month (cohort)".into(),
            x_unit: Unit::Count,
            y_label: "revenue per cohort user".into(),
            y_unit: Unit::Usd,
            series: by_month
                .into_iter()
                .enumerate()
                .map(|(index, (name, values))| line(&name, index, values))
                .collect(),
            horizontal: false,
        }),
    })
}

fn feature_adoption(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "feature_adoption";
    let rows = read(
        conn,
        NAME,
        "analytics.feature_adoption",
        "select segment, feature, adoption_rate from analytics.feature_adoption \
         order by segment <> 'all', segment, feature",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        },
    )?;
    let (features, by_segment) = pivot(&rows);
    Ok(Figure {
        name: NAME,
        title: "Feature adoption by segment".into(),
        source: "analytics.feature_adoption (users with at least one use / users of the segment)"
            .into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Categories(features),
            x_label: "feature (event type)".into(),
            x_unit: Unit::Count,
            y_label: "adopters / users".into(),
            y_unit: Unit::Percent,
            series: by_segment
                .into_iter()
                .enumerate()
                .map(|(index, (name, values))| bar(&name, index, values))
                .collect(),
            horizontal: false,
        }),
    })
}

fn power_user_curve(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "power_user_curve";
    let rows = read(
        conn,
        NAME,
        "analytics.power_user_curve",
        "select cast(active_days as varchar), share_of_active_users \
         from analytics.power_user_curve order by active_days",
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<f64>>(1)?)),
    )?;
    Ok(Figure {
        name: NAME,
        title: "Power-user curve (L28)".into(),
        source: "analytics.power_user_curve (users active in the 28 days ending as_of_date)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Categories(rows.iter().map(|row| row.0.clone()).collect()),
            x_label: "days active in the last 28 days".into(),
            x_unit: Unit::Count,
            y_label: "share of active users".into(),
            y_unit: Unit::Percent,
            series: vec![bar(
                "share of active users",
                0,
                rows.iter().map(|row| row.1).collect(),
            )],
            horizontal: false,
        }),
    })
}

fn mrr(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "mrr";
    let rows = read(
        conn,
        NAME,
        "analytics.mrr_monthly",
        "select cast(month_start as varchar), mrr from analytics.mrr_monthly order by month_start",
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<f64>>(1)?)),
    )?;
    let months: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    Ok(Figure {
        name: NAME,
        title: "Monthly recurring revenue".into(),
        source: "analytics.mrr_monthly (subscriptions active on the month's last day)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &months)?),
            x_label: "month".into(),
            x_unit: Unit::Count,
            y_label: "MRR (USD per month)".into(),
            y_unit: Unit::Usd,
            series: vec![line("MRR", 0, rows.iter().map(|row| row.1).collect())],
            horizontal: false,
        }),
    })
}

fn mrr_bridge(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "mrr_bridge";
    let rows = read(
        conn,
        NAME,
        "analytics.mrr_movements",
        "select cast(month_start as varchar), mrr_start, new_mrr, expansion_mrr, reactivation_mrr, \
         -contraction_mrr, -churned_mrr, mrr_end \
         from analytics.mrr_movements order by month_start",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                (1..=7)
                    .map(|index| row.get::<_, Option<f64>>(index))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        },
    )?;
    let months: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let column = |index: usize| rows.iter().map(|row| row.1[index]).collect::<Vec<_>>();
    let mut series: Vec<Series> = [
        "MRR at the start",
        "new",
        "expansion",
        "reactivation",
        "contraction",
        "churned",
    ]
    .iter()
    .enumerate()
    .map(|(index, name)| Series {
        stack: Some("mrr"),
        color: match *name {
            "MRR at the start" => "#c8ccd2",
            "contraction" => "#e8a33d",
            "churned" => "#d64550",
            _ => palette(index),
        },
        ..bar(name, index, column(index))
    })
    .collect();
    series.push(line("MRR at the end", 6, column(6)));
    Ok(Figure {
        name: NAME,
        title: "MRR bridge: new, expansion and reactivation on the starting MRR, contraction and churn below zero".into(),
        source: "analytics.mrr_movements (each account's change between month ends, classified once)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &months)?),
            x_label: "month".into(),
            x_unit: Unit::Count,
            y_label: "MRR (USD per month)".into(),
            y_unit: Unit::Usd,
            series,
            horizontal: false,
        }),
    })
}

fn nrr_by_cohort(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "nrr_by_cohort";
    let rows = read(
        conn,
        NAME,
        "analytics.net_revenue_retention",
        "select cast(cohort_month as varchar), nrr_3, nrr_6, nrr_12 \
         from analytics.net_revenue_retention where row_type = 'cohort' order by cohort_month",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                [
                    row.get::<_, Option<f64>>(1)?,
                    row.get::<_, Option<f64>>(2)?,
                    row.get::<_, Option<f64>>(3)?,
                ],
            ))
        },
    )?;
    let months: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let mut series: Vec<Series> = ["NRR at 3 months", "NRR at 6 months", "NRR at 12 months"]
        .iter()
        .enumerate()
        .map(|(index, name)| line(name, index, rows.iter().map(|row| row.1[index]).collect()))
        .collect();
    series.push(reference("100%".into(), Some(1.0), rows.len()));
    Ok(Figure {
        name: NAME,
        title: "Net revenue retention by account cohort (month of first payment)".into(),
        source: "analytics.net_revenue_retention (censored cells are gaps)".into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &months)?),
            x_label: "account cohort".into(),
            x_unit: Unit::Count,
            y_label: "NRR".into(),
            y_unit: Unit::Percent,
            series,
            horizontal: false,
        }),
    })
}

fn churn_rates(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "churn_rates";
    let rows = read(
        conn,
        NAME,
        "analytics.account_metrics_monthly",
        "select cast(month as varchar), logo_churn_rate, revenue_churn_rate, gross_revenue_churn_rate \
         from analytics.account_metrics_monthly where is_complete_month order by month",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                [
                    row.get::<_, Option<f64>>(1)?,
                    row.get::<_, Option<f64>>(2)?,
                    row.get::<_, Option<f64>>(3)?,
                ],
            ))
        },
    )?;
    let months: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let series = [
        "logo churn (accounts)",
        "cancelled-account revenue churn (MRR)",
        "gross revenue churn (cancelled + contraction MRR)",
    ]
    .iter()
    .enumerate()
    .map(|(index, name)| line(name, index, rows.iter().map(|row| row.1[index]).collect()))
    .collect();
    Ok(Figure {
        name: NAME,
        title: "Monthly churn of paying accounts: logo, cancelled-account and gross revenue churn"
            .into(),
        source:
            "analytics.account_metrics_monthly (complete months; against the previous month end)"
                .into(),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Dates(dates(NAME, &months)?),
            x_label: "month".into(),
            x_unit: Unit::Count,
            y_label: "churn rate per month".into(),
            y_unit: Unit::Percent,
            series,
            horizontal: false,
        }),
    })
}

fn growth_levers(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "growth_levers";
    let rows = read(
        conn,
        NAME,
        "analytics.growth_levers",
        "select lever_name, first_12_month_revenue_p10, first_12_month_revenue_p50, first_12_month_revenue_p90 \
         from analytics.growth_levers order by lever_rank, lever_id",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                [
                    row.get::<_, Option<f64>>(1)?,
                    row.get::<_, Option<f64>>(2)?,
                    row.get::<_, Option<f64>>(3)?,
                ],
            ))
        },
    )?;
    let series = ["P10", "P50", "P90"]
        .iter()
        .enumerate()
        .map(|(index, name)| bar(name, index, rows.iter().map(|row| row.1[index]).collect()))
        .collect();
    Ok(Figure {
        name: NAME,
        title: "Growth levers: first-12-month revenue, P10 / P50 / P90 (observational uplift)"
            .into(),
        source: format!(
            "analytics.growth_levers ({}, ranked by P50 x confidence)",
            scale_phrase(conn, NAME)?
        ),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Categories(rows.iter().map(|row| row.0.clone()).collect()),
            x_label: "lever".into(),
            x_unit: Unit::Count,
            y_label: "first-12-month revenue (USD)".into(),
            y_unit: Unit::Usd,
            series,
            horizontal: true,
        }),
    })
}

fn growth_projection(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "growth_projection";
    let rows = read(
        conn,
        NAME,
        "analytics.growth_projection",
        "select cast(month_number as double), cumulative_extra_revenue_p10, cumulative_extra_revenue_p50, \
         cumulative_extra_revenue_p90 from analytics.growth_projection order by month_number",
        |row| {
            Ok((
                row.get::<_, f64>(0)?,
                row.get::<_, Option<f64>>(1)?,
                row.get::<_, Option<f64>>(2)?,
                row.get::<_, Option<f64>>(3)?,
            ))
        },
    )?;
    Ok(Figure {
        name: NAME,
        title: format!(
            "{}-month projection: cumulative extra revenue, P10..P90",
            rows.len()
        ),
        source: format!(
            "analytics.growth_projection ({}, lifts ramping in, measured payment lag and churn)",
            scale_phrase(conn, NAME)?
        ),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Numbers(rows.iter().map(|row| row.0).collect()),
            x_label: "projected month".into(),
            x_unit: Unit::Count,
            y_label: "cumulative extra revenue (USD)".into(),
            y_unit: Unit::Usd,
            series: vec![
                line("P10", 0, rows.iter().map(|row| row.1).collect()),
                line("P50", 1, rows.iter().map(|row| row.2).collect()),
                line("P90", 2, rows.iter().map(|row| row.3).collect()),
            ],
            horizontal: false,
        }),
    })
}

/// Tornado of the top-ranked lever: its P50 first-12-month revenue when one
/// assumption moves a notch down (low) and up (high).
fn growth_sensitivity(conn: &Connection) -> Result<Figure, ChartError> {
    const NAME: &str = "growth_sensitivity";
    let rows = read(
        conn,
        NAME,
        "analytics.growth_sensitivity",
        "select sensitivity.lever_name, sensitivity.assumption, sensitivity.low_value, sensitivity.high_value \
         from analytics.growth_sensitivity as sensitivity \
         inner join analytics.growth_levers as growth on growth.lever_id = sensitivity.lever_id \
         where growth.lever_rank = 1 order by sensitivity.swing desc nulls last, sensitivity.assumption_order",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<f64>>(2)?,
                row.get::<_, Option<f64>>(3)?,
            ))
        },
    )?;
    let lever = rows.first().map_or_else(String::new, |row| row.0.clone());
    Ok(Figure {
        name: NAME,
        title: format!(
            "Sensitivity (tornado) of {lever}: P50 first-12-month revenue, one assumption a notch"
        ),
        source: format!(
            "analytics.growth_sensitivity ({}; a lever that cannot be valued has no bars)",
            scale_phrase(conn, NAME)?
        ),
        plot: Plot::Cartesian(Cartesian {
            x: XValues::Categories(rows.iter().map(|row| row.1.clone()).collect()),
            x_label: "assumption".into(),
            x_unit: Unit::Count,
            y_label: "first-12-month revenue (USD)".into(),
            y_unit: Unit::Usd,
            series: vec![
                bar("low notch", 0, rows.iter().map(|row| row.2).collect()),
                bar("high notch", 1, rows.iter().map(|row| row.3).collect()),
            ],
            horizontal: true,
        }),
    })
}

fn first_row<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

fn or_na(value: Option<f64>, unit: Unit) -> String {
    match (value, unit) {
        (None, _) => "n/a".to_string(),
        // a headline rate keeps one decimal: 60.2%, not 60%
        (Some(value), Unit::Percent) => format!("{:.1}%", value * 100.0),
        (Some(value), unit) => unit.format(value),
    }
}

fn exact_count(value: Option<f64>) -> String {
    value.map_or_else(
        || "n/a".to_string(),
        |value| thousands(value.round() as i64),
    )
}

/// The headline figures the KPI tiles show: one row of `analytics.headline`,
/// the same row the report's executive summary and summary.json read.
#[derive(Default)]
struct Headline {
    north_star: Option<f64>,
    north_star_target: Option<f64>,
    north_star_gap: Option<f64>,
    north_star_week: Option<String>,
    wau: Option<f64>,
    stickiness: Option<f64>,
    stickiness_benchmark: Option<f64>,
    meets_benchmark: Option<bool>,
    as_of_date: Option<String>,
    activation_rate: Option<f64>,
    activation_n: Option<f64>,
    activation_window_days: Option<i64>,
    paid_conversion: Option<f64>,
    paid_at_end_rate: Option<f64>,
    monetization_window_days: Option<i64>,
    nrr_trailing_12: Option<f64>,
    grr_trailing_12: Option<f64>,
    mrr: Option<f64>,
    paying_accounts: Option<f64>,
    mrr_month: Option<String>,
    nrr_trailing_12_accounts: Option<f64>,
}

/// The KPI tiles: North Star vs target, WAU, DAU/MAU, activation, paid
/// conversion, NRR, MRR, all from `analytics.headline`.
///
/// # Errors
/// A missing table or column ([`ChartError::Query`]).
pub fn kpi_tiles(conn: &Connection) -> Result<Vec<KpiTile>, ChartError> {
    const SOURCE: &str = "analytics.headline";
    let headline = first_row(read(
        conn,
        "kpi_tiles",
        SOURCE,
        "select cast(north_star as double), cast(north_star_target as double), \
         cast(north_star_gap as double), cast(north_star_week_start as varchar), \
         cast(wau as double), avg_stickiness_30d, stickiness_benchmark, meets_stickiness_benchmark, \
         cast(as_of_date as varchar), activation_rate, cast(activation_rate_n as double), \
         cast(activation_window_days as bigint), paid_conversion, paid_at_end_rate, \
         cast(monetization_window_days as bigint), nrr_trailing_12, grr_trailing_12, mrr, \
         cast(paying_accounts as double), strftime(mrr_month, '%Y-%m'), \
         cast(nrr_trailing_12_accounts as double) \
         from analytics.headline",
        |row| {
            Ok(Headline {
                north_star: row.get(0)?,
                north_star_target: row.get(1)?,
                north_star_gap: row.get(2)?,
                north_star_week: row.get(3)?,
                wau: row.get(4)?,
                stickiness: row.get(5)?,
                stickiness_benchmark: row.get(6)?,
                meets_benchmark: row.get(7)?,
                as_of_date: row.get(8)?,
                activation_rate: row.get(9)?,
                activation_n: row.get(10)?,
                activation_window_days: row.get(11)?,
                paid_conversion: row.get(12)?,
                paid_at_end_rate: row.get(13)?,
                monetization_window_days: row.get(14)?,
                nrr_trailing_12: row.get(15)?,
                grr_trailing_12: row.get(16)?,
                mrr: row.get(17)?,
                paying_accounts: row.get(18)?,
                mrr_month: row.get(19)?,
                nrr_trailing_12_accounts: row.get(20)?,
            })
        },
    )?)
    .unwrap_or_default();
    let text = |value: Option<String>| value.unwrap_or_else(|| "n/a".into());
    let days =
        |value: Option<i64>| value.map_or_else(|| "n/a".to_string(), |days| days.to_string());
    Ok(vec![
        KpiTile {
            label: "North Star (WACW)",
            value: exact_count(headline.north_star),
            detail: format!(
                "target {}, gap {}; week of {}",
                exact_count(headline.north_star_target),
                exact_count(headline.north_star_gap),
                text(headline.north_star_week)
            ),
            status: match headline.north_star_gap {
                Some(gap) if gap >= 0.0 => "good",
                Some(_) => "bad",
                None => "neutral",
            },
            source: SOURCE,
        },
        KpiTile {
            label: "Weekly active users",
            value: exact_count(headline.wau),
            detail: format!("7 days ending {}", text(headline.as_of_date)),
            status: "neutral",
            source: SOURCE,
        },
        KpiTile {
            label: "DAU / MAU",
            value: or_na(headline.stickiness, Unit::Percent),
            detail: format!(
                "30-day average; benchmark {}",
                or_na(headline.stickiness_benchmark, Unit::Percent)
            ),
            status: match headline.meets_benchmark {
                Some(true) => "good",
                Some(false) => "bad",
                None => "neutral",
            },
            source: SOURCE,
        },
        KpiTile {
            label: "Activation",
            value: or_na(headline.activation_rate, Unit::Percent),
            detail: format!(
                "first page within {} days; {} users",
                days(headline.activation_window_days),
                exact_count(headline.activation_n)
            ),
            status: "neutral",
            source: SOURCE,
        },
        KpiTile {
            label: "Paid conversion",
            value: or_na(headline.paid_conversion, Unit::Percent),
            detail: format!(
                "covered by a paid seat within {} days of signup; {} covered at the end",
                days(headline.monetization_window_days),
                or_na(headline.paid_at_end_rate, Unit::Percent)
            ),
            status: "neutral",
            source: SOURCE,
        },
        KpiTile {
            label: "NRR (trailing 12 months)",
            value: or_na(headline.nrr_trailing_12, Unit::Percent),
            detail: format!(
                "company level, {} accounts paying 12 months earlier; GRR {}",
                exact_count(headline.nrr_trailing_12_accounts),
                or_na(headline.grr_trailing_12, Unit::Percent)
            ),
            status: "neutral",
            source: SOURCE,
        },
        KpiTile {
            label: "MRR",
            value: headline
                .mrr
                .map_or_else(|| "n/a".to_string(), crate::report::format_money),
            detail: format!(
                "{} paying accounts; {}",
                exact_count(headline.paying_accounts),
                text(headline.mrr_month)
            ),
            status: "neutral",
            source: SOURCE,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivot_keeps_first_seen_order_and_gaps() {
        let rows = vec![
            ("b".to_string(), "x".to_string(), Some(1.0)),
            ("a".to_string(), "x".to_string(), Some(2.0)),
            ("b".to_string(), "y".to_string(), None),
        ];
        let (categories, series) = pivot(&rows);
        assert_eq!(categories, vec!["x", "y"]);
        assert_eq!(series[0], ("b".to_string(), vec![Some(1.0), None]));
        assert_eq!(series[1], ("a".to_string(), vec![Some(2.0), None]));
    }

    #[test]
    fn chart_names_are_unique_file_stems() {
        let mut names: Vec<&str> = CHARTS.iter().map(|(name, _)| *name).collect();
        assert!(names
            .iter()
            .all(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHARTS.len());
    }
}
