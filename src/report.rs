//! The text report: reads `analytics.*`, `meta.*` and `config.*` from a
//! warehouse and renders `templates/report.txt` with minijinja into
//! `<out>/report.txt`, plus `<out>/summary.json` with the headline figures.
//!
//! Rust only reads, orders and formats here: every number in the report is
//! a value of a warehouse table (selected, ordered or pivoted, never derived).
//! Wording that depends on a number (above/below a target, better/worse)
//! is chosen in the template from the warehouse's own comparison columns
//! (`north_star_summary.gap`, `engagement_summary.meets_benchmark`,
//! `funnel_stages.is_largest_drop_off`, `cohort_early_late.relative_change`,
//! `growth_levers.lever_rank`, ...).
//!
//! Templates are embedded in the binary; `--templates DIR` overrides any of
//! them by file name (a missing file falls back to the built-in copy).
//! Undefined variables fail the render with the template name, line and
//! the failing expression.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use duckdb::types::{TimeUnit, Value as DbValue};
use duckdb::Connection;
use minijinja::{Environment, Error as TemplateError, ErrorKind, UndefinedBehavior, Value};
use serde_json::{json, Map, Value as Json};

/// The template rendered into `report.txt`.
pub const REPORT_TEMPLATE: &str = "report.txt";
/// File name of the rendered report inside the output directory.
pub const REPORT_FILE: &str = "report.txt";
/// File name of the headline figures inside the output directory.
pub const SUMMARY_FILE: &str = "summary.json";

/// The built-in templates, embedded so `northstar` runs from anywhere.
/// `report.txt` numbers and orders the sections; each section is a file of
/// its own under `report/`.
pub const EMBEDDED_TEMPLATES: [(&str, &str); 15] = [
    ("base.txt", include_str!("../templates/base.txt")),
    ("macros.txt", include_str!("../templates/macros.txt")),
    ("report.txt", include_str!("../templates/report.txt")),
    (
        "report/summary.txt",
        include_str!("../templates/report/summary.txt"),
    ),
    (
        "report/changes.txt",
        include_str!("../templates/report/changes.txt"),
    ),
    (
        "report/north_star.txt",
        include_str!("../templates/report/north_star.txt"),
    ),
    (
        "report/key_metrics.txt",
        include_str!("../templates/report/key_metrics.txt"),
    ),
    (
        "report/revenue.txt",
        include_str!("../templates/report/revenue.txt"),
    ),
    (
        "report/funnel.txt",
        include_str!("../templates/report/funnel.txt"),
    ),
    (
        "report/retention.txt",
        include_str!("../templates/report/retention.txt"),
    ),
    (
        "report/growth.txt",
        include_str!("../templates/report/growth.txt"),
    ),
    (
        "report/data_quality.txt",
        include_str!("../templates/report/data_quality.txt"),
    ),
    (
        "report/calibration.txt",
        include_str!("../templates/report/calibration.txt"),
    ),
    (
        "report/recommendations.txt",
        include_str!("../templates/report/recommendations.txt"),
    ),
    (
        "report/next_steps.txt",
        include_str!("../templates/report/next_steps.txt"),
    ),
];

/// Months shown in the cohort retention matrix (0 .. 11).
const MATRIX_MONTHS: usize = 12;
/// Latest signup-month cohorts shown in the cohort retention matrix.
const MATRIX_COHORTS: usize = 12;
/// Signup-relative months shown in the LTV table.
const LTV_MONTHS: [i64; 7] = [0, 1, 3, 6, 12, 18, 24];
/// Complete weeks shown in the North Star trend.
const TREND_WEEKS: usize = 12;

/// Errors of the report stage.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("warehouse has no analytics tables; run `northstar run` or `northstar query` first")]
    NoAnalytics,
    #[error("unable to read {table} for the report")]
    Sql {
        table: String,
        source: duckdb::Error,
    },
    #[error("{table} has no rows; re-run `northstar query` to materialize it")]
    Empty { table: String },
    #[error("template '{name}'{}: {message}", line_suffix(.line))]
    Template {
        name: String,
        line: Option<usize>,
        message: String,
    },
    #[error("--templates '{path}' {problem}")]
    Templates {
        path: PathBuf,
        problem: &'static str,
    },
    #[error("unable to create report directory '{path}' (--out)")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unable to write '{path}'")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unable to encode 'summary.json': {0}")]
    Json(#[from] serde_json::Error),
}

fn line_suffix(line: &Option<usize>) -> String {
    line.map(|line| format!(" line {line}")).unwrap_or_default()
}

/// The files a report run wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// `<out>/report.txt`.
    pub report: PathBuf,
    /// `<out>/summary.json`.
    pub summary: PathBuf,
}

/// Where the report comes from and goes to.
#[derive(Debug, Clone)]
pub struct ReportOptions<'a> {
    /// The warehouse file (shown in the footer).
    pub warehouse: &'a Path,
    /// Output directory (created if needed).
    pub out_dir: &'a Path,
    /// Directory whose files override the embedded templates.
    pub templates: Option<&'a Path>,
    /// Generation time printed in the footer and summary.json.
    pub generated_at: DateTime<Utc>,
}

/// Writes `report.txt` and `summary.json` into `options.out_dir` from the
/// warehouse open on `conn` (attached and in use, e.g. by
/// [`crate::warehouse::open_read_only`]).
///
/// # Errors
/// A table cannot be read, a template fails to load or render, or a file
/// cannot be written.
pub fn write_report_from(
    conn: &Connection,
    options: &ReportOptions<'_>,
) -> Result<ReportFiles, ReportError> {
    let context = load_context(conn, options)?;
    let text = render(&context, options.templates)?;
    let summary = summary_json(&context);
    crate::create_out_dir(options.out_dir).map_err(|source| ReportError::CreateDir {
        path: options.out_dir.to_path_buf(),
        source,
    })?;
    let files = ReportFiles {
        report: options.out_dir.join(REPORT_FILE),
        summary: options.out_dir.join(SUMMARY_FILE),
    };
    let mut json_text = serde_json::to_string_pretty(&summary)?;
    json_text.push('\n');
    // Both files or neither: a full disk leaves the previous pair as it was.
    crate::write_files_atomically(&[
        (files.report.as_path(), text.as_bytes()),
        (files.summary.as_path(), json_text.as_bytes()),
    ])
    .map_err(|(path, source)| ReportError::Write { path, source })?;
    Ok(files)
}

// ---------------------------------------------------------------------------
// Reading the warehouse

type Row = Map<String, Json>;

/// Reads every row of `sql` as a JSON object keyed by column name.
fn read_rows(conn: &Connection, table: &str, sql: &str) -> Result<Vec<Row>, ReportError> {
    let sql_error = |source| ReportError::Sql {
        table: table.to_string(),
        source,
    };
    let mut statement = conn.prepare(sql).map_err(sql_error)?;
    let mut rows = statement.query([]).map_err(sql_error)?;
    let mut names: Option<Vec<String>> = None;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        let names = names.get_or_insert_with(|| row.as_ref().column_names());
        let mut object = Map::new();
        for (index, name) in names.iter().enumerate() {
            let value: DbValue = row.get(index).map_err(sql_error)?;
            object.insert(name.clone(), to_json(value));
        }
        out.push(object);
    }
    Ok(out)
}

