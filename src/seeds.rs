//! Seeds: the facts a user edits as data, not Rust. Six CSV files in
//! `seeds/` (docs/SEEDS.md): the growth levers, the funnel stages, the price
//! list, the segments and the channels (with the generator's per-segment and
//! per-channel parameters) and the calibration targets.
//!
//! The files of the repository's `seeds/` are built into the binary; a folder
//! given with `--seeds DIR` (or `[seeds] dir` in the config file) replaces
//! the files it holds. Every file is validated before anything is written;
//! an error is one line naming the file, the line, the column and the value.
//! The loaded seeds become `config.growth_levers`, `config.funnel_stages`,
//! `config.plans`, `config.segments`, `config.channels` and
//! `config.calibration_targets` (`warehouse::write_config_tables`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The seed files, by name, with the built-in copy of each.
const FILES: [(&str, &str); 6] = [
    (
        "growth_levers.csv",
        include_str!("../seeds/growth_levers.csv"),
    ),
    (
        "funnel_stages.csv",
        include_str!("../seeds/funnel_stages.csv"),
    ),
    ("plans.csv", include_str!("../seeds/plans.csv")),
    ("segments.csv", include_str!("../seeds/segments.csv")),
    ("channels.csv", include_str!("../seeds/channels.csv")),
    (
        "calibration_targets.csv",
        include_str!("../seeds/calibration_targets.csv"),
    ),
];

/// Tolerance of a sum of shares (segments, channels, a plan mix).
const SHARE_SUM_TOLERANCE: f64 = 1e-6;

/// Errors in the seed files (exit code 2: they are configuration).
#[derive(Debug, thiserror::Error)]
pub enum SeedsError {
    /// `--seeds` or `[seeds] dir` names something that is not a directory.
    #[error("seed folder '{path}' is not a directory (--seeds or [seeds] dir); pass the folder holding the seed CSV files")]
    NotADirectory { path: PathBuf },
    /// A seed file or the folder could not be read.
    #[error("unable to read seed file '{path}'")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file in the folder that is not a seed file (a typo would otherwise
    /// silently leave the built-in copy in use).
    #[error("seed folder '{dir}' holds '{name}', which is not a seed file; expected {expected}")]
    UnknownFile {
        dir: PathBuf,
        name: String,
        expected: String,
    },
    /// A row, a cell or the header of a file is wrong.
    #[error("seed file '{file}' line {line}: {message}")]
    Invalid {
        file: String,
        line: u64,
        message: String,
    },
}

/// A growth lever (`seeds/growth_levers.csv`, `config.growth_levers`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowthLever {
    pub lever_name: String,
    /// Funnel stage whose step conversion the lever lifts.
    pub target_stage: String,
    pub expected_lift: f64,
    pub low_lift: f64,
    pub high_lift: f64,
    pub confidence: f64,
    pub ramp_months: i32,
    /// Engineering weeks to build the lever.
    pub cost_weeks: f64,
    /// Fully loaded cost of one engineering week, USD.
    pub cost_per_week: f64,
    /// Share of revenue kept after hosting, support and payment fees.
    pub gross_margin: f64,
    pub description: String,
}

/// A funnel stage, in funnel order (`seeds/funnel_stages.csv`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelStage {
    pub stage_name: String,
    pub definition: String,
}

/// A plan of the price list (`seeds/plans.csv`, `config.plans`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub plan: String,
    /// Upgrade order: a move to a higher rank is an upgrade.
    pub plan_rank: i32,
    /// List price per seat per month, USD.
    pub price_per_seat: f64,
    pub gross_margin: f64,
    pub description: String,
}

/// How a segment's users get their workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceKind {
    /// Each user owns a one-person workspace (no company).
    Personal,
    /// Users join teams named after a company.
    Company,
    /// Users join teams named "<name> University".
    University,
}

impl WorkspaceKind {
    /// The text of `config.segments.workspace`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceKind::Personal => "personal",
            WorkspaceKind::Company => "company",
            WorkspaceKind::University => "university",
        }
    }
}

