//! Run configuration: defaults, an optional TOML file, and command-line
//! overrides, validated into one [`Config`] before anything touches a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::seeds::{Seeds, SeedsError};

/// Largest `--users` we accept: beyond this the run would need more disk and
/// time than a single machine should be asked for by a typo.
pub const MAX_USERS: u64 = 100_000_000;

/// Errors in the configuration (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("unable to read config file '{path}'")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--config` names a directory.
    #[error("--config '{path}' is a directory; pass a TOML file")]
    NotAFile { path: PathBuf },
    /// The config file is not valid TOML or has an unknown key.
    #[error("invalid config file '{path}': {message}")]
    Parse { path: PathBuf, message: String },
    /// An environment variable northstar reads has a bad value.
    #[error("invalid environment variable {name}: {problem}; expected {expected}")]
    Env {
        name: &'static str,
        problem: String,
        expected: &'static str,
    },
    /// A value is out of its accepted range.
    #[error("invalid value for '{key}': {message}")]
    Invalid { key: &'static str, message: String },
    /// A seed file is invalid (its own one-line message).
    #[error(transparent)]
    Seeds(#[from] SeedsError),
    /// A generator flag or config key given to `run --from-ingest`.
    #[error("{what} does not apply to `run --from-ingest`: ingested data is analysed as loaded (set its period with `northstar ingest --start/--end`; a config file may hold [analysis] and warehouse only)")]
    NotForIngested { what: String },
}

/// Everything a run needs. Keys match the TOML file and the CLI flags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Number of synthetic users.
    pub users: u64,
    /// Seed of the deterministic generator.
    pub seed: u64,
    /// First day of the simulated period (UTC).
    #[serde(deserialize_with = "toml_date")]
    pub start: NaiveDate,
    /// Last day of the simulated period (UTC), inclusive.
    #[serde(deserialize_with = "toml_date")]
    pub end: NaiveDate,
    /// Path of the warehouse file.
    pub warehouse: PathBuf,
    /// Worker threads for simulation (0 = all cores). Output does not depend on it.
    pub threads: usize,
    /// Analysis parameters written to `config.params`.
    pub analysis: AnalysisParams,
    /// Behaviour parameters of the synthetic population.
    pub behaviour: Behaviour,
    /// How a tool's export maps onto the raw tables (`northstar ingest --from`;
    /// docs/CONNECTORS.md has one example per tool).
    #[serde(skip_serializing_if = "Mapping::is_empty")]
    pub mapping: Mapping,
    /// The `[seeds]` section: a folder of seed CSV files replacing the
    /// built-in ones (docs/SEEDS.md).
    #[serde(skip_serializing_if = "SeedsSection::is_default")]
    pub seeds: SeedsSection,
    /// The seed tables in use: the built-in ones, or those of `seeds.dir`
    /// (read by [`Config::load`]).
    #[serde(skip)]
    pub seed_data: Arc<Seeds>,
}

/// The `[seeds]` section of the config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SeedsSection {
    /// Folder whose seed CSV files replace the built-in ones (a file it
    /// lacks stays the built-in one); `--seeds DIR` overrides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

impl SeedsSection {
    /// True when the section is absent (the built-in seeds).
    pub fn is_default(&self) -> bool {
        self.dir.is_none()
    }
}

/// The `[mapping]` section: which event names mean which northstar event,
/// and where the workspace, user attributes and revenue come from. A source
/// is a path `properties.<key>`, `traits.<key>`, `groups.<key>` or
/// `event.<field>` (nested keys separated by dots); `event` is the exported
/// row itself (Amplitude's `event.country`, Segment's
/// `event.context.campaign.source`), `properties` the event's properties,
/// `traits` the user's properties (Segment traits, Amplitude
/// user_properties, PostHog `$set`), `groups` the tool's groups (PostHog
/// `$groups`, Amplitude `groups`, Segment `context.groupId` as
/// `groups.groupId`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Mapping {
    /// northstar event type (signup, page_create, share, ..., subscription_start,
    /// subscription_end) -> the tool's event names that mean it.
    pub events: std::collections::BTreeMap<String, Vec<String>>,
    /// Source of the workspace id (absent: each user's personal workspace).
    pub workspace: Option<String>,
    /// Source of raw.users.segment.
    pub segment: Option<String>,
    /// Source of raw.users.acquisition_channel (UTM source).
    pub channel: Option<String>,
    /// Source of the UTM medium, appended to the channel as `source / medium`.
    pub channel_medium: Option<String>,
    /// Source of raw.users.device.
    pub device: Option<String>,
    /// Source of raw.users.region.
    pub region: Option<String>,
    /// Source of raw.users.use_case.
    pub use_case: Option<String>,
    /// Source of a subscription's monthly revenue (on subscription_start events).
    pub revenue: Option<String>,
    /// Source of a subscription's plan name.
    pub plan: Option<String>,
    /// Source of a subscription's seat count.
    pub seats: Option<String>,
}