/// Reads the single row of `sql`; an empty result is an error naming `table`.
fn read_one(conn: &Connection, table: &str, sql: &str) -> Result<Row, ReportError> {
    read_rows(conn, table, sql)?
        .into_iter()
        .next()
        .ok_or_else(|| ReportError::Empty {
            table: table.to_string(),
        })
}

/// Reads the first row of `sql`, or JSON null when there is none.
fn read_optional(conn: &Connection, table: &str, sql: &str) -> Result<Json, ReportError> {
    Ok(read_rows(conn, table, sql)?
        .into_iter()
        .next()
        .map_or(Json::Null, Json::Object))
}

fn to_json(value: DbValue) -> Json {
    match value {
        DbValue::Null => Json::Null,
        DbValue::Boolean(value) => Json::Bool(value),
        DbValue::TinyInt(value) => json!(value),
        DbValue::SmallInt(value) => json!(value),
        DbValue::Int(value) => json!(value),
        DbValue::BigInt(value) => json!(value),
        DbValue::UTinyInt(value) => json!(value),
        DbValue::USmallInt(value) => json!(value),
        DbValue::UInt(value) => json!(value),
        DbValue::UBigInt(value) => json!(value),
        DbValue::HugeInt(value) => {
            i64::try_from(value).map_or_else(|_| json!(value as f64), |v| json!(v))
        }
        DbValue::UHugeInt(value) => {
            u64::try_from(value).map_or_else(|_| json!(value as f64), |v| json!(v))
        }
        // NaN and infinities have no JSON form: they render like NULL.
        DbValue::Float(value) => {
            serde_json::Number::from_f64(f64::from(value)).map_or(Json::Null, Json::Number)
        }
        DbValue::Double(value) => {
            serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number)
        }
        DbValue::Decimal(value) => value
            .to_string()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
        DbValue::Text(value) | DbValue::Enum(value) => Json::String(value),
        DbValue::Date32(days) => NaiveDate::from_num_days_from_ce_opt(days + 719_163)
            .map_or(Json::Null, |date| {
                Json::String(date.format("%Y-%m-%d").to_string())
            }),
        DbValue::Timestamp(unit, value) => {
            let micros = unit.to_micros(value);
            DateTime::from_timestamp_micros(micros).map_or(Json::Null, |time| {
                Json::String(time.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
            })
        }
        DbValue::Time64(TimeUnit::Microsecond, value) => Json::String(format!("{value}us")),
        DbValue::List(values) | DbValue::Array(values) => {
            Json::Array(values.into_iter().map(to_json).collect())
        }
        other => Json::String(format!("{other:?}")),
    }
}

/// Groups consecutive rows with the same `key` value (rows come ordered by it):
/// `[{key: <value>, rows: [...]}, ...]`.
fn group_rows(rows: Vec<Row>, key: &str) -> Vec<Json> {
    let mut groups: Vec<(Json, Vec<Json>)> = Vec::new();
    for row in rows {
        let value = row.get(key).cloned().unwrap_or(Json::Null);
        match groups.last_mut() {
            Some((current, members)) if *current == value => members.push(Json::Object(row)),
            _ => groups.push((value, vec![Json::Object(row)])),
        }
    }
    groups
        .into_iter()
        .map(|(value, rows)| json!({ "key": value, "rows": rows }))
        .collect()
}

/// Indexes rows by the string value of `key`.
fn index_rows(rows: &[Row], key: &str) -> Map<String, Json> {
    rows.iter()
        .filter_map(|row| {
            row.get(key)
                .and_then(Json::as_str)
                .map(|name| (name.to_string(), Json::Object(row.clone())))
        })
        .collect()
}

/// Pivots long rows (ordered by `row_key`) into
/// `[{key, first: <first row>, cells: [value of column c for c in columns]}]`;
/// a missing cell is null.
fn pivot(
    rows: Vec<Row>,
    row_key: &str,
    column_key: &str,
    value_key: &str,
    columns: &[Json],
) -> Vec<Json> {
    group_rows(rows, row_key)
        .into_iter()
        .map(|group| {
            let members = group["rows"].as_array().cloned().unwrap_or_default();
            let by_column: BTreeMap<String, Json> = members
                .iter()
                .map(|member| (member[column_key].to_string(), member[value_key].clone()))
                .collect();
            let cells: Vec<Json> = columns
                .iter()
                .map(|column| {
                    by_column
                        .get(&column.to_string())
                        .cloned()
                        .unwrap_or(Json::Null)
                })
                .collect();
            let first = members.first().cloned().unwrap_or(Json::Null);
            json!({ "key": group["key"], "first": first, "cells": cells })
        })
        .collect()
}

fn has_analytics(conn: &Connection) -> Result<bool, ReportError> {
    let count: i64 = conn
        .query_row(
            "select count(*) from duckdb_tables() where database_name = current_database() and schema_name = 'analytics'",
            [],
            |row| row.get(0),
        )
        .map_err(|source| ReportError::Sql {
            table: "duckdb_tables()".into(),
            source,
        })?;
    Ok(count > 0)
}

/// Entries of the template context, by name.
type Section = Vec<(&'static str, Json)>;

/// Reads everything the report shows into one template context, section by
/// section (each loader reads the tables its report sections print).
///
/// # Errors
/// A missing table or column, an empty one-row table, or a DuckDB failure.
pub fn load_context(conn: &Connection, options: &ReportOptions<'_>) -> Result<Json, ReportError> {
    if !has_analytics(conn)? {
        return Err(ReportError::NoAnalytics);
    }
    let params = read_one(conn, "config.params", "select * from config.params")?;
    // Calibration measures the synthetic data against its targets: read only
    // for generated data (queries/synthetic/ does not run on ingested data).
    let generated = params.get("data_source").and_then(Json::as_str) == Some("generated");
    let mut context: Section = vec![
        (
            "generated_at",
            options
                .generated_at
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
                .into(),
        ),
        (
            "warehouse_path",
            options.warehouse.display().to_string().into(),
        ),
        ("tool_version", env!("CARGO_PKG_VERSION").into()),
        ("params", params.into()),
        ("revenue", load_revenue(conn)?),
    ];
    context.extend(overview_section(conn)?);
    context.extend(funnel_section(conn)?);
    context.extend(retention_section(conn)?);
    context.extend(growth_section(conn)?);
    context.extend(quality_section(conn, generated)?);
    Ok(Json::Object(
        context
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    ))
}

/// The run, the headline figures and their history, engagement, data
/// availability, the North Star, MRR, trials and the query versions.
fn overview_section(conn: &Connection) -> Result<Section, ReportError> {
    let run = read_optional(
        conn,
        "meta.pipeline_runs",
        "select * from meta.pipeline_runs order by run_id desc limit 1",
    )?;
    // The change since the previous run, and every run's headline figures.
    let headline = read_one(
        conn,
        "analytics.headline",
        "select * from analytics.headline",
    )?;
    let run_history = read_rows(
        conn,
        "meta.run_history",
        "select * from meta.run_history order by as_of_date",
    )?;
    let engagement = read_one(
        conn,
        "analytics.engagement_summary",
        "select * from analytics.engagement_summary",
    )?;
    let data = read_one(
        conn,
        "analytics.data_availability",
        "select * from analytics.data_availability",
    )?;
    let north_star = read_one(
        conn,
        "analytics.north_star_summary",
        "select summary.*, weekly.active_workspaces, weekly.collaborative_share
         from analytics.north_star_summary as summary
         left join analytics.north_star_weekly as weekly
             on weekly.week_start = summary.week_start",
    )?;
    let north_star_weeks = read_rows(
        conn,
        "analytics.north_star_weekly",
        &format!(
            "select * from (
                 select * from analytics.north_star_weekly
                 where is_complete_week order by week_start desc limit {TREND_WEEKS}
             ) order by week_start"
        ),
    )?;
    let trials = read_one(conn, "analytics.trials", "select * from analytics.trials")?;
    let query_versions = read_rows(
        conn,
        "meta.query_runs",
        "select query_name, query_version from meta.query_runs order by query_name",
    )?;

    Ok(vec![
        ("run", run),
        ("headline", headline.into()),
        ("run_history", run_history.into()),
        ("engagement", engagement.into()),
        ("data", data.into()),
        ("north_star", north_star.into()),
        ("north_star_weeks", north_star_weeks.into()),
        ("trials", trials.into()),
        ("query_versions", query_versions.into()),
    ])
}