/// A customer segment (`seeds/segments.csv`, `config.segments`): its share
/// of the users (also the C3 calibration target) and the generator's
/// parameters for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub segment: String,
    pub share: f64,
    /// Lifetime paid probability relative to `behaviour.paid_base_rate`.
    pub paid_multiplier: f64,
    pub activation_multiplier: f64,
    pub engagement_multiplier: f64,
    /// Probability that an event on an active day is collaborative.
    pub collaboration_probability: f64,
    /// Monthly cancellation hazard relative to `behaviour.subscription_churn_monthly`.
    pub churn_multiplier: f64,
    pub workspace: WorkspaceKind,
    pub team_size_min: u32,
    pub team_size_max: u32,
    /// Starting plans of a paying workspace: (plan, weight), drawn in order.
    pub start_plans: Vec<(String, f64)>,
    /// Monthly plan moves at a renewal: (from, to, probability), the first
    /// matching move applies.
    pub plan_moves: Vec<(String, String, f64)>,
}

/// A segment row as written in the file (lists still as text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentRow {
    segment: String,
    share: f64,
    paid_multiplier: f64,
    activation_multiplier: f64,
    engagement_multiplier: f64,
    collaboration_probability: f64,
    churn_multiplier: f64,
    workspace: WorkspaceKind,
    team_size_min: u32,
    team_size_max: u32,
    start_plans: String,
    plan_moves: String,
}

/// An acquisition channel (`seeds/channels.csv`, `config.channels`): its
/// share of the users (also the C4 calibration target) and the generator's
/// parameters for it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub channel: String,
    pub share: f64,
    pub activation_multiplier: f64,
    pub paid_multiplier: f64,
    /// Relative visit-to-signup conversion (anonymous visits come from a
    /// channel in proportion to share / visit_conversion).
    pub visit_conversion: f64,
}

/// How a calibration target's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetScale {
    /// The values as written.
    Fixed,
    /// The values times the number of users (a count that grows with `--users`).
    PerUser,
    /// One target per segment, `<id>_<segment>`: the segment's share plus the values.
    SegmentShare,
    /// One target per channel, `<id>_<channel>`: the channel's share plus the values.
    ChannelShare,
}

/// A row of `seeds/calibration_targets.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationTarget {
    pub target_id: String,
    pub measure: String,
    pub target_value: f64,
    pub lower_bound: f64,
    /// Empty: a direction target, passed when the measure is above
    /// `lower_bound` (strictly).
    pub upper_bound: Option<f64>,
    pub unit: String,
    pub scale: TargetScale,
    pub note: String,
}

/// One row of `config.calibration_targets`, for a given user count.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationRow {
    pub target_id: String,
    pub measure: String,
    pub target_value: f64,
    pub lower_bound: f64,
    /// None: a direction target (measure > lower_bound).
    pub upper_bound: Option<f64>,
    pub unit: String,
    pub note: String,
}

/// Every seed table, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeds {
    pub growth_levers: Vec<GrowthLever>,
    pub funnel_stages: Vec<FunnelStage>,
    pub plans: Vec<Plan>,
    pub segments: Vec<Segment>,
    pub channels: Vec<Channel>,
    pub calibration_targets: Vec<CalibrationTarget>,
}

impl Default for Seeds {
    /// The built-in seeds (the repository's `seeds/`, embedded at build time).
    fn default() -> Self {
        Self::builtin().clone()
    }
}

/// Where a seed file's text comes from, and how errors name it.
struct Source {
    /// `seeds/<name>` (built in) or the path in the user's folder.
    shown: String,
    text: String,
}

