//! Charts and the executive dashboard, from the warehouse's `analytics.*`
//! tables.
//!
//! - [`definitions`]: every chart and KPI tile in one place (its query and
//!   how the rows become a [`figure::Figure`]).
//! - [`echarts`]: figure -> interactive Apache ECharts option (JSON data only).
//! - [`png`]: figure -> 1600x900 PNG with plotters and a bundled font.
//!
//! [`write_reports`] writes `<out>/dashboard.html` (one offline file: KPI
//! tiles, every chart, the ECharts bundle inlined once) and
//! `<out>/charts/<name>.html` + `<name>.png` (each page loads the sibling
//! `echarts.min.js`). Nothing is fetched at run time.

pub mod definitions;
pub mod echarts;
pub mod figure;
pub mod png;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use duckdb::Connection;
use minijinja::{context, Environment, UndefinedBehavior, Value};
use sha2::{Digest, Sha256};

/// The ECharts bundle (templates/vendor/echarts/, Apache-2.0).
pub const ECHARTS_JS: &str = include_str!("../../templates/vendor/echarts/echarts.min.js");
/// The version of [`ECHARTS_JS`].
pub const ECHARTS_VERSION: &str = "6.1.0";
const ECHARTS_LICENSE: &str = include_str!("../../templates/vendor/echarts/LICENSE");
const ECHARTS_NOTICE: &str = include_str!("../../templates/vendor/echarts/NOTICE");
const ECHARTS_LICENSE_D3: &str = include_str!("../../templates/vendor/echarts/LICENSE-d3");
const RENDER_JS: &str = include_str!("../../templates/charts/render.js");
const TEMPLATES: [(&str, &str); 3] = [
    (
        "charts/base.html",
        include_str!("../../templates/charts/base.html"),
    ),
    (
        "charts/dashboard.html",
        include_str!("../../templates/charts/dashboard.html"),
    ),
    (
        "charts/chart.html",
        include_str!("../../templates/charts/chart.html"),
    ),
];

/// Errors of the charts stage.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("unable to read '{table}' for chart '{chart}' (run `northstar run` or `northstar query` to build it)")]
    Query {
        chart: &'static str,
        table: &'static str,
        source: duckdb::Error,
    },
    #[error("chart '{chart}': '{value}' is not {expected}")]
    BadValue {
        chart: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("unable to load the bundled font 'templates/fonts/DejaVuSans.ttf'")]
    Font,
    #[error("unable to render chart '{chart}' as PNG: {message}")]
    Png {
        chart: &'static str,
        message: String,
    },
    #[error("unable to render template '{name}': {source:#}")]
    Template {
        name: &'static str,
        source: minijinja::Error,
    },
    #[error("the bundled script '{name}' contains '</script' and cannot be inlined")]
    UnsafeScript { name: &'static str },
    #[error("unable to write '{path}' (--out)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What [`write_reports`] wrote.
#[derive(Debug, Clone)]
pub struct ChartsSummary {
    /// `<out>/dashboard.html`.
    pub dashboard: PathBuf,
    /// Its size in bytes.
    pub dashboard_bytes: u64,
    /// Number of charts (each an HTML and a PNG file under `<out>/charts/`).
    pub charts: usize,
}

fn template_error(name: &'static str) -> impl FnOnce(minijinja::Error) -> ChartError {
    move |source| ChartError::Template { name, source }
}

fn environment() -> Result<Environment<'static>, ChartError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(template_error(name))?;
    }
    Ok(env)
}