/// Paid conversion and activation (all and by dimension), the funnel, its
/// largest drop-off, the funnel by segment and by channel, activation speed.
fn funnel_section(conn: &Connection) -> Result<Section, ReportError> {
    let paid = read_rows(
        conn,
        "analytics.paid_conversion",
        "select * from analytics.paid_conversion order by dimension, dimension_value",
    )?;
    let activation = read_rows(
        conn,
        "analytics.activation_summary",
        "select * from analytics.activation_summary order by dimension, dimension_value",
    )?;
    let funnel_sql = "select stages.*, previous.stage_name as previous_stage
         from analytics.funnel_stages as stages
         left join analytics.funnel_stages as previous
             on previous.stage_order = stages.stage_order - 1";
    let funnel = read_rows(
        conn,
        "analytics.funnel_stages",
        &format!("{funnel_sql} order by stages.stage_order"),
    )?;
    let largest_drop = read_optional(
        conn,
        "analytics.funnel_stages",
        &format!("{funnel_sql} where stages.is_largest_drop_off"),
    )?;
    let funnel_by = |dimension: &str| {
        read_rows(
            conn,
            "analytics.funnel_by_dimension",
            &format!(
                "select * from analytics.funnel_by_dimension where dimension = '{dimension}'
                 order by dimension_value, stage_order"
            ),
        )
    };
    let funnel_by_segment = funnel_by("segment")?;
    let funnel_by_channel = funnel_by("channel")?;
    let activation_speed = read_rows(
        conn,
        "analytics.activation_speed_retention",
        "select * from analytics.activation_speed_retention order by speed_order",
    )?;
    let paid_all = paid
        .iter()
        .find(|row| row.get("dimension").and_then(Json::as_str) == Some("all"))
        .cloned()
        .map_or(Json::Null, Json::Object);
    let activation_all = activation
        .iter()
        .find(|row| row.get("dimension").and_then(Json::as_str) == Some("all"))
        .cloned()
        .map_or(Json::Null, Json::Object);
    let by_dimension = |rows: &[Row], dimension: &str| -> Map<String, Json> {
        let selected: Vec<Row> = rows
            .iter()
            .filter(|row| row.get("dimension").and_then(Json::as_str) == Some(dimension))
            .cloned()
            .collect();
        index_rows(&selected, "dimension_value")
    };
    Ok(vec![
        ("paid_all", paid_all),
        ("paid_by_segment", by_dimension(&paid, "segment").into()),
        ("paid_by_channel", by_dimension(&paid, "channel").into()),
        ("activation", activation_all),
        (
            "activation_by_segment",
            by_dimension(&activation, "segment").into(),
        ),
        ("funnel", funnel.into()),
        ("largest_drop", largest_drop),
        (
            "funnel_by_segment",
            group_rows(funnel_by_segment, "dimension_value").into(),
        ),
        (
            "funnel_by_channel",
            group_rows(funnel_by_channel, "dimension_value").into(),
        ),
        (
            "activation_speed",
            index_rows(&activation_speed, "activation_speed").into(),
        ),
        ("activation_speed_rows", activation_speed.into()),
    ])
}

/// Monthly retention, the cohort matrix, day-N retention, early vs late
/// cohorts and the LTV matrix.
fn retention_section(conn: &Connection) -> Result<Section, ReportError> {
    let monthly_retention = read_rows(
        conn,
        "analytics.monthly_retention",
        "select * from analytics.monthly_retention order by months_since_signup",
    )?;
    let cohort_cells = read_rows(
        conn,
        "analytics.cohort_retention",
        &format!(
            "select * from analytics.cohort_retention
             where months_since_signup < {MATRIX_MONTHS}
                 and cohort_month in (
                     select cohort_month from analytics.cohort_retention
                     group by cohort_month order by cohort_month desc limit {MATRIX_COHORTS}
                 )
             order by cohort_month, months_since_signup"
        ),
    )?;
    let day_n = read_rows(
        conn,
        "analytics.day_n_retention",
        "select * from analytics.day_n_retention order by day_number",
    )?;
    let early_late = read_one(
        conn,
        "analytics.cohort_early_late",
        "select * from analytics.cohort_early_late",
    )?;
    let ltv_months = LTV_MONTHS.map(|month| month.to_string()).join(", ");
    let ltv_cells = read_rows(
        conn,
        "analytics.cohort_ltv",
        &format!(
            "select * from analytics.cohort_ltv where months_since_signup in ({ltv_months})
             order by cohort_month, months_since_signup"
        ),
    )?;
    let months: Vec<Json> = (0..MATRIX_MONTHS).map(|month| json!(month)).collect();
    let ltv_columns: Vec<Json> = LTV_MONTHS.iter().map(|month| json!(month)).collect();
    Ok(vec![
        ("monthly_retention", monthly_retention.into()),
        (
            "cohort_matrix",
            json!({
                "months": months,
                "rows": pivot(cohort_cells, "cohort_month", "months_since_signup", "retention_rate", &months),
            }),
        ),
        ("day_n", day_n.into()),
        ("early_late", early_late.into()),
        (
            "ltv",
            json!({
                "months": ltv_columns,
                "rows": pivot(ltv_cells, "cohort_month", "months_since_signup", "ltv", &ltv_columns),
            }),
        ),
    ])
}

/// The growth levers in rank order (with their configured description, ramp
/// and cost) and the growth model's tables.
fn growth_section(conn: &Connection) -> Result<Section, ReportError> {
    let levers = read_rows(
        conn,
        "analytics.growth_levers",
        "select growth.*, levers.description, levers.ramp_months, levers.cost_weeks
         from analytics.growth_levers as growth
         inner join config.growth_levers as levers
             on levers.lever_id = growth.lever_id
         order by growth.lever_rank",
    )?;
    let growth = growth_context(conn, &levers)?;
    Ok(vec![
        (
            "levers_by_stage",
            index_rows(&levers, "target_stage").into(),
        ),
        (
            "top_lever",
            levers.first().cloned().map_or(Json::Null, Json::Object),
        ),
        ("levers", levers.into()),
        ("growth", growth),
    ])
}