impl Seeds {
    /// The built-in seeds, parsed once. They are validated by the tests
    /// (`seeds::tests`), so a failure here is a defect of the build.
    pub fn builtin() -> &'static Seeds {
        static BUILTIN: OnceLock<Seeds> = OnceLock::new();
        BUILTIN.get_or_init(|| match Self::load(None) {
            Ok(seeds) => seeds,
            Err(err) => panic!("the built-in seeds/ files are invalid: {err}"),
        })
    }

    /// Loads the seeds: the built-in files, each replaced by the file of the
    /// same name in `dir` when it holds one.
    ///
    /// # Errors
    /// An unreadable folder or file, a file that is not a seed file, or the
    /// first invalid header, cell or row (file, line, column, value).
    pub fn load(dir: Option<&Path>) -> Result<Self, SeedsError> {
        let [levers_src, stages_src, plans_src, segments_src, channels_src, targets_src] =
            sources(dir)?;
        let (funnel_stages, stage_lines) = parse::<FunnelStage>(&stages_src)?;
        let (plans, plan_lines) = parse::<Plan>(&plans_src)?;
        let (segment_rows, segment_lines) = parse::<SegmentRow>(&segments_src)?;
        let (channels, channel_lines) = parse::<Channel>(&channels_src)?;
        let (growth_levers, lever_lines) = parse::<GrowthLever>(&levers_src)?;
        let (calibration_targets, target_lines) = parse::<CalibrationTarget>(&targets_src)?;

        check_stages(&stages_src.shown, &stage_lines, &funnel_stages)?;
        check_plans(&plans_src.shown, &plan_lines, &plans)?;
        let segments = segment_rows
            .into_iter()
            .zip(&segment_lines)
            .map(|(row, line)| segment_from_row(&segments_src.shown, *line, row, &plans))
            .collect::<Result<Vec<_>, _>>()?;
        check_segments(&segments_src.shown, &segment_lines, &segments)?;
        check_channels(&channels_src.shown, &channel_lines, &channels)?;
        check_levers(
            &levers_src.shown,
            &lever_lines,
            &growth_levers,
            &funnel_stages,
        )?;
        let seeds = Seeds {
            growth_levers,
            funnel_stages,
            plans,
            segments,
            channels,
            calibration_targets,
        };
        check_targets(&targets_src.shown, &target_lines, &seeds)?;
        Ok(seeds)
    }

    /// The index of a segment by name.
    pub fn segment_index(&self, name: &str) -> Option<usize> {
        self.segments.iter().position(|s| s.segment == name)
    }

    /// The price per seat of `plan` (0 for a plan not on the list).
    pub fn price_per_seat(&self, plan: &str) -> f64 {
        self.plans
            .iter()
            .find(|candidate| candidate.plan == plan)
            .map_or(0.0, |candidate| candidate.price_per_seat)
    }

    /// The rows of `config.calibration_targets` for a warehouse of `users`
    /// users: per-user targets scaled, share targets expanded per segment
    /// and channel, in file order.
    pub fn calibration_rows(&self, users: u64) -> Vec<CalibrationRow> {
        let users = users as f64;
        let mut rows = Vec::new();
        for target in &self.calibration_targets {
            let row = |id: String, measure: String, base: f64, factor: f64| CalibrationRow {
                target_id: id,
                measure,
                target_value: base + factor * target.target_value,
                lower_bound: base + factor * target.lower_bound,
                upper_bound: target.upper_bound.map(|upper| base + factor * upper),
                unit: target.unit.clone(),
                note: target.note.clone(),
            };
            match target.scale {
                TargetScale::Fixed => rows.push(row(
                    target.target_id.clone(),
                    target.measure.clone(),
                    0.0,
                    1.0,
                )),
                TargetScale::PerUser => rows.push(CalibrationRow {
                    target_id: target.target_id.clone(),
                    measure: target.measure.clone(),
                    target_value: target.target_value * users,
                    lower_bound: target.lower_bound * users,
                    upper_bound: target.upper_bound.map(|upper| upper * users),
                    unit: target.unit.clone(),
                    note: target.note.clone(),
                }),
                TargetScale::SegmentShare => {
                    for segment in &self.segments {
                        rows.push(row(
                            format!("{}_{}", target.target_id, segment.segment),
                            format!("{} {}", target.measure, segment.segment),
                            segment.share,
                            1.0,
                        ));
                    }
                }
                TargetScale::ChannelShare => {
                    for channel in &self.channels {
                        rows.push(row(
                            format!("{}_{}", target.target_id, channel.channel),
                            format!("{} {}", target.measure, channel.channel),
                            channel.share,
                            1.0,
                        ));
                    }
                }
            }
        }
        rows
    }
}