/// `'sha256-...'` CSP source of an inline script.
fn script_hash(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn check_inlinable(name: &'static str, script: &str) -> Result<(), ChartError> {
    if script.to_ascii_lowercase().contains("</script") {
        return Err(ChartError::UnsafeScript { name });
    }
    Ok(())
}

/// An I/O error naming `path`.
fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ChartError + '_ {
    move |source| ChartError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Prefix of the staging directory a charts run writes into, beside its output.
const STAGING_PREFIX: &str = ".charts.tmp-";
/// Prefix of the previous `charts/` directory while it is being replaced.
const OLD_PREFIX: &str = ".charts.old-";

/// Removes staging and old directories left in `out` by killed charts runs
/// (their PID is no longer running).
fn remove_stale_staging(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(STAGING_PREFIX)
            .or_else(|| name.strip_prefix(OLD_PREFIX));
        if let Some(pid) = pid {
            let alive = pid.parse::<u32>().is_ok_and(|pid| {
                pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
            });
            if !alive {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Writes `dashboard` as `<out>/dashboard.html` and `files` into
/// `<out>/charts/` so that a reader sees either every previous output or
/// every new one: all files are written into a staging directory beside
/// them first (a full disk fails there, and the staging directory is
/// removed), then the new `charts/` directory and the dashboard are renamed
/// into place.
fn write_outputs(
    out: &Path,
    dashboard: &[u8],
    files: &[(String, Vec<u8>)],
) -> Result<(), ChartError> {
    remove_stale_staging(out);
    let staging = out.join(format!("{STAGING_PREFIX}{}", std::process::id()));
    let old = out.join(format!("{OLD_PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_dir_all(&old);
    let result = stage_and_swap(out, &staging, &old, dashboard, files);
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_dir_all(&old);
    result
}

fn stage_and_swap(
    out: &Path,
    staging: &Path,
    old: &Path,
    dashboard: &[u8],
    files: &[(String, Vec<u8>)],
) -> Result<(), ChartError> {
    let staged_charts = staging.join("charts");
    std::fs::create_dir_all(&staged_charts).map_err(write_error(staging))?;
    let write = |path: &Path, bytes: &[u8]| -> Result<(), ChartError> {
        std::fs::File::create(path)
            .and_then(|mut file| {
                std::io::Write::write_all(&mut file, bytes)?;
                file.sync_all()
            })
            .map_err(write_error(path))
    };
    for (name, bytes) in files {
        write(&staged_charts.join(name), bytes)?;
    }
    let staged_dashboard = staging.join("dashboard.html");
    write(&staged_dashboard, dashboard)?;

    // Everything is on disk: swap. Renames need no new space.
    let charts_dir = out.join("charts");
    let had_charts = charts_dir.is_dir();
    if had_charts {
        std::fs::rename(&charts_dir, old).map_err(write_error(&charts_dir))?;
    } else if charts_dir.exists() {
        return Err(ChartError::Write {
            path: charts_dir,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it exists and is not a directory",
            ),
        });
    }
    if let Err(source) = std::fs::rename(&staged_charts, &charts_dir) {
        if had_charts {
            let _ = std::fs::rename(old, &charts_dir);
        }
        return Err(ChartError::Write {
            path: charts_dir,
            source,
        });
    }
    let dashboard_path = out.join("dashboard.html");
    if let Err(source) = std::fs::rename(&staged_dashboard, &dashboard_path) {
        // Put the previous charts back so the pair stays consistent.
        let _ = std::fs::rename(&charts_dir, staging.join("charts"));
        if had_charts {
            let _ = std::fs::rename(old, &charts_dir);
        }
        return Err(ChartError::Write {
            path: dashboard_path,
            source,
        });
    }
    if let Ok(dir) = std::fs::File::open(out) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Reads the analytics tables through `conn` (a warehouse opened with
/// [`crate::warehouse::open_read_only`]) and writes the dashboard and every
/// chart under `out`. `warehouse` is only named on the dashboard.
///
/// # Errors
/// A missing analytics table, a rendering failure, or an unwritable `out`.
pub fn write_reports(
    conn: &Connection,
    warehouse: &Path,
    out: &Path,
) -> Result<ChartsSummary, ChartError> {
    check_inlinable("echarts.min.js", ECHARTS_JS)?;
    check_inlinable("render.js", RENDER_JS)?;
    let figures = definitions::build_all(conn)?;
    let tiles = definitions::kpi_tiles(conn)?;
    let as_of_date: Option<String> = conn
        .query_row(
            "select cast(as_of_date as varchar) from analytics.engagement_summary",
            [],
            |row| row.get(0),
        )
        .ok();

    crate::create_out_dir(out).map_err(write_error(out))?;
    let env = environment()?;
    let specs: Vec<serde_json::Value> = figures.iter().map(echarts::chart_spec).collect();
    let render_js = Value::from_safe_string(RENDER_JS.to_string());
    let chart_list: Vec<Value> = figures
        .iter()
        .map(|figure| context! { name => figure.name, title => figure.title })
        .collect();

    // each chart: its own page (sibling bundle) and PNG, rendered in memory
    let chart_csp = format!(
        "default-src 'none'; script-src {} 'self' file:; style-src 'unsafe-inline'; img-src data: blob:",
        script_hash(RENDER_JS)
    );
    let template = env
        .get_template("charts/chart.html")
        .map_err(template_error("charts/chart.html"))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (figure, spec) in figures.iter().zip(&specs) {
        let page = template
            .render(context! {
                csp => chart_csp,
                chart => context! { name => figure.name, title => figure.title },
                specs_json => Value::from_safe_string(echarts::script_safe_json(&serde_json::json!([spec]))),
                render_js => render_js.clone(),
                echarts_version => ECHARTS_VERSION,
            })
            .map_err(template_error("charts/chart.html"))?;
        files.push((format!("{}.html", figure.name), page.into_bytes()));
        files.push((format!("{}.png", figure.name), png::render_png(figure)?));
    }
    for (name, text) in [
        ("echarts.min.js", ECHARTS_JS),
        ("LICENSE-echarts.txt", ECHARTS_LICENSE),
        ("NOTICE-echarts.txt", ECHARTS_NOTICE),
        ("LICENSE-d3.txt", ECHARTS_LICENSE_D3),
    ] {
        files.push((name.to_string(), text.as_bytes().to_vec()));
    }

    // the dashboard: everything inline, scripts allowed by hash only
    let dashboard_csp = format!(
        "default-src 'none'; script-src {} {}; style-src 'unsafe-inline'; img-src data: blob:",
        script_hash(ECHARTS_JS),
        script_hash(RENDER_JS)
    );
    let dashboard = env
        .get_template("charts/dashboard.html")
        .map_err(template_error("charts/dashboard.html"))?
        .render(context! {
            csp => dashboard_csp,
            as_of_date => as_of_date.unwrap_or_else(|| "n/a".to_string()),
            warehouse => warehouse.display().to_string(),
            tiles => tiles,
            charts => chart_list,
            specs_json => Value::from_safe_string(echarts::script_safe_json(&serde_json::Value::Array(specs))),
            library => Value::from_safe_string(ECHARTS_JS.to_string()),
            render_js => render_js,
            echarts_version => ECHARTS_VERSION,
        })
        .map_err(template_error("charts/dashboard.html"))?;
    let dashboard_path = out.join("dashboard.html");
    write_outputs(out, dashboard.as_bytes(), &files)?;
    Ok(ChartsSummary {
        dashboard: dashboard_path,
        dashboard_bytes: dashboard.len() as u64,
        charts: figures.len(),
    })
}