/// The checks (failed: error level; warnings: warning level) and, for
/// generated data only, the calibration targets.
fn quality_section(conn: &Connection, generated: bool) -> Result<Section, ReportError> {
    let checks = read_rows(
        conn,
        "meta.check_results",
        "select * from meta.check_results order by check_name",
    )?;
    let checks_summary = read_one(
        conn,
        "meta.check_results",
        "select
             count(*) as total,
             count(*) filter (where passed) as passed,
             count(*) filter (where not passed and severity = 'error') as failed,
             count(*) filter (where not passed and severity = 'warning') as warnings
         from meta.check_results",
    )?;
    let (calibration, calibration_summary) = if generated {
        (
            read_rows(
                conn,
                "analytics.calibration",
                "select calibration.*, targets.unit
                 from analytics.calibration as calibration
                 left join config.calibration_targets as targets
                     on targets.target_id = calibration.target_id
                 order by calibration.sort_order",
            )?,
            Json::Object(read_one(
                conn,
                "analytics.calibration",
                "select
                     count(*) as total,
                     count(*) filter (where passed) as passed,
                     count(*) filter (where not passed) as failed
                 from analytics.calibration",
            )?),
        )
    } else {
        (Vec::new(), Json::Null)
    };
    // Warning-level checks that found rows are reported, not failures.
    let failed_checks: Vec<Json> = checks
        .iter()
        .filter(|row| {
            row.get("passed") == Some(&Json::Bool(false))
                && row.get("severity").and_then(Json::as_str) != Some("warning")
        })
        .map(|row| row.get("check_name").cloned().unwrap_or(Json::Null))
        .collect();
    let warning_checks: Vec<Json> = checks
        .iter()
        .filter(|row| {
            row.get("passed") == Some(&Json::Bool(false))
                && row.get("severity").and_then(Json::as_str) == Some("warning")
        })
        .map(|row| row.get("check_name").cloned().unwrap_or(Json::Null))
        .collect();
    let failed_calibration: Vec<Json> = calibration
        .iter()
        .filter(|row| row.get("passed") == Some(&Json::Bool(false)))
        .map(|row| row.get("target_id").cloned().unwrap_or(Json::Null))
        .collect();

    Ok(vec![
        ("checks", checks.into()),
        ("checks_summary", checks_summary.into()),
        ("failed_checks", failed_checks.into()),
        ("warning_checks", warning_checks.into()),
        ("calibration", calibration.into()),
        ("calibration_summary", calibration_summary),
        ("failed_calibration", failed_calibration.into()),
    ])
}

/// The growth model's tables for the report: the measured baseline (scalar
/// measures by name, one row per stage, the payment lag), the experiment
/// plans, the projection and the scenario values (growth_scenarios) by
/// lever rank, as the queries left them.
fn growth_context(conn: &Connection, levers: &[Row]) -> Result<Json, ReportError> {
    let measures = read_rows(
        conn,
        "analytics.growth_baseline",
        "select * from analytics.growth_baseline
         where stage_order is null and month_number is null order by measure",
    )?;
    let stages = read_rows(
        conn,
        "analytics.growth_baseline",
        "select stage_order, max(stage_name) as stage_name,
             max(case when measure = 'reach_rate' then value end) as reach_rate,
             max(case when measure = 'strict_rate' then value end) as strict_rate,
             max(case when measure = 'step_rate' then value end) as step_rate,
             max(case when measure = 'step_rate' then n end) as step_n,
             max(case when measure = 'step_rate' then value_ci_low end) as step_ci_low,
             max(case when measure = 'step_rate' then value_ci_high end) as step_ci_high,
             max(case when measure = 'step_rate_ceiling' then value end) as ceiling,
             max(case when measure = 'step_rate_ceiling' then detail end) as ceiling_group,
             max(case when measure = 'paid_if_reached' then value end) as paid_if_reached,
             max(case when measure = 'paid_if_missed' then value end) as paid_if_missed
         from analytics.growth_baseline
         where stage_order is not null
         group by stage_order order by stage_order",
    )?;
    let payment_lag = read_rows(
        conn,
        "analytics.growth_baseline",
        "select month_number, value from analytics.growth_baseline
         where measure = 'payment_month_share' order by month_number",
    )?;
    let experiments = read_rows(
        conn,
        "analytics.growth_experiments",
        "select * from analytics.growth_experiments order by lever_rank",
    )?;
    let projection = read_rows(
        conn,
        "analytics.growth_projection",
        "select * from analytics.growth_projection order by month_number",
    )?;
    // one row per scenario (P50 and the one-notch moves), one column per lever in rank order
    let scenario_cells = read_rows(
        conn,
        "analytics.growth_scenarios",
        "select scenarios.scenario, scenarios.first_12_month_revenue, growth.lever_rank
         from analytics.growth_scenarios as scenarios
         inner join analytics.growth_levers as growth
             on growth.lever_id = scenarios.lever_id
         where scenarios.scenario not in ('p10', 'p90')
         order by scenarios.scenario_order, growth.lever_rank",
    )?;
    let ranks: Vec<Json> = levers
        .iter()
        .map(|lever| lever.get("lever_rank").cloned().unwrap_or(Json::Null))
        .collect();
    let first_valued = |rows: &[Row]| {
        rows.iter()
            .find(|row| row.get("status_reason").map_or(true, Json::is_null))
            .cloned()
            .map_or(Json::Null, Json::Object)
    };
    let investable: Vec<Row> = levers
        .iter()
        .filter(|lever| lever.get("is_investable") == Some(&Json::Bool(true)))
        .cloned()
        .collect();
    Ok(json!({
        "baseline": index_rows(&measures, "measure"),
        "stages": stages,
        "payment_lag": payment_lag,
        "experiments": experiments.clone(),
        "first_experiment": first_valued(&experiments),
        "invest_lever": first_valued(&investable),
        "projection": projection.clone(),
        "projection_final": projection.last().cloned().map_or(Json::Null, Json::Object),
        "sensitivity": { "rows": pivot(scenario_cells, "scenario", "lever_rank", "first_12_month_revenue", &ranks) },
    }))
}

/// The Revenue section: the MRR bridge of the last 12 months (complete
/// months and the as_of month), the account metrics of the latest month,
/// pooled NRR/GRR and the predictive LTV per segment.
fn load_revenue(conn: &Connection) -> Result<Json, ReportError> {
    let bridge = read_rows(
        conn,
        "analytics.mrr_movements",
        "select * from (
             select * from analytics.mrr_movements order by month_start desc limit 12
         ) as latest order by month_start",
    )?;
    let latest = read_optional(
        conn,
        "analytics.account_metrics_monthly",
        "select * from analytics.account_metrics_monthly order by month desc limit 1",
    )?;
    let churn_12 = read_one(
        conn,
        "analytics.account_metrics_monthly",
        "select
             count(*) as months,
             avg(logo_churn_rate) as mean_logo_churn_rate,
             avg(revenue_churn_rate) as mean_revenue_churn_rate,
             avg(gross_revenue_churn_rate) as mean_gross_revenue_churn_rate
         from (
             select * from analytics.account_metrics_monthly
             where is_complete_month order by month desc limit 12
         ) as latest",
    )?;
    let nrr = read_optional(
        conn,
        "analytics.net_revenue_retention",
        "select * from analytics.net_revenue_retention where row_type = 'pooled'",
    )?;
    let nrr_trailing = read_optional(
        conn,
        "analytics.net_revenue_retention_trailing",
        "select * from analytics.net_revenue_retention_trailing",
    )?;
    let ltv = read_rows(
        conn,
        "analytics.predictive_ltv",
        "select * from analytics.predictive_ltv
         order by case when segment = 'all' then 0 else 1 end, segment",
    )?;
    Ok(json!({
        "bridge": bridge,
        "latest": latest,
        "churn_12": churn_12,
        "nrr": nrr,
        "nrr_trailing": nrr_trailing,
        "ltv": ltv,
    }))
}