/// The text of each seed file, in [`FILES`] order.
fn sources(dir: Option<&Path>) -> Result<[Source; 6], SeedsError> {
    let builtin = |name: &str, text: &str| Source {
        shown: format!("seeds/{name}"),
        text: text.to_string(),
    };
    let Some(dir) = dir else {
        return Ok(FILES.map(|(name, text)| builtin(name, text)));
    };
    if !dir.is_dir() {
        return Err(SeedsError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let entries = std::fs::read_dir(dir).map_err(|source| SeedsError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| SeedsError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_csv = Path::new(&name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
        if is_csv && !FILES.iter().any(|(known, _)| *known == name) {
            return Err(SeedsError::UnknownFile {
                dir: dir.to_path_buf(),
                name,
                expected: FILES.map(|(known, _)| known).join(", "),
            });
        }
    }
    let mut out = Vec::with_capacity(FILES.len());
    for (name, text) in FILES {
        let path = dir.join(name);
        if path.exists() {
            let bytes = std::fs::read(&path).map_err(|source| SeedsError::Read {
                path: path.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|_| SeedsError::Invalid {
                file: path.display().to_string(),
                line: 1,
                message: "the file is not UTF-8 text".into(),
            })?;
            out.push(Source {
                shown: path.display().to_string(),
                text,
            });
        } else {
            out.push(builtin(name, text));
        }
    }
    match <[Source; 6]>::try_from(out) {
        Ok(sources) => Ok(sources),
        Err(_) => Err(SeedsError::Invalid {
            file: dir.display().to_string(),
            line: 0,
            message: "internal error: seed file list".into(),
        }),
    }
}

fn invalid(file: &str, line: u64, message: String) -> SeedsError {
    SeedsError::Invalid {
        file: file.to_string(),
        line,
        message,
    }
}

/// `column 'name' = 'value': problem`, the cell part of a message.
fn cell(column: &str, value: &str, problem: &str) -> String {
    format!(
        "column '{column}' = '{}': {problem}",
        crate::one_line(value).chars().take(80).collect::<String>()
    )
}

/// Reads the rows of one file: the header must hold exactly the columns of
/// `T` (any order); a cell that does not parse names its line, column and
/// value. Rows with only empty cells are skipped.
fn parse<T: DeserializeOwned>(source: &Source) -> Result<(Vec<T>, Vec<u64>), SeedsError> {
    let file = source.shown.as_str();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(source.text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| invalid(file, 1, crate::one_line(&err.to_string())))?
        .clone();
    let mut seen = BTreeSet::new();
    for name in &headers {
        if name.is_empty() {
            return Err(invalid(file, 1, "a column has no name".into()));
        }
        if !seen.insert(name) {
            return Err(invalid(file, 1, format!("column '{name}' appears twice")));
        }
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| {
            let line = err.position().map_or(0, csv::Position::line);
            let message = match err.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} cells; the header has {expected_len} columns"),
                _ => crate::one_line(&err.to_string()),
            };
            invalid(file, line, message)
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let row: T = record.deserialize(Some(&headers)).map_err(|err| {
            let message = cell_error(&err, &headers, &record);
            // a column the header lacks or should not have: the header's line
            if message.starts_with("missing column") || message.starts_with("unknown column") {
                invalid(file, 1, format!("header: {message}"))
            } else {
                invalid(file, line, message)
            }
        })?;
        rows.push(row);
        lines.push(line);
    }
    if rows.is_empty() {
        return Err(invalid(file, 1, "the file has no rows".into()));
    }
    Ok((rows, lines))
}

/// The message of a row that does not deserialize: the column and value of
/// a bad cell, or the missing or unknown column serde names.
fn cell_error(err: &csv::Error, headers: &csv::StringRecord, record: &csv::StringRecord) -> String {
    let csv::ErrorKind::Deserialize { err, .. } = err.kind() else {
        return crate::one_line(&err.to_string());
    };
    match err.field() {
        Some(index) => {
            let column = headers.get(index as usize).unwrap_or("?");
            let value = record.get(index as usize).unwrap_or_default();
            let problem = match err.kind() {
                csv::DeserializeErrorKind::ParseFloat(_) => "not a number".to_string(),
                csv::DeserializeErrorKind::ParseInt(_) => "not a whole number in range".to_string(),
                other => crate::one_line(&other.to_string()),
            };
            cell(column, value, &problem)
        }
        None => {
            let message = crate::one_line(&err.kind().to_string());
            // an unknown enum value (workspace, scale): serde names the value, not the column
            let unknown = message
                .strip_prefix("unknown variant `")
                .and_then(|rest| rest.split('`').next());
            match unknown.and_then(|value| record.iter().position(|cell| cell == value)) {
                Some(index) => {
                    let expected = message.split_once(", ").map_or("", |(_, rest)| rest);
                    cell(
                        headers.get(index).unwrap_or("?"),
                        record.get(index).unwrap_or_default(),
                        expected,
                    )
                }
                None => message.replace("field", "column"),
            }
        }
    }
}

/// A name used as a key and in SQL: lower-case letters, digits and `_`,
/// starting with a letter.
fn check_name(file: &str, line: u64, column: &str, name: &str) -> Result<(), SeedsError> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(invalid(
            file,
            line,
            cell(
                column,
                name,
                "a name is lower-case letters, digits and _, starting with a letter",
            ),
        ))
    }
}

fn check_unique<'a>(
    file: &str,
    lines: &[u64],
    column: &str,
    names: impl Iterator<Item = &'a str>,
) -> Result<(), SeedsError> {
    let mut seen = BTreeSet::new();
    for (index, name) in names.enumerate() {
        check_name(file, lines.get(index).copied().unwrap_or(0), column, name)?;
        if !seen.insert(name) {
            return Err(invalid(
                file,
                lines.get(index).copied().unwrap_or(0),
                cell(column, name, "a duplicate name: each name appears once"),
            ));
        }
    }
    Ok(())
}