/// The northstar event types a `[mapping.events]` key may name.
pub const MAPPED_EVENT_TYPES: [&str; 15] = [
    "signup",
    "page_view",
    "page_create",
    "page_edit",
    "template_use",
    "database_create",
    "search",
    "integration_connect",
    "export",
    "share",
    "invite",
    "comment",
    "co_edit",
    "subscription_start",
    "subscription_end",
];

impl Mapping {
    /// True when the section is absent (nothing to write back).
    pub fn is_empty(&self) -> bool {
        *self == Mapping::default()
    }

    /// The sources by key, for validation and the connectors.
    pub fn sources(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("workspace", self.workspace.as_deref()),
            ("segment", self.segment.as_deref()),
            ("channel", self.channel.as_deref()),
            ("channel_medium", self.channel_medium.as_deref()),
            ("device", self.device.as_deref()),
            ("region", self.region.as_deref()),
            ("use_case", self.use_case.as_deref()),
            ("revenue", self.revenue.as_deref()),
            ("plan", self.plan.as_deref()),
            ("seats", self.seats.as_deref()),
        ]
    }

    /// Checks event types and source paths.
    ///
    /// # Errors
    /// The first unknown event type, empty name list or malformed source, by key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid =
            |key: &'static str, message: String| Err(ConfigError::Invalid { key, message });
        let mut seen: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        for (event_type, names) in &self.events {
            if !MAPPED_EVENT_TYPES.contains(&event_type.as_str()) {
                return invalid(
                    "mapping.events",
                    format!(
                        "'{}' is not a northstar event type; expected one of {}",
                        crate::one_line(event_type),
                        MAPPED_EVENT_TYPES.join(", ")
                    ),
                );
            }
            for name in names {
                if let Some(other) = seen.insert(name.as_str(), event_type.as_str()) {
                    return invalid(
                        "mapping.events",
                        format!(
                            "event name '{}' is mapped to both {other} and {event_type}",
                            crate::one_line(name)
                        ),
                    );
                }
            }
        }
        for (key, source) in self.sources() {
            let Some(source) = source else { continue };
            let mut parts = source.splitn(2, '.');
            let root = parts.next().unwrap_or_default();
            let rest = parts.next().unwrap_or_default();
            if !matches!(root, "properties" | "traits" | "groups" | "event")
                || rest.is_empty()
                || rest.split('.').any(str::is_empty)
            {
                return Err(ConfigError::Invalid {
                    key: mapping_key(key),
                    message: format!(
                        "'{}' is not a source path: write properties.<key>, traits.<key>, groups.<key> or event.<field>",
                        crate::one_line(source)
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The full config key of a `[mapping]` source (error messages).
fn mapping_key(key: &str) -> &'static str {
    match key {
        "workspace" => "mapping.workspace",
        "segment" => "mapping.segment",
        "channel" => "mapping.channel",
        "channel_medium" => "mapping.channel_medium",
        "device" => "mapping.device",
        "region" => "mapping.region",
        "use_case" => "mapping.use_case",
        "revenue" => "mapping.revenue",
        "plan" => "mapping.plan",
        _ => "mapping.seats",
    }
}

/// A date written either as TOML's own date (`end = 2024-01-01`) or as a
/// string (`end = "2024-01-01"`); anything else names what was found.
fn toml_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    use serde::de::Error;
    let expected = "a date in YYYY-MM-DD form, such as 2024-01-01";
    match toml::Value::deserialize(deserializer)? {
        toml::Value::String(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| D::Error::custom(format!("'{text}' is not {expected}"))),
        toml::Value::Datetime(datetime) => match (datetime.date, datetime.time) {
            (Some(date), None) => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .ok_or_else(|| D::Error::custom(format!("{datetime} is not {expected}"))),
            _ => Err(D::Error::custom(format!(
                "{datetime} has a time of day; expected {expected}"
            ))),
        },
        other => Err(D::Error::custom(format!(
            "found {} {other}; expected {expected}",
            other.type_str()
        ))),
    }
}

/// Parameters the SQL reads from `config.params`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisParams {
    pub activation_window_days: i32,
    pub engagement_window_days: i32,
    pub engagement_min_active_days: i32,
    pub habit_window_weeks: i32,
    pub habit_consecutive_weeks: i32,
    pub collaboration_window_days: i32,
    pub monetization_window_days: i32,
    /// North Star target (weekly active collaborative workspaces) per 1,000
    /// users in the warehouse; `config.params.north_star_target` is this
    /// times users / 1,000, so the target follows `--users`.
    pub north_star_target_per_1000_users: f64,
    /// Size of the real user base the sample stands for.
    pub population_users: i64,
    /// Former planning ARPU (USD a month), kept in `config.params` for
    /// compatibility; the growth model measures ARPA instead.
    pub arpu_monthly: f64,
    pub stickiness_benchmark: f64,
    pub signup_growth_monthly: f64,
    pub projection_months: i32,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        Self {
            activation_window_days: 7,
            engagement_window_days: 14,
            engagement_min_active_days: 3,
            habit_window_weeks: 8,
            habit_consecutive_weeks: 3,
            collaboration_window_days: 90,
            monetization_window_days: 120,
            north_star_target_per_1000_users: 6.0,
            population_users: 30_000_000,
            arpu_monthly: 12.0,
            stickiness_benchmark: 0.30,
            signup_growth_monthly: 0.03,
            projection_months: 24,
        }
    }
}

/// Behaviour of the synthetic population. The defaults are calibrated so the
/// default run meets every calibration target of docs/CALIBRATION.md (see
/// `tests/calibration.rs`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Behaviour {
    /// Signups per day at the end of the period / at the start.
    pub signup_growth_factor: f64,
    /// Anonymous visits per signup (awareness -> signup = 1 / (1 + this)).
    pub anonymous_visits_per_signup: f64,
    /// Probability of creating a first page within the activation window.
    pub activation_rate: f64,
    /// Share of activators who activate within 24 hours.
    pub fast_activation_share: f64,
    /// P(engaged | activated).
    pub engagement_rate: f64,
    /// P(habit | engaged).
    pub habit_rate: f64,
    /// P(collaborates after the habit | habit).
    pub collaboration_rate: f64,
    /// P(pays within the monetization window | collaborated after habit).
    pub funnel_paid_rate: f64,
    /// Lifetime paid probability of a user of a segment whose
    /// `paid_multiplier` (seeds/segments.csv) is 1.
    pub paid_base_rate: f64,
    /// Monthly cancellation probability of a subscription.
    pub subscription_churn_monthly: f64,
    /// Sigma of the log-normal latent engagement (heavier tail when larger).
    pub engagement_sigma: f64,
    /// Weekly probability of churning in the first weeks after signup.
    pub churn_hazard_initial: f64,
    /// Weekly churn hazard long after signup.
    pub churn_hazard_floor: f64,
    /// Weeks over which the hazard decays from initial to floor (e-folding).
    pub churn_hazard_decay_weeks: f64,
    /// Multiplier of the early (decaying) part of the hazard for fast activators (< 24 h).
    pub fast_activator_hazard_multiplier: f64,
    /// Relative improvement of retention from the first to the last cohort.
    pub cohort_improvement: f64,
    /// Probability that a retained (alive) user is active in a given week.
    pub weekly_activity: f64,
    /// Mean events per active day beyond the first.
    pub extra_events_per_day: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            signup_growth_factor: 3.0,
            anonymous_visits_per_signup: 5.667,
            activation_rate: 0.60,
            fast_activation_share: 0.55,
            engagement_rate: 0.45,
            habit_rate: 0.35,
            collaboration_rate: 0.50,
            funnel_paid_rate: 0.25,
            paid_base_rate: 0.062,
            subscription_churn_monthly: 0.012,
            engagement_sigma: 0.8,
            churn_hazard_initial: 0.29,
            churn_hazard_floor: 0.028,
            churn_hazard_decay_weeks: 4.0,
            fast_activator_hazard_multiplier: 0.18,
            cohort_improvement: 0.13,
            weekly_activity: 0.38,
            extra_events_per_day: 0.45,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            users: 50_000,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid constant date"),
            end: NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid constant date"),
            warehouse: PathBuf::from("warehouse/northstar.duckdb"),
            threads: 0,
            analysis: AnalysisParams::default(),
            behaviour: Behaviour::default(),
            mapping: Mapping::default(),
            seeds: SeedsSection::default(),
            seed_data: Arc::new(Seeds::builtin().clone()),
        }
    }
}