// ---------------------------------------------------------------------------
// summary.json

/// The headline figures of the report, for scripts and dashboards: the same
/// warehouse values the report prints, unformatted.
pub fn summary_json(context: &Json) -> Json {
    let top = &context["top_lever"];
    let largest = &context["largest_drop"];
    let headline = &context["headline"];
    json!({
        "generated_at": context["generated_at"],
        "warehouse": context["warehouse_path"],
        "tool_version": context["tool_version"],
        "seed": context["params"]["seed"],
        "data_source": context["params"]["data_source"],
        "users": context["params"]["sample_users"],
        "as_of_date": context["params"]["as_of_date"],
        "headline": headline,
        "north_star": context["north_star"],
        "run_history": context["run_history"],
        "key_metrics": {
            "dau_30d_avg": headline["avg_dau_30d"],
            "wau_30d_avg": headline["avg_wau_30d"],
            "mau_30d_avg": headline["avg_mau_30d"],
            "stickiness_30d_avg": headline["avg_stickiness_30d"],
            "stickiness_benchmark": headline["stickiness_benchmark"],
            "meets_stickiness_benchmark": headline["meets_stickiness_benchmark"],
            "activation_rate": headline["activation_rate"],
            "collaborative_workspace_share": context["north_star"]["wacw_share"],
            "paid_conversion": headline["paid_conversion"],
            "paid_at_end_rate": headline["paid_at_end_rate"],
            "mrr": headline["mrr"],
            "paying_accounts": headline["paying_accounts"],
            "arpa": headline["arpa"],
            "nrr_trailing_12": headline["nrr_trailing_12"],
            "grr_trailing_12": headline["grr_trailing_12"],
            "nrr_trailing_12_accounts": headline["nrr_trailing_12_accounts"],
            "first_year_nrr_new_accounts_pooled": headline["first_year_nrr_pooled"],
            "logo_churn_rate_12m_mean": context["revenue"]["churn_12"]["mean_logo_churn_rate"],
        },
        "funnel": {
            "signup_to_paid": headline["signup_to_paid"],
            "largest_drop_off": if largest.is_null() {
                Json::Null
            } else {
                json!({
                    "from_stage": largest["previous_stage"],
                    "to_stage": largest["stage_name"],
                    "drop_off": largest["drop_off"],
                })
            },
        },
        "retention": {
            "early_late": context["early_late"],
        },
        "top_lever": if top.is_null() {
            Json::Null
        } else {
            json!({
                "lever_name": top["lever_name"],
                "target_stage": top["target_stage"],
                "first_12_month_revenue_p10": top["first_12_month_revenue_p10"],
                "first_12_month_revenue_p50": top["first_12_month_revenue_p50"],
                "first_12_month_revenue_p90": top["first_12_month_revenue_p90"],
                "steady_state_annual_run_rate_p50": top["steady_state_annual_run_rate_p50"],
                "roi_12_months_p10": top["roi_12_months_p10"],
                "is_investable": top["is_investable"],
                "confidence": top["confidence"],
            })
        },
        "projection": {
            "levers": context["growth"]["projection_final"]["levers"],
            "months": context["growth"]["projection_final"]["month_number"],
            "cumulative_extra_revenue_p10": context["growth"]["projection_final"]["cumulative_extra_revenue_p10"],
            "cumulative_extra_revenue_p50": context["growth"]["projection_final"]["cumulative_extra_revenue_p50"],
            "cumulative_extra_revenue_p90": context["growth"]["projection_final"]["cumulative_extra_revenue_p90"],
        },
        "checks": {
            "total": context["checks_summary"]["total"],
            "passed": context["checks_summary"]["passed"],
            "failed": context["failed_checks"],
            "warnings": context["warning_checks"],
        },
        "trials": context["trials"],
        // Only generated data has calibration targets.
        "calibration": if context["calibration_summary"].is_null() {
            Json::Null
        } else {
            json!({
                "total": context["calibration_summary"]["total"],
                "passed": context["calibration_summary"]["passed"],
                "failed": context["failed_calibration"],
            })
        },
    })
}

// ---------------------------------------------------------------------------
// Rendering

/// Checks a `--templates` directory before anything is read or written: a
/// path that does not exist, a file, or a directory with none of the
/// templates is a mistake, not "use the defaults".
///
/// # Errors
/// [`ReportError::Templates`] naming the path and the problem.
pub fn check_templates(dir: &Path) -> Result<(), ReportError> {
    // A directory that does not exist, a file, or a directory with none
    // of the templates is a mistake, not "use the defaults".
    let problem = if !dir.exists() {
        Some("does not exist")
    } else if !dir.is_dir() {
        Some("is not a directory: pass the directory holding report.txt, base.txt or macros.txt")
    } else if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none()) {
        Some("is empty: put report.txt, base.txt or macros.txt in it")
    } else if !EMBEDDED_TEMPLATES
        .iter()
        .any(|(name, _)| dir.join(name).exists())
    {
        Some("holds none of report.txt, base.txt, macros.txt")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(ReportError::Templates {
            path: dir.to_path_buf(),
            problem,
        });
    }
    Ok(())
}

/// Renders [`REPORT_TEMPLATE`] with `context`; files in `templates` override
/// the embedded templates of the same name.
///
/// # Errors
/// [`ReportError::Template`] naming the template, the line and the failing
/// expression; [`ReportError::Templates`] when `templates` is not a
/// directory holding at least one template.
pub fn render(context: &Json, templates: Option<&Path>) -> Result<String, ReportError> {
    if let Some(dir) = templates {
        check_templates(dir)?;
    }
    let env = environment(templates.map(Path::to_path_buf));
    let template = env.get_template(REPORT_TEMPLATE).map_err(template_error)?;
    let text = template
        .render(Value::from_serialize(context))
        .map_err(template_error)?;
    // Blank (censored) cells at the end of a row leave trailing spaces.
    let mut tidy: String = text
        .lines()
        .map(|line| format!("{}\n", line.trim_end()))
        .collect();
    if tidy.is_empty() {
        tidy.push('\n');
    }
    Ok(tidy)
}