/// A finite number in `[low, high]`.
fn check_range(
    file: &str,
    line: u64,
    column: &str,
    value: f64,
    low: f64,
    high: f64,
) -> Result<(), SeedsError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            file,
            line,
            cell(
                column,
                &value.to_string(),
                &format!("must be between {low} and {high}"),
            ),
        ))
    }
}

/// A finite number of at least 0.
fn check_non_negative(file: &str, line: u64, column: &str, value: f64) -> Result<(), SeedsError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            file,
            line,
            cell(column, &value.to_string(), "must be a number of at least 0"),
        ))
    }
}

/// Shares of a file sum to 1.
fn check_share_sum(
    file: &str,
    lines: &[u64],
    column: &str,
    shares: &[f64],
) -> Result<(), SeedsError> {
    let sum: f64 = shares.iter().sum();
    if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
        let shown = (sum * 1e6).round() / 1e6;
        return Err(invalid(
            file,
            lines.last().copied().unwrap_or(1),
            format!("column '{column}': the shares sum to {shown}; they must sum to 1"),
        ));
    }
    Ok(())
}

fn check_stages(file: &str, lines: &[u64], stages: &[FunnelStage]) -> Result<(), SeedsError> {
    check_unique(
        file,
        lines,
        "stage_name",
        stages.iter().map(|s| s.stage_name.as_str()),
    )?;
    for (index, stage) in stages.iter().enumerate() {
        if stage.definition.is_empty() {
            return Err(invalid(
                file,
                lines.get(index).copied().unwrap_or(0),
                cell("definition", "", "every stage needs a definition"),
            ));
        }
    }
    Ok(())
}

fn check_plans(file: &str, lines: &[u64], plans: &[Plan]) -> Result<(), SeedsError> {
    check_unique(file, lines, "plan", plans.iter().map(|p| p.plan.as_str()))?;
    let mut ranks = BTreeSet::new();
    for (index, plan) in plans.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        if !ranks.insert(plan.plan_rank) {
            return Err(invalid(
                file,
                line,
                cell(
                    "plan_rank",
                    &plan.plan_rank.to_string(),
                    "two plans share a rank; ranks order the plans",
                ),
            ));
        }
        if !(plan.price_per_seat.is_finite() && plan.price_per_seat >= 0.0) {
            return Err(invalid(
                file,
                line,
                cell(
                    "price_per_seat",
                    &plan.price_per_seat.to_string(),
                    "a price is a number of at least 0 (USD per seat per month)",
                ),
            ));
        }
        check_range(file, line, "gross_margin", plan.gross_margin, 0.0, 1.0)?;
    }
    Ok(())
}

/// Parses `plus:0.6 business:0.4` (plan:weight, space-separated).
fn parse_start_plans(
    file: &str,
    line: u64,
    text: &str,
    plans: &[Plan],
) -> Result<Vec<(String, f64)>, SeedsError> {
    let bad = |problem: &str| invalid(file, line, cell("start_plans", text, problem));
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        let Some((plan, weight)) = item.split_once(':') else {
            return Err(bad(
                "write plan:weight pairs separated by spaces, e.g. plus:0.6 business:0.4",
            ));
        };
        if !plans.iter().any(|p| p.plan == plan) {
            return Err(bad(&format!("plan '{plan}' is not in plans.csv")));
        }
        let weight: f64 = weight
            .parse()
            .ok()
            .filter(|w: &f64| w.is_finite() && *w > 0.0)
            .ok_or_else(|| bad(&format!("weight '{weight}' must be a number above 0")))?;
        out.push((plan.to_string(), weight));
    }
    if out.is_empty() {
        return Err(bad("a segment needs at least one starting plan"));
    }
    Ok(out)
}