/// Command-line values that override the file (None = not given).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub users: Option<u64>,
    pub seed: Option<u64>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub warehouse: Option<PathBuf>,
    pub threads: Option<usize>,
    /// `--seeds DIR`.
    pub seeds: Option<PathBuf>,
}

impl Config {
    /// Loads defaults, then `file` (if any), then `overrides`, and validates.
    ///
    /// # Errors
    /// A missing or unreadable file, invalid TOML, an unknown key, or a value
    /// out of range.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        if let Some(users) = overrides.users {
            config.users = users;
        }
        if let Some(seed) = overrides.seed {
            config.seed = seed;
        }
        if let Some(start) = overrides.start {
            config.start = start;
        }
        if let Some(end) = overrides.end {
            config.end = end;
        }
        if let Some(warehouse) = &overrides.warehouse {
            config.warehouse.clone_from(warehouse);
        }
        if let Some(threads) = overrides.threads {
            config.threads = threads;
        }
        if let Some(dir) = &overrides.seeds {
            config.seeds.dir = Some(dir.clone());
        }
        config.seed_data = Arc::new(Seeds::load(config.seeds.dir.as_deref())?);
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML config file (unknown keys are errors).
    ///
    /// # Errors
    /// Unreadable file or invalid content.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        if path.is_dir() {
            return Err(ConfigError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses TOML text; the error is a one-line message.
    ///
    /// # Errors
    /// Invalid TOML or unknown keys.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str::<Self>(text).map_err(|err| {
            // One line: toml's messages may span several ("invalid string\nexpected ...").
            let message = err
                .message()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            let moved = ["segment_shares", "channel_shares", "paid_segment_multiplier"]
                .iter()
                .any(|key| message.contains(&format!("unknown field `{key}`")));
            let message = if moved {
                format!("{message}; the segment and channel shares and multipliers are columns of the seed files segments.csv and channels.csv (docs/SEEDS.md)")
            } else {
                message
            };
            match err.span() {
                Some(span) => {
                    let start = span.start.min(text.len());
                    let line = text[..start].matches('\n').count() + 1;
                    // The offending line itself names the key and the value.
                    let shown: String = text
                        .lines()
                        .nth(line - 1)
                        .map(str::trim)
                        .unwrap_or_default()
                        .chars()
                        .take(80)
                        .flat_map(char::escape_debug)
                        .collect();
                    if shown.is_empty() {
                        format!("line {line}: {message}")
                    } else {
                        format!("line {line} `{shown}`: {message}")
                    }
                }
                None => message,
            }
        })
    }

    /// The effective configuration as TOML (stored in `meta.pipeline_runs`).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|err| format!("# unable to serialize config: {err}"))
    }

    /// Number of days in the period, inclusive.
    pub fn period_days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Checks every value's range: the run itself, then each section.
    ///
    /// # Errors
    /// The first value out of range, named by its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.mapping.validate()?;
        self.validate_run()?;
        self.analysis.validate()?;
        self.behaviour.validate(&self.seed_data)
    }

    /// The top-level keys: users, period, threads.
    fn validate_run(&self) -> Result<(), ConfigError> {
        if self.users == 0 {
            return invalid("users", "must be at least 1".into());
        }
        if self.users > MAX_USERS {
            return invalid(
                "users",
                format!(
                    "{} is more than the supported maximum of {MAX_USERS}",
                    self.users
                ),
            );
        }
        if self.end < self.start {
            return invalid(
                "end",
                format!("end date {} is before start date {}", self.end, self.start),
            );
        }
        if self.period_days() < 28 {
            return invalid(
                "end",
                format!(
                    "the period {}..{} is {} days; at least 28 days are needed",
                    self.start,
                    self.end,
                    self.period_days()
                ),
            );
        }
        if self.period_days() > 366 * 20 {
            return invalid("end", "the period is longer than 20 years".into());
        }
        if self.threads > 1024 {
            return invalid("threads", format!("{} threads is absurd", self.threads));
        }
        Ok(())
    }
}