fn environment(templates: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    // A data value never writes a control character as it is: a terminal
    // escape in an ingested name (a channel, an event type) would recolour
    // or rewrite the reader's terminal. It is written escaped (\u{1b}).
    env.set_formatter(|out, state, value| {
        let text = value.to_string();
        // (\u{1f} is the table filter's column separator, `col`)
        let unsafe_char = |c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\u{1f}');
        if !text.chars().any(unsafe_char) {
            return minijinja::escape_formatter(out, state, value);
        }
        let escaped: String = text
            .chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        out.write_str(&escaped)
            .map_err(|_| TemplateError::new(ErrorKind::WriteFailure, "unable to write the report"))
    });
    env.set_loader(move |name| {
        confined_name(name)?;
        if let Some(dir) = &templates {
            let path = dir.join(name);
            if path.is_file() {
                confined_file(dir, &path, name)?;
                return std::fs::read_to_string(&path).map(Some).map_err(|err| {
                    TemplateError::new(
                        ErrorKind::InvalidOperation,
                        format!("unable to read template '{}'", path.display()),
                    )
                    .with_source(err)
                });
            }
        }
        Ok(EMBEDDED_TEMPLATES
            .iter()
            .find(|(embedded, _)| *embedded == name)
            .map(|(_, source)| (*source).to_string()))
    });
    env.add_filter("int", filter_int);
    env.add_filter("num", filter_num);
    env.add_filter("pct", filter_pct);
    env.add_filter("signed_pct", filter_signed_pct);
    env.add_filter("money", filter_money);
    env.add_filter("ratio", filter_ratio);
    env.add_filter("rjust", filter_rjust);
    env.add_filter("ljust", filter_ljust);
    env.add_filter("wrap", filter_wrap);
    env.add_filter("table", filter_table);
    env.add_global("col", Value::from(COLUMN_BREAK.to_string()));
    env
}

/// A template name (`{% include %}`, `{% extends %}`, `{% import %}`) must
/// name a file inside the templates directory: a relative path of plain
/// names, no root, no `..`.
fn confined_name(name: &str) -> Result<(), TemplateError> {
    let plain = !name.is_empty()
        && !name.contains('\\')
        && Path::new(name)
            .components()
            .all(|component| matches!(component, std::path::Component::Normal(_)));
    if plain {
        Ok(())
    } else {
        Err(TemplateError::new(
            ErrorKind::InvalidOperation,
            format!("template '{name}' is outside the templates directory (absolute paths and '..' are refused; name a file inside --templates)"),
        ))
    }
}

/// The file found for `name` must really lie inside `dir`: a symbolic link
/// that leads out of it is refused.
fn confined_file(dir: &Path, path: &Path, name: &str) -> Result<(), TemplateError> {
    let inside = match (dir.canonicalize(), path.canonicalize()) {
        (Ok(dir), Ok(path)) => path.starts_with(dir),
        _ => false,
    };
    if inside {
        Ok(())
    } else {
        Err(TemplateError::new(
            ErrorKind::InvalidOperation,
            format!("template '{name}' leads outside the templates directory '{}' (a symbolic link); copy the file into --templates instead", dir.display()),
        ))
    }
}

/// Turns a minijinja error into a [`ReportError::Template`] that names the
/// template, the line and the source of the failing expression.
fn template_error(err: TemplateError) -> ReportError {
    let expression = match (err.template_source(), err.range()) {
        (Some(source), Some(range)) => enclosing_tag(source, range),
        _ => None,
    };
    let mut message = err.kind().to_string();
    if let Some(detail) = err.detail() {
        message.push_str(&format!(" ({detail})"));
    }
    if let Some(expression) = expression.filter(|text| !text.is_empty()) {
        message.push_str(&format!(" in `{expression}`"));
    }
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    ReportError::Template {
        name: err.name().unwrap_or(REPORT_TEMPLATE).to_string(),
        line: err.line(),
        message,
    }
}

/// The `{{ ... }}` or `{% ... %}` tag around `range` in `source` (whitespace
/// collapsed), so an error inside a filter call still shows the variable it
/// was applied to; the bare range when no tag encloses it.
fn enclosing_tag(source: &str, range: std::ops::Range<usize>) -> Option<String> {
    let bare = source.get(range.clone())?;
    let before = source.get(..range.start)?;
    let start = [before.rfind("{{"), before.rfind("{%")]
        .into_iter()
        .flatten()
        .max();
    let tag = start.and_then(|start| {
        let rest = source.get(start..)?;
        let close = if rest.starts_with("{{") { "}}" } else { "%}" };
        let offset = range.end.saturating_sub(start);
        let end = rest.get(offset.saturating_sub(2)..)?.find(close)? + offset.saturating_sub(2) + 2;
        rest.get(..end)
    });
    let text = tag.filter(|tag| tag.len() <= 200).unwrap_or(bare);
    let collapsed = crate::one_line(text);
    (!collapsed.is_empty()).then_some(collapsed)
}

// ---------------------------------------------------------------------------
// Filters: formatting only

/// The number in `value`, None for none (NULL); undefined is an error.
fn number(value: &Value, filter: &str) -> Result<Option<f64>, TemplateError> {
    if value.is_undefined() {
        return Err(TemplateError::new(
            ErrorKind::UndefinedError,
            format!("'{filter}' applied to an undefined value"),
        ));
    }
    if value.is_none() {
        return Ok(None);
    }
    f64::try_from(value.clone()).map(Some).map_err(|_| {
        TemplateError::new(
            ErrorKind::InvalidOperation,
            format!("'{filter}' expects a number, got {value}"),
        )
    })
}

/// Text shown for a NULL value.
const NONE_TEXT: &str = "-";

fn filter_int(value: Value) -> Result<String, TemplateError> {
    Ok(number(&value, "int")?.map_or_else(|| NONE_TEXT.into(), format_int))
}

fn filter_num(value: Value, decimals: Option<usize>) -> Result<String, TemplateError> {
    Ok(number(&value, "num")?.map_or_else(
        || NONE_TEXT.into(),
        |v| format_decimal(v, decimals.unwrap_or(1)),
    ))
}

fn filter_pct(value: Value, decimals: Option<usize>) -> Result<String, TemplateError> {
    Ok(number(&value, "pct")?.map_or_else(
        || NONE_TEXT.into(),
        |v| format_pct(v, decimals.unwrap_or(1)),
    ))
}

fn filter_signed_pct(value: Value) -> Result<String, TemplateError> {
    Ok(number(&value, "signed_pct")?.map_or_else(|| NONE_TEXT.into(), format_signed_pct))
}

fn filter_money(value: Value) -> Result<String, TemplateError> {
    Ok(number(&value, "money")?.map_or_else(|| NONE_TEXT.into(), format_money))
}

fn filter_ratio(value: Value) -> Result<String, TemplateError> {
    Ok(number(&value, "ratio")?.map_or_else(|| NONE_TEXT.into(), format_ratio))
}

fn text_of(value: &Value, filter: &str) -> Result<String, TemplateError> {
    if value.is_undefined() {
        return Err(TemplateError::new(
            ErrorKind::UndefinedError,
            format!("'{filter}' applied to an undefined value"),
        ));
    }
    Ok(if value.is_none() {
        String::new()
    } else {
        value.to_string()
    })
}

fn filter_rjust(value: Value, width: usize) -> Result<String, TemplateError> {
    let text = text_of(&value, "rjust")?;
    Ok(format!("{text:>width$}"))
}

fn filter_ljust(value: Value, width: usize) -> Result<String, TemplateError> {
    let text = text_of(&value, "ljust")?;
    Ok(format!("{text:<width$}"))
}