/// Parses `plus>business:0.05 business>plus:0.004` (from>to:probability).
fn parse_plan_moves(
    file: &str,
    line: u64,
    text: &str,
    plans: &[Plan],
) -> Result<Vec<(String, String, f64)>, SeedsError> {
    let bad = |problem: &str| invalid(file, line, cell("plan_moves", text, problem));
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        let Some((from, rest)) = item.split_once('>') else {
            return Err(bad(
                "write from>to:probability items separated by spaces, e.g. plus>business:0.05",
            ));
        };
        let Some((to, probability)) = rest.split_once(':') else {
            return Err(bad(
                "write from>to:probability items separated by spaces, e.g. plus>business:0.05",
            ));
        };
        for plan in [from, to] {
            if !plans.iter().any(|p| p.plan == plan) {
                return Err(bad(&format!("plan '{plan}' is not in plans.csv")));
            }
        }
        let probability: f64 = probability
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && (0.0..=1.0).contains(p))
            .ok_or_else(|| {
                bad(&format!(
                    "probability '{probability}' must be between 0 and 1"
                ))
            })?;
        out.push((from.to_string(), to.to_string(), probability));
    }
    Ok(out)
}

fn segment_from_row(
    file: &str,
    line: u64,
    row: SegmentRow,
    plans: &[Plan],
) -> Result<Segment, SeedsError> {
    let start_plans = parse_start_plans(file, line, &row.start_plans, plans)?;
    let plan_moves = parse_plan_moves(file, line, &row.plan_moves, plans)?;
    Ok(Segment {
        segment: row.segment,
        share: row.share,
        paid_multiplier: row.paid_multiplier,
        activation_multiplier: row.activation_multiplier,
        engagement_multiplier: row.engagement_multiplier,
        collaboration_probability: row.collaboration_probability,
        churn_multiplier: row.churn_multiplier,
        workspace: row.workspace,
        team_size_min: row.team_size_min,
        team_size_max: row.team_size_max,
        start_plans,
        plan_moves,
    })
}

fn check_segments(file: &str, lines: &[u64], segments: &[Segment]) -> Result<(), SeedsError> {
    check_unique(
        file,
        lines,
        "segment",
        segments.iter().map(|s| s.segment.as_str()),
    )?;
    for (index, segment) in segments.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        check_range(file, line, "share", segment.share, 0.0, 1.0)?;
        check_non_negative(file, line, "paid_multiplier", segment.paid_multiplier)?;
        // (column, value, highest accepted), each at least 0
        for (column, value, high) in [
            (
                "activation_multiplier",
                segment.activation_multiplier,
                100.0,
            ),
            (
                "engagement_multiplier",
                segment.engagement_multiplier,
                100.0,
            ),
            (
                "collaboration_probability",
                segment.collaboration_probability,
                1.0,
            ),
            ("churn_multiplier", segment.churn_multiplier, 100.0),
        ] {
            check_range(file, line, column, value, 0.0, high)?;
        }
        let (min, max) = (segment.team_size_min, segment.team_size_max);
        let sizes_ok = match segment.workspace {
            WorkspaceKind::Personal => min == 1 && max == 1,
            _ => (1..=max).contains(&min) && max <= 100_000,
        };
        if !sizes_ok {
            return Err(invalid(
                file,
                line,
                cell(
                    "team_size_max",
                    &max.to_string(),
                    &format!(
                        "team sizes {min}..{max}: a personal workspace is 1..1, a team 1 <= team_size_min <= team_size_max <= 100000"
                    ),
                ),
            ));
        }
    }
    let shares: Vec<f64> = segments.iter().map(|s| s.share).collect();
    check_share_sum(file, lines, "share", &shares)
}

fn check_channels(file: &str, lines: &[u64], channels: &[Channel]) -> Result<(), SeedsError> {
    check_unique(
        file,
        lines,
        "channel",
        channels.iter().map(|c| c.channel.as_str()),
    )?;
    for (index, channel) in channels.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        check_range(file, line, "share", channel.share, 0.0, 1.0)?;
        check_range(
            file,
            line,
            "activation_multiplier",
            channel.activation_multiplier,
            0.0,
            100.0,
        )?;
        check_non_negative(file, line, "paid_multiplier", channel.paid_multiplier)?;
        if !(channel.visit_conversion.is_finite() && channel.visit_conversion > 0.0) {
            return Err(invalid(
                file,
                line,
                cell(
                    "visit_conversion",
                    &channel.visit_conversion.to_string(),
                    "must be a number above 0",
                ),
            ));
        }
    }
    let shares: Vec<f64> = channels.iter().map(|c| c.share).collect();
    check_share_sum(file, lines, "share", &shares)
}