/// `Err(ConfigError::Invalid)` for `key`.
fn invalid(key: &'static str, message: String) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid { key, message })
}

/// Each value of `values` in `[low, high]` (and finite), else the error of
/// the first one out of range, by key, with `expected`.
fn check_each<T: PartialOrd + Copy + std::fmt::Display>(
    values: &[(&'static str, T)],
    accepted: impl Fn(T) -> bool,
    expected: &str,
) -> Result<(), ConfigError> {
    match values.iter().find(|(_, value)| !accepted(*value)) {
        Some((key, value)) => invalid(key, format!("{value} {expected}")),
        None => Ok(()),
    }
}

impl AnalysisParams {
    /// Windows and horizons in days, weeks or months; the population, the
    /// North Star target and the ARPU.
    fn validate(&self) -> Result<(), ConfigError> {
        let a = self;
        check_each(
            &[
                ("analysis.activation_window_days", a.activation_window_days),
                ("analysis.engagement_window_days", a.engagement_window_days),
                (
                    "analysis.engagement_min_active_days",
                    a.engagement_min_active_days,
                ),
                ("analysis.habit_window_weeks", a.habit_window_weeks),
                (
                    "analysis.habit_consecutive_weeks",
                    a.habit_consecutive_weeks,
                ),
                (
                    "analysis.collaboration_window_days",
                    a.collaboration_window_days,
                ),
                (
                    "analysis.monetization_window_days",
                    a.monetization_window_days,
                ),
                ("analysis.projection_months", a.projection_months),
            ],
            |value| (1..=3650).contains(&value),
            "must be between 1 and 3650",
        )?;
        if a.population_users < 1 {
            return invalid(
                "analysis.population_users",
                format!("{} must be at least 1", a.population_users),
            );
        }
        check_each(
            &[
                (
                    "analysis.north_star_target_per_1000_users",
                    a.north_star_target_per_1000_users,
                ),
                ("analysis.arpu_monthly", a.arpu_monthly),
            ],
            |value: f64| value.is_finite() && value >= 0.0,
            "must be a number of at least 0",
        )
    }
}

impl Behaviour {
    /// Probabilities in [0, 1], other parameters in [0, 100], and the paid
    /// probability of every segment of `seeds` at most 1.
    fn validate(&self, seeds: &Seeds) -> Result<(), ConfigError> {
        let b = self;
        check_each(
            &[
                ("behaviour.activation_rate", b.activation_rate),
                ("behaviour.fast_activation_share", b.fast_activation_share),
                ("behaviour.engagement_rate", b.engagement_rate),
                ("behaviour.habit_rate", b.habit_rate),
                ("behaviour.collaboration_rate", b.collaboration_rate),
                ("behaviour.funnel_paid_rate", b.funnel_paid_rate),
                ("behaviour.paid_base_rate", b.paid_base_rate),
                (
                    "behaviour.subscription_churn_monthly",
                    b.subscription_churn_monthly,
                ),
                ("behaviour.churn_hazard_initial", b.churn_hazard_initial),
                ("behaviour.churn_hazard_floor", b.churn_hazard_floor),
                ("behaviour.weekly_activity", b.weekly_activity),
            ],
            |value: f64| (0.0..=1.0).contains(&value),
            "must be a probability in [0, 1]",
        )?;
        check_each(
            &[
                ("behaviour.signup_growth_factor", b.signup_growth_factor),
                (
                    "behaviour.anonymous_visits_per_signup",
                    b.anonymous_visits_per_signup,
                ),
                ("behaviour.engagement_sigma", b.engagement_sigma),
                (
                    "behaviour.churn_hazard_decay_weeks",
                    b.churn_hazard_decay_weeks,
                ),
                (
                    "behaviour.fast_activator_hazard_multiplier",
                    b.fast_activator_hazard_multiplier,
                ),
                ("behaviour.cohort_improvement", b.cohort_improvement),
                ("behaviour.extra_events_per_day", b.extra_events_per_day),
            ],
            |value: f64| value.is_finite() && (0.0..=100.0).contains(&value),
            "must be between 0 and 100",
        )?;
        if b.signup_growth_factor <= 0.0 {
            return invalid(
                "behaviour.signup_growth_factor",
                format!("{} must be more than 0", b.signup_growth_factor),
            );
        }
        if let Some(segment) = seeds
            .segments
            .iter()
            .find(|segment| b.paid_base_rate * segment.paid_multiplier > 1.0)
        {
            return invalid(
                "behaviour.paid_base_rate",
                format!(
                    "{} times the paid_multiplier {} of segment {} (seeds segments.csv) is more than 1; lower one of them",
                    b.paid_base_rate, segment.paid_multiplier, segment.segment
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() -> Result<(), ConfigError> {
        Config::default().validate()
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = Config::from_toml("users = 10\nuserz = 5\n").expect_err("unknown key must fail");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("userz"), "{err}");
    }

    #[test]
    fn file_round_trips() -> Result<(), String> {
        let config = Config::default();
        let parsed = Config::from_toml(&config.to_toml())?;
        assert_eq!(parsed, config);
        Ok(())
    }

    #[test]
    fn end_before_start_is_rejected() {
        let overrides = Overrides {
            start: NaiveDate::from_ymd_opt(2024, 5, 1),
            end: NaiveDate::from_ymd_opt(2024, 1, 1),
            ..Overrides::default()
        };
        let err = Config::load(None, &overrides).expect_err("must fail");
        assert!(err.to_string().contains("before start"), "{err}");
    }

    #[test]
    fn dates_may_be_toml_dates_or_strings() -> Result<(), String> {
        let config = Config::from_toml("start = 2024-01-01\nend = \"2024-06-30\"\n")?;
        assert_eq!(
            config.start,
            NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
        );
        assert_eq!(
            config.end,
            NaiveDate::from_ymd_opt(2024, 6, 30).expect("date")
        );
        for (text, needle) in [
            ("end = 2024-01-01T10:00:00\n", "has a time of day"),
            (
                "end = \"soon\"\n",
                "'soon' is not a date in YYYY-MM-DD form",
            ),
            ("end = 5\n", "found integer 5"),
        ] {
            let err = Config::from_toml(text).expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
            assert!(err.contains("line 1 `end = "), "{text}: {err}");
            assert!(!err.contains("map"), "{text}: {err}");
        }
        Ok(())
    }

    #[test]
    fn a_paid_rate_above_one_names_the_segment() {
        let mut config = Config::default();
        config.behaviour.paid_base_rate = 0.2;
        let err = config.validate().expect_err("0.2 x 7 > 1").to_string();
        assert!(err.contains("behaviour.paid_base_rate"), "{err}");
        assert!(
            err.contains("paid_multiplier 7 of segment enterprise"),
            "{err}"
        );
    }

    #[test]
    fn the_seeds_section_names_a_folder() -> Result<(), String> {
        let config = Config::from_toml("[seeds]\ndir = \"my_seeds\"\n")?;
        assert_eq!(config.seeds.dir, Some(PathBuf::from("my_seeds")));
        assert!(config.to_toml().contains("[seeds]"));
        assert!(!Config::default().to_toml().contains("[seeds]"));
        Ok(())
    }

    #[test]
    fn a_bad_value_names_its_own_key() {
        let mut config = Config::default();
        config.analysis.north_star_target_per_1000_users = -1.0;
        let err = config.validate().expect_err("negative target").to_string();
        assert!(
            err.contains("analysis.north_star_target_per_1000_users"),
            "{err}"
        );
        let mut config = Config::default();
        config.analysis.population_users = 0;
        let err = config.validate().expect_err("no population").to_string();
        assert!(err.contains("analysis.population_users"), "{err}");
    }
}