/// Word-wraps text: at most `width` characters of text per line, lines after
/// the first indented by `indent` spaces, the first by `first_indent`.
/// Whitespace (newlines included) collapses to one space. With `separator`
/// (e.g. `", "`), lines break only after a separator, never inside an item.
fn filter_wrap(
    value: Value,
    width: Option<usize>,
    indent: Option<usize>,
    first_indent: Option<usize>,
    separator: Option<String>,
) -> Result<String, TemplateError> {
    let text = text_of(&value, "wrap")?;
    let (width, indent, first_indent) = (
        width.unwrap_or(100),
        indent.unwrap_or(0),
        first_indent.unwrap_or(0),
    );
    Ok(
        match separator.filter(|separator| !separator.trim().is_empty()) {
            Some(separator) => {
                let collapsed = crate::one_line(&text);
                let kept = separator.trim_end();
                let parts: Vec<&str> = collapsed.split(separator.as_str()).collect();
                let items: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .map(|(index, part)| {
                        if index + 1 < parts.len() {
                            format!("{part}{kept}")
                        } else {
                            (*part).to_string()
                        }
                    })
                    .collect();
                wrap_items(&items, width, indent, first_indent)
            }
            None => wrap_text(&text, width, indent, first_indent),
        },
    )
}

/// Separates the cells of a row inside `{% filter table(...) %}`; templates
/// write it as `{{ col }}`.
pub const COLUMN_BREAK: char = '\u{1f}';

/// Widest line of the report.
const REPORT_WIDTH: usize = 100;

/// `{% filter table(align, gap, indent) %}`: see [`format_table`].
fn filter_table(
    value: Value,
    align: String,
    gap: Option<usize>,
    indent: Option<usize>,
) -> Result<String, TemplateError> {
    let text = text_of(&value, "table")?;
    if align.chars().any(|c| !matches!(c, 'l' | 'r' | 'w')) {
        return Err(TemplateError::new(
            ErrorKind::InvalidOperation,
            format!("table alignment '{align}' may only hold l, r and w"),
        ));
    }
    Ok(format_table(
        &text,
        &align,
        gap.unwrap_or(2),
        indent.unwrap_or(2),
    ))
}