fn check_levers(
    file: &str,
    lines: &[u64],
    levers: &[GrowthLever],
    stages: &[FunnelStage],
) -> Result<(), SeedsError> {
    check_unique(
        file,
        lines,
        "lever_name",
        levers.iter().map(|l| l.lever_name.as_str()),
    )?;
    for (index, lever) in levers.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        if !stages.iter().any(|s| s.stage_name == lever.target_stage) {
            let names: Vec<&str> = stages.iter().map(|s| s.stage_name.as_str()).collect();
            return Err(invalid(
                file,
                line,
                cell(
                    "target_stage",
                    &lever.target_stage,
                    &format!(
                        "not a funnel stage of funnel_stages.csv ({})",
                        names.join(", ")
                    ),
                ),
            ));
        }
        for (column, value) in [
            ("low_lift", lever.low_lift),
            ("expected_lift", lever.expected_lift),
            ("high_lift", lever.high_lift),
        ] {
            check_range(file, line, column, value, -0.99, 100.0)?;
        }
        if !(lever.low_lift <= lever.expected_lift && lever.expected_lift <= lever.high_lift) {
            return Err(invalid(
                file,
                line,
                cell(
                    "expected_lift",
                    &lever.expected_lift.to_string(),
                    &format!(
                        "low_lift <= expected_lift <= high_lift is needed (low {}, high {})",
                        lever.low_lift, lever.high_lift
                    ),
                ),
            ));
        }
        check_range(file, line, "confidence", lever.confidence, 0.0, 1.0)?;
        if !(0..=120).contains(&lever.ramp_months) {
            return Err(invalid(
                file,
                line,
                cell(
                    "ramp_months",
                    &lever.ramp_months.to_string(),
                    "must be between 0 and 120",
                ),
            ));
        }
        check_non_negative(file, line, "cost_weeks", lever.cost_weeks)?;
        check_non_negative(file, line, "cost_per_week", lever.cost_per_week)?;
        check_range(file, line, "gross_margin", lever.gross_margin, 0.0, 1.0)?;
        if lever.description.is_empty() {
            return Err(invalid(
                file,
                line,
                cell("description", "", "every lever needs a description"),
            ));
        }
    }
    Ok(())
}

const UNITS: [&str; 5] = ["count", "share", "ratio", "relative", "usd"];

fn check_targets(file: &str, lines: &[u64], seeds: &Seeds) -> Result<(), SeedsError> {
    let mut ids = BTreeSet::new();
    for (index, target) in seeds.calibration_targets.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        let id_ok = !target.target_id.is_empty()
            && target
                .target_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !id_ok {
            return Err(invalid(
                file,
                line,
                cell(
                    "target_id",
                    &target.target_id,
                    "an id is letters, digits and _",
                ),
            ));
        }
        if !UNITS.contains(&target.unit.as_str()) {
            return Err(invalid(
                file,
                line,
                cell(
                    "unit",
                    &target.unit,
                    &format!("expected one of {}", UNITS.join(", ")),
                ),
            ));
        }
        for (column, value) in [
            ("target_value", target.target_value),
            ("lower_bound", target.lower_bound),
            (
                "upper_bound",
                target.upper_bound.unwrap_or(target.lower_bound),
            ),
        ] {
            if !value.is_finite() {
                return Err(invalid(
                    file,
                    line,
                    cell(column, &value.to_string(), "must be a finite number"),
                ));
            }
        }
        let upper = target.upper_bound.unwrap_or(f64::INFINITY);
        if !(target.lower_bound <= target.target_value && target.target_value <= upper) {
            return Err(invalid(
                file,
                line,
                cell(
                    "target_value",
                    &target.target_value.to_string(),
                    &format!(
                        "lower_bound <= target_value <= upper_bound is needed (lower {}, upper {upper})",
                        target.lower_bound
                    ),
                ),
            ));
        }
        // the ids this row becomes, unique over the file
        let expanded: Vec<String> = match target.scale {
            TargetScale::Fixed | TargetScale::PerUser => vec![target.target_id.clone()],
            TargetScale::SegmentShare => seeds
                .segments
                .iter()
                .map(|s| format!("{}_{}", target.target_id, s.segment))
                .collect(),
            TargetScale::ChannelShare => seeds
                .channels
                .iter()
                .map(|c| format!("{}_{}", target.target_id, c.channel))
                .collect(),
        };
        for id in expanded {
            if !ids.insert(id.clone()) {
                return Err(invalid(
                    file,
                    line,
                    cell(
                        "target_id",
                        &target.target_id,
                        &format!("a duplicate target id ({id})"),
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write seed file");
        }
        dir
    }

    fn error_of(files: &[(&str, &str)]) -> String {
        let dir = folder(files);
        Seeds::load(Some(dir.path()))
            .expect_err("the seed folder must be refused")
            .to_string()
    }

    #[test]
    fn the_builtin_seeds_are_valid() -> Result<(), SeedsError> {
        let seeds = Seeds::load(None)?;
        assert_eq!(seeds.growth_levers.len(), 5);
        assert_eq!(seeds.funnel_stages.len(), 7);
        assert_eq!(seeds.plans.len(), 5);
        assert_eq!(seeds.segments.len(), 4);
        assert_eq!(seeds.channels.len(), 6);
        // C1, C2, 4 x C3, 6 x C4, C5 .. C21 with C12 three times
        assert_eq!(seeds.calibration_rows(50_000).len(), 31);
        Ok(())
    }

    #[test]
    fn per_user_and_share_targets_expand() {
        let rows = Seeds::builtin().calibration_rows(50_000);
        let c2 = rows.iter().find(|r| r.target_id == "C2").expect("C2");
        assert_eq!(
            (c2.target_value, c2.lower_bound, c2.upper_bound),
            (750_000.0, 500_000.0, Some(1_000_000.0))
        );
        let c3 = rows
            .iter()
            .find(|r| r.target_id == "C3_enterprise")
            .expect("C3_enterprise");
        assert_eq!(c3.measure, "share of users in segment enterprise");
        assert_eq!(
            (c3.target_value, c3.lower_bound, c3.upper_bound),
            (0.15, 0.15 - 0.02, Some(0.15 + 0.02))
        );
    }

    #[test]
    fn a_missing_file_in_the_folder_is_the_builtin_one() -> Result<(), SeedsError> {
        let dir = folder(&[(
            "plans.csv",
            "plan,plan_rank,price_per_seat,gross_margin,description\nfree,0,0,0.8,free\neducation,1,4,0.8,e\nplus,2,11,0.8,p\nbusiness,3,18,0.8,b\nenterprise,4,25,0.8,x\n",
        )]);
        let seeds = Seeds::load(Some(dir.path()))?;
        assert_eq!(seeds.price_per_seat("plus"), 11.0);
        assert_eq!(seeds.segments, Seeds::builtin().segments);
        Ok(())
    }

    #[test]
    fn bad_seed_files_name_file_line_column_and_value() {
        let segments = include_str!("../seeds/segments.csv");
        let cases: Vec<(String, &str, Vec<&str>)> = vec![
            (
                segments.replace("individual,0.45", "individual,0.55"),
                "segments.csv",
                vec!["segments.csv' line 5", "column 'share'", "sum to 1.1"],
            ),
            (
                segments.replace("small_team,0.35", "individual,0.35"),
                "segments.csv",
                vec!["line 3", "column 'segment' = 'individual'", "duplicate"],
            ),
            (
                segments.replace("plus:0.6 business:0.4", "plus:0.6 platinum:0.4"),
                "segments.csv",
                vec!["line 3", "column 'start_plans'", "plan 'platinum'"],
            ),
            (
                segments.replace(",personal,", ",castle,"),
                "segments.csv",
                vec!["line 2", "column 'workspace' = 'castle'"],
            ),
            (
                include_str!("../seeds/plans.csv").replace("plus,2,10.0", "plus,2,-10.0"),
                "plans.csv",
                vec!["plans.csv' line 4", "column 'price_per_seat' = '-10'"],
            ),
            (
                include_str!("../seeds/growth_levers.csv")
                    .replace("seo_content,signup", "seo_content,virality"),
                "growth_levers.csv",
                vec![
                    "line 4",
                    "column 'target_stage' = 'virality'",
                    "not a funnel stage",
                ],
            ),
            (
                include_str!("../seeds/channels.csv").replace("paid_ads,0.10", "paid_ads,ten"),
                "channels.csv",
                vec!["line 5", "column 'share' = 'ten'", "not a number"],
            ),
            (
                include_str!("../seeds/calibration_targets.csv")
                    .replace(",share,fixed,", ",percent,fixed,"),
                "calibration_targets.csv",
                vec!["line 6", "column 'unit' = 'percent'"],
            ),
            (
                include_str!("../seeds/channels.csv").replace("visit_conversion", "conversion"),
                "channels.csv",
                vec!["line 1", "conversion"],
            ),
        ];
        for (text, name, needles) in cases {
            let err = error_of(&[(name, &text)]);
            assert!(!err.contains('\n'), "{err}");
            for needle in needles {
                assert!(err.contains(needle), "{name}: '{needle}' not in: {err}");
            }
        }
        let err = error_of(&[("segment.csv", "segment\nx\n")]);
        assert!(
            err.contains("'segment.csv', which is not a seed file"),
            "{err}"
        );
    }
}