/// Lays out a text table whose columns are as wide as their widest value,
/// so no value, however large, runs into its neighbour.
///
/// Each line of `text` holding [`COLUMN_BREAK`] is a row, its cells split at
/// it (whitespace in a cell collapses to single spaces); other lines pass
/// through unchanged. `align` has one letter per column (columns beyond it
/// take its last letter): `l` left, `r` right, `w` free text (the last
/// column): left-aligned and word-wrapped to the report width, continuation
/// lines indented to the column. Columns are
/// `gap` spaces apart and every row is indented by `indent` spaces; trailing
/// spaces are removed.
pub fn format_table(text: &str, align: &str, gap: usize, indent: usize) -> String {
    let letters: Vec<char> = align.chars().collect();
    // Columns beyond `align` take its last letter ("lr": first left, rest right).
    let align = |index: usize| {
        letters
            .get(index)
            .or(letters.last())
            .copied()
            .unwrap_or('l')
    };
    let rows: Vec<Option<Vec<String>>> = text
        .lines()
        .map(|line| {
            line.contains(COLUMN_BREAK)
                .then(|| line.split(COLUMN_BREAK).map(crate::one_line).collect())
        })
        .collect();
    let mut widths: Vec<usize> = Vec::new();
    for cells in rows.iter().flatten() {
        for (index, cell) in cells.iter().enumerate() {
            if widths.len() <= index {
                widths.push(0);
            }
            if align(index) != 'w' {
                widths[index] = widths[index].max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    for (row, line) in rows.iter().zip(text.lines()) {
        let Some(cells) = row else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let mut rendered = " ".repeat(indent);
        for (index, cell) in cells.iter().enumerate() {
            if index > 0 {
                rendered.push_str(&" ".repeat(gap));
            }
            let width = widths[index];
            match align(index) {
                'r' => rendered.push_str(&format!("{cell:>width$}")),
                'w' => {
                    let start = rendered.chars().count();
                    let room = REPORT_WIDTH.saturating_sub(start).max(20);
                    rendered.push_str(&wrap_text(cell, room, start, 0));
                }
                _ => rendered.push_str(&format!("{cell:<width$}")),
            }
        }
        for line in rendered.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    if !text.ends_with('\n') {
        out.pop();
    }
    out
}

/// `12345.6` -> `12,346`.
pub fn format_int(value: f64) -> String {
    format_decimal(value, 0)
}

/// Fixed decimals with thousands separators: `1234.56, 1` -> `1,234.6`.
pub fn format_decimal(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let negative = value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "-" } else { "" };
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A share as a percentage: `0.1234` -> `12.3%`.
pub fn format_pct(value: f64, decimals: usize) -> String {
    format!("{}%", format_decimal(value * 100.0, decimals))
}

/// A relative change with its sign: `0.082` -> `+8.2%`, `-0.03` -> `-3.0%`.
pub fn format_signed_pct(value: f64) -> String {
    let text = format_pct(value, 1);
    if text.starts_with('-') || text == "0.0%" {
        text
    } else {
        format!("+{text}")
    }
}

/// Money for people, the one formatter of the report, the dashboard and the
/// PNG charts: cents below $1,000 (`$12.34`, `$0.00`), then K, M, B and T
/// (`$4.2K`, `$820K`, `$12.5M`, `$3.4B`, `$7.8T`; thousands show no decimal
/// from `$10K` to `$999K`), full digits from a thousand trillion on
/// (`$1,000,000,000,000,000`). A value rounds up into the next unit rather
/// than show `$1000.0M`. Negative values get a leading minus (`-$820K`); a
/// value that rounds to zero has none. NaN and infinities are `n/a`.
pub fn format_money(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let magnitude = value.abs();
    let body = if magnitude < 999.995 {
        format!("{magnitude:.2}")
    } else {
        let mut body = None;
        for (index, (scale, suffix)) in [(1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T")]
            .into_iter()
            .enumerate()
        {
            let scaled = magnitude / scale;
            // Thousands from 10K on have no decimal; larger units keep one.
            let decimals = usize::from(!(index == 0 && scaled >= 9.95));
            let text = format!("{scaled:.decimals$}");
            if text.parse::<f64>().is_ok_and(|rounded| rounded < 1000.0) {
                body = Some(format!("{text}{suffix}"));
                break;
            }
        }
        body.unwrap_or_else(|| format_decimal(magnitude, 0))
    };
    if value < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("-${body}")
    } else {
        format!("${body}")
    }
}

/// A ratio of two rates: `2.034` -> `2.03x`.
pub fn format_ratio(value: f64) -> String {
    format!("{}x", format_decimal(value, 2))
}

/// Greedy word wrap of `text`: at most `width` characters per line (a
/// longer word stands alone), prefixed by `first_indent` spaces on the first
/// line and `indent` spaces on the others.
pub fn wrap_text(text: &str, width: usize, indent: usize, first_indent: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    wrap_items(&words, width, indent, first_indent)
}

/// Packs `items` (joined by one space) into lines of at most `width`
/// characters; see [`wrap_text`].
fn wrap_items<S: AsRef<str>>(
    items: &[S],
    width: usize,
    indent: usize,
    first_indent: usize,
) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for item in items {
        let item = item.as_ref();
        if !line.is_empty() && line.chars().count() + 1 + item.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(item);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let pad = if index == 0 { first_indent } else { indent };
            format!("{}{line}", " ".repeat(pad))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_get_thousands_separators() {
        assert_eq!(format_int(0.0), "0");
        assert_eq!(format_int(999.0), "999");
        assert_eq!(format_int(1_000.0), "1,000");
        assert_eq!(format_int(1_234_567.4), "1,234,567");
        assert_eq!(format_int(-27.0), "-27");
        assert_eq!(format_int(-0.2), "0");
        assert_eq!(format_decimal(1234.56, 1), "1,234.6");
    }

    #[test]
    fn percentages_have_one_decimal() {
        assert_eq!(format_pct(0.1234, 1), "12.3%");
        assert_eq!(format_pct(1.0, 1), "100.0%");
        assert_eq!(format_signed_pct(0.082), "+8.2%");
        assert_eq!(format_signed_pct(-0.03), "-3.0%");
        assert_eq!(format_signed_pct(0.0), "0.0%");
    }

    #[test]
    fn money_is_abbreviated_for_people() {
        for (value, expected) in [
            (0.0, "$0.00"),
            (-0.0, "$0.00"),
            (-0.001, "$0.00"),
            (0.5, "$0.50"),
            (12.345, "$12.35"),
            (999.99, "$999.99"),
            (999.996, "$1.0K"),
            (1_000.0, "$1.0K"),
            (4_200.0, "$4.2K"),
            (9_949.0, "$9.9K"),
            (9_950.0, "$10K"),
            (82_400.0, "$82K"),
            (820_000.0, "$820K"),
            (999_499.0, "$999K"),
            (999_500.0, "$1.0M"),
            (999_999.0, "$1.0M"),
            (12_500_000.0, "$12.5M"),
            (999_949_999.0, "$999.9M"),
            (999_950_000.0, "$1.0B"),
            (1_300_000_000.0, "$1.3B"),
            (5.6e9, "$5.6B"),
            (7.8e12, "$7.8T"),
            (999.9e12, "$999.9T"),
            (1e15, "$1,000,000,000,000,000"),
            (1e18, "$1,000,000,000,000,000,000"),
            (-820_000.0, "-$820K"),
            (-4_200.0, "-$4.2K"),
            (-12.345, "-$12.35"),
            (-7.8e12, "-$7.8T"),
            (f64::NAN, "n/a"),
            (f64::INFINITY, "n/a"),
        ] {
            assert_eq!(format_money(value), expected, "{value}");
        }
        assert_eq!(format_ratio(2.034), "2.03x");
    }

    #[test]
    fn table_columns_are_as_wide_as_their_widest_value() {
        let c = COLUMN_BREAK;
        // The calibration row that ran together: a count too wide for a fixed column.
        let text = format!(
            "id{c}target{c}measured{c}accepted{c}measure\n\
             C1{c}50,000{c}50,000{c}50,000 .. 50,000{c}users\n\
             C2{c}762,199,500,000{c}9,999,999,999{c}500,000 .. 1,000,000,000,000{c}events, a long description that must wrap at the report width and keep its column\n"
        );
        let table = format_table(&text, "lrrrw", 2, 2);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines
                .iter()
                .all(|line| line.chars().count() <= REPORT_WIDTH),
            "{table}"
        );
        assert!(
            lines[2]
                .contains("  762,199,500,000  9,999,999,999  500,000 .. 1,000,000,000,000  events"),
            "{table}"
        );
        // Right-aligned columns end at the same place on every row.
        let end = |line: &str, needle: &str| line.find(needle).map(|at| at + needle.len());
        assert_eq!(
            end(lines[0], "target"),
            end(lines[2], "762,199,500,000"),
            "{table}"
        );
        assert_eq!(
            end(lines[1], "50,000 .. 50,000"),
            end(lines[2], "1,000,000,000,000"),
            "{table}"
        );
        // The wrapped description continues under its own column.
        let column = lines[2].find("events").expect("events");
        assert_eq!(
            lines[3].len() - lines[3].trim_start().len(),
            column,
            "{table}"
        );
        // Every pair of neighbouring cells is separated by at least the gap.
        for (index, line) in lines.iter().take(3).enumerate() {
            let cells: Vec<&str> = text.lines().nth(index).expect("row").split(c).collect();
            let mut at = 0;
            // The last (wrapped) cell may be split over lines.
            for cell in &cells[..cells.len() - 1] {
                let found = line[at..].find(cell).expect("cell in order") + at;
                assert!(found == 2 || line[..found].ends_with("  "), "{line}");
                at = found + cell.len();
            }
        }
        // Lines without a column break pass through.
        assert_eq!(format_table("  a note\n", "l", 2, 2), "  a note\n");
    }

    #[test]
    fn wrap_respects_width_and_indent() {
        let text = "one two three four five six seven eight nine ten";
        let wrapped = wrap_text(text, 13, 2, 1);
        assert!(
            wrapped
                .lines()
                .all(|line| line.trim_start().chars().count() <= 13),
            "{wrapped}"
        );
        assert!(wrapped.starts_with(" one"), "{wrapped}");
        assert!(
            wrapped.lines().skip(1).all(|line| line.starts_with("  ")),
            "{wrapped}"
        );
        assert_eq!(crate::one_line(&wrapped), text);
    }

    #[test]
    fn wrap_with_a_separator_keeps_items_whole() -> Result<(), TemplateError> {
        let env = environment(None);
        let text = env.render_str(
            "{% filter wrap(12, 2, 0, \", \") %}a v1, bb v1, ccc v1{% endfilter %}",
            (),
        )?;
        assert_eq!(text, "a v1, bb v1,\n  ccc v1");
        Ok(())
    }

    #[test]
    fn undefined_variables_fail_with_template_and_line() {
        let env = environment(None);
        let template = env
            .template_from_named_str("probe.txt", "first line\n{{ north_star.valeu | int }}\n")
            .expect("template parses");
        let err = template
            .render(Value::from_serialize(json!({"north_star": {"value": 1}})))
            .expect_err("a misspelt variable fails");
        let message = template_error(err).to_string();
        assert!(message.contains("'probe.txt' line 2"), "{message}");
        assert!(
            message.contains("`{{ north_star.valeu | int }}`"),
            "{message}"
        );
    }

    #[test]
    fn enclosing_tag_finds_the_whole_expression() {
        let source = "a {{ x.y | int }} b {% if z %}";
        let filter = source.find("int").expect("int");
        assert_eq!(
            enclosing_tag(source, filter..filter + 3).as_deref(),
            Some("{{ x.y | int }}")
        );
        let close = source.rfind("%}").expect("%}");
        assert_eq!(
            enclosing_tag(source, close..close + 2).as_deref(),
            Some("{% if z %}")
        );
        assert_eq!(enclosing_tag("plain", 0..5).as_deref(), Some("plain"));
    }

    #[test]
    fn null_values_render_as_dash_and_blank() -> Result<(), TemplateError> {
        let env = environment(None);
        let text = env.render_str(
            "[{{ x | pct }}][{{ x | rjust(3) }}][{{ y | money }}]",
            Value::from_serialize(json!({"x": null, "y": 820000.0})),
        )?;
        assert_eq!(text, "[-][   ][$820K]");
        Ok(())
    }

    #[test]
    fn embedded_templates_parse() {
        let env = environment(None);
        for (name, _) in EMBEDDED_TEMPLATES {
            if let Err(err) = env.get_template(name) {
                panic!("{}", template_error(err));
            }
        }
    }
}
