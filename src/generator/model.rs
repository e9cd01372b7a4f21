//! The behaviour model: one user's journey from an anonymous visit to (maybe)
//! a paid plan, simulated from a latent engagement and a small set of
//! calibrated probabilities (see `Behaviour` in `config.rs`).
//!
//! The model, in the order it is simulated:
//! 1. **Signup** time from a growing-product density (signups per day rise by
//!    `signup_growth_factor` over the period), stratified by user index so
//!    there is no pile-up anywhere; segment, channel, device, region, use case.
//! 2. **Latent engagement** `e`, log-normal with mean 1: it scales events per
//!    day, days per week and (inversely) the churn hazard, so a minority of
//!    users carries much of the activity.
//! 3. **Early phase** (days 0..13): activation (a first page, fast or slow),
//!    and engagement (three or more active days from the activation day on).
//! 4. **Lifetime** (week 2 on): a weekly churn hazard that decays with tenure,
//!    lower for fast activators, engaged users and later cohorts; an alive
//!    user is active in a week with a probability that grows with `e`, on
//!    weekdays more than weekends.
//! 5. **Habit** (three consecutive active weeks among weeks 1..8) is a trait
//!    of some engaged users; other users' weeks never form such a run.
//! 6. **Collaboration**: share, invite, comment and co-edit, more in team
//!    segments; habit users collaborate after forming the habit or not at all
//!    in the collaboration window.
//!    Members of a team workspace share a weekly rhythm (co-activity): each
//!    week's activity and churn draw is, with probability `TEAM_COACTIVITY`,
//!    the team's draw for that ISO week instead of the member's own. Each
//!    draw stays uniform, so every member's own rates are unchanged; members
//!    are active (and leave) in the same weeks more often than by chance.
//! 7. **Monetization**: funnel completers pay within the monetization window
//!    at `funnel_paid_rate`; everyone else has a lifetime paid probability by
//!    segment and channel. Subscriptions cancel with a monthly hazard.

use rand::Rng;
use rand_distr::{Distribution, Exp, Poisson, StandardNormal};

use crate::config::Behaviour;

pub const SEGMENTS: [&str; 4] = ["individual", "small_team", "enterprise", "education"];
pub const CHANNELS: [&str; 6] = [
    "organic_search",
    "social_media",
    "referral",
    "paid_ads",
    "word_of_mouth",
    "content",
];
pub const DEVICES: [&str; 3] = ["desktop", "mobile", "tablet"];
const DEVICE_SHARES: [f64; 3] = [0.64, 0.27, 0.09];
pub const REGIONS: [&str; 5] = [
    "north_america",
    "europe",
    "asia_pacific",
    "latin_america",
    "other",
];
const REGION_SHARES: [f64; 5] = [0.38, 0.30, 0.20, 0.08, 0.04];
pub const USE_CASES: [&str; 5] = [
    "notes",
    "project_management",
    "knowledge_base",
    "docs",
    "planning",
];
const USE_CASE_SHARES: [f64; 5] = [0.32, 0.24, 0.16, 0.16, 0.12];
pub const LANDING_PAGES: [&str; 5] = ["home", "pricing", "templates", "blog", "docs"];
const LANDING_SHARES: [f64; 5] = [0.40, 0.12, 0.18, 0.22, 0.08];

/// Activation multiplier by channel (referral and word of mouth arrive with intent).
const CHANNEL_ACTIVATION: [f64; 6] = [1.0, 0.90, 1.12, 0.85, 1.08, 1.0];
/// Activation multiplier by segment.
const SEGMENT_ACTIVATION: [f64; 4] = [0.97, 1.02, 1.05, 0.98];
/// Paid multiplier by channel (referral converts better than paid ads).
const CHANNEL_PAID: [f64; 6] = [1.0, 0.85, 1.25, 0.75, 1.05, 0.95];
/// Relative visit-to-signup conversion by channel (paid ads bring cheap clicks).
const CHANNEL_VISIT_CONVERSION: [f64; 6] = [1.0, 0.7, 1.8, 0.55, 1.6, 0.9];
/// Engagement multiplier by segment and device.
const SEGMENT_ENGAGEMENT: [f64; 4] = [0.9, 1.1, 1.2, 0.95];
const DEVICE_ENGAGEMENT: [f64; 3] = [1.05, 0.85, 0.95];
/// Probability an event on an active day is a collaborative action, by segment.
const SEGMENT_COLLABORATION: [f64; 4] = [0.02, 0.09, 0.11, 0.07];
/// Plan, seats range and price per seat by segment.
const PLANS: [(&str, u32, u32, f64); 4] = [
    ("plus", 1, 1, 10.0),
    ("business", 2, 8, 15.0),
    ("enterprise", 10, 60, 20.0),
    ("plus", 5, 30, 4.0),
];
/// Team size range by segment (individuals have personal workspaces).
pub const TEAM_SIZES: [(u32, u32); 4] = [(1, 1), (2, 8), (5, 40), (3, 25)];

/// Weights of active days by weekday, Monday first: the weekly rhythm.
const WEEKDAY_WEIGHTS: [f64; 7] = [1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4];

pub const DAY_US: i64 = 86_400_000_000;
const HOUR_US: i64 = 3_600_000_000;
const MINUTE_US: i64 = 60_000_000;

/// Event types. Collaborative ones are share, invite, comment and co_edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    PageView,
    PageCreate,
    PageEdit,
    TemplateUse,
    DatabaseCreate,
    Search,
    IntegrationConnect,
    Export,
    Share,
    Invite,
    Comment,
    CoEdit,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PageView => "page_view",
            EventType::PageCreate => "page_create",
            EventType::PageEdit => "page_edit",
            EventType::TemplateUse => "template_use",
            EventType::DatabaseCreate => "database_create",
            EventType::Search => "search",
            EventType::IntegrationConnect => "integration_connect",
            EventType::Export => "export",
            EventType::Share => "share",
            EventType::Invite => "invite",
            EventType::Comment => "comment",
            EventType::CoEdit => "co_edit",
        }
    }

    pub fn is_collaborative(self) -> bool {
        matches!(
            self,
            EventType::Share | EventType::Invite | EventType::Comment | EventType::CoEdit
        )
    }
}

/// Non-collaborative event mix of an active day, with weights.
const SOLO_EVENTS: [(EventType, f64); 8] = [
    (EventType::PageView, 0.46),
    (EventType::PageEdit, 0.24),
    (EventType::PageCreate, 0.08),
    (EventType::Search, 0.08),
    (EventType::TemplateUse, 0.05),
    (EventType::DatabaseCreate, 0.04),
    (EventType::Export, 0.03),
    (EventType::IntegrationConnect, 0.02),
];
const COLLABORATIVE_EVENTS: [(EventType, f64); 4] = [
    (EventType::Share, 0.30),
    (EventType::Comment, 0.35),
    (EventType::CoEdit, 0.25),
    (EventType::Invite, 0.10),
];

/// Period boundaries in microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    /// Midnight starting the first day.
    pub start_us: i64,
    /// Midnight after the last day (exclusive).
    pub end_us: i64,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.end_us - self.start_us) / DAY_US
    }
}

/// A user's static attributes (indices into the constant tables).
#[derive(Clone, Debug)]
pub struct UserProfile {
    pub user_index: u64,
    pub signup_us: i64,
    pub segment: usize,
    pub channel: usize,
    pub device: usize,
    pub region: usize,
    pub use_case: usize,
    /// Key of the team workspace's weekly rhythm ([`team_rhythm_key`]);
    /// `None` for a personal workspace.
    pub team_rhythm: Option<u64>,
}

/// One simulated event (ids are assigned by the writer, in order).
#[derive(Clone, Copy, Debug)]
pub struct SimEvent {
    pub at_us: i64,
    pub event_type: EventType,
}

/// One simulated visit.
#[derive(Clone, Copy, Debug)]
pub struct SimVisit {
    pub at_us: i64,
    pub channel: usize,
    pub landing_page: usize,
    pub converted: bool,
}

/// One simulated subscription.
#[derive(Clone, Copy, Debug)]
pub struct SimSubscription {
    pub plan: &'static str,
    pub seats: u32,
    pub started_us: i64,
    pub ended_us: Option<i64>,
    pub monthly_revenue: f64,
}

/// Everything one user produces, before workspace ids are known.
#[derive(Clone, Debug, Default)]
pub struct Journey {
    pub events: Vec<SimEvent>,
    pub visits: Vec<SimVisit>,
    pub subscription: Option<SimSubscription>,
}

/// Picks an index from `weights` (need not sum to 1).
pub fn weighted_index<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut draw = rng.gen::<f64>() * total;
    for (index, weight) in weights.iter().enumerate() {
        if draw < *weight {
            return index;
        }
        draw -= weight;
    }
    weights.len() - 1
}

fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(dist) => {
            let draw: f64 = dist.sample(rng);
            draw as u64
        }
        Err(_) => 0,
    }
}

fn exponential<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    match Exp::new(1.0 / mean) {
        Ok(dist) => dist.sample(rng),
        Err(_) => mean,
    }
}

/// Samples the user's signup time and attributes. User `index` of `users`
/// signs up at the `(index + u) / users` quantile of the growth density.
pub fn sample_profile<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    period: Period,
    index: u64,
    users: u64,
) -> UserProfile {
    let quantile = (index as f64 + rng.gen::<f64>()) / users as f64;
    let growth = behaviour.signup_growth_factor.ln();
    let fraction = if growth.abs() < 1e-9 {
        quantile
    } else {
        (1.0 + quantile * (behaviour.signup_growth_factor - 1.0)).ln() / growth
    };
    let span = (period.end_us - period.start_us - 1) as f64;
    let signup_us = period.start_us + (fraction.clamp(0.0, 1.0) * span) as i64;
    UserProfile {
        user_index: index,
        signup_us,
        segment: weighted_index(rng, &behaviour.segment_shares),
        channel: weighted_index(rng, &behaviour.channel_shares),
        device: weighted_index(rng, &DEVICE_SHARES),
        region: weighted_index(rng, &REGION_SHARES),
        use_case: weighted_index(rng, &USE_CASE_SHARES),
        team_rhythm: None,
    }
}

/// Probability that a team member's weekly activity or churn draw is the
/// team's draw for that ISO week rather than the member's own.
const TEAM_COACTIVITY: f64 = 0.8;

/// Multiplier of the collaboration probability of an event on a day of a
/// week active with the team: members working in the same week comment,
/// co-edit and share more.
const TEAM_WEEK_COLLABORATION: f64 = 2.0;

/// The key of a team workspace's weekly rhythm: depends on the seed and the
/// workspace only, so every member (in any batch or thread) draws the same.
pub fn team_rhythm_key(seed: u64, workspace_id: i64) -> u64 {
    splitmix64(seed ^ splitmix64(workspace_id as u64 ^ 0x7EA3_C0AC_7171_7EA3))
}

fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The team's uniform draw in [0, 1) for ISO week `iso_week` (weeks since
/// 1969-12-29, a Monday) and purpose `stream` (activity or churn).
fn team_draw(key: u64, iso_week: i64, stream: u64) -> f64 {
    let mixed =
        splitmix64(key ^ splitmix64((iso_week as u64).wrapping_mul(4).wrapping_add(stream)));
    (mixed >> 11) as f64 / (1u64 << 53) as f64
}

/// A weekly uniform draw of a user: their own, or with probability
/// [`TEAM_COACTIVITY`] their team's for the ISO week holding `mid_day`
/// (days since the Unix epoch). Uniform either way; the flag says whether
/// it was the team's.
fn weekly_draw<R: Rng>(rng: &mut R, team: Option<u64>, mid_day: i64, stream: u64) -> (f64, bool) {
    let own = rng.gen::<f64>();
    match team {
        Some(key) if rng.gen::<f64>() < TEAM_COACTIVITY => {
            (team_draw(key, (mid_day + 3).div_euclid(7), stream), true)
        }
        _ => (own, false),
    }
}

/// Normalizes a multiplier table so its mean under `shares` is 1.
fn normalized(multipliers: &[f64], shares: &[f64]) -> Vec<f64> {
    let mean: f64 = multipliers.iter().zip(shares).map(|(m, s)| m * s).sum();
    multipliers.iter().map(|m| m / mean).collect()
}

/// Multiplier tables derived from the behaviour once, not per user.
struct BehaviourTables {
    channel_activation: Vec<f64>,
    segment_activation: Vec<f64>,
    channel_paid: Vec<f64>,
    /// Channel weights of anonymous visits (channel share / its conversion).
    visit_weights: Vec<f64>,
}

impl BehaviourTables {
    fn new(behaviour: &Behaviour) -> Self {
        Self {
            channel_activation: normalized(&CHANNEL_ACTIVATION, &behaviour.channel_shares),
            segment_activation: normalized(&SEGMENT_ACTIVATION, &behaviour.segment_shares),
            channel_paid: normalized(&CHANNEL_PAID, &behaviour.channel_shares),
            visit_weights: behaviour
                .channel_shares
                .iter()
                .zip(CHANNEL_VISIT_CONVERSION)
                .map(|(share, conversion)| share / conversion)
                .collect(),
        }
    }
}

/// Reusable per-thread state for [`simulate_journey`]: buffers, and the
/// tables derived from the behaviour it was made for.
pub struct Scratch {
    /// Active-day flags by signup-relative day.
    active: Vec<bool>,
    /// Days of weeks active with the team (co-activity), by signup-relative day.
    team_days: Vec<bool>,
    /// Events per active day, built day by day.
    day_events: Vec<SimEvent>,
    tables: BehaviourTables,
}

impl Scratch {
    /// Scratch space for simulating users of `behaviour`.
    pub fn new(behaviour: &Behaviour) -> Self {
        Self {
            active: Vec::new(),
            team_days: Vec::new(),
            day_events: Vec::new(),
            tables: BehaviourTables::new(behaviour),
        }
    }
}

/// Simulates one user's visits, events and subscription.
pub fn simulate_journey<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    period: Period,
    profile: &UserProfile,
    scratch: &mut Scratch,
) -> Journey {
    let mut journey = Journey::default();
    let signup_day = (profile.signup_us - period.start_us) / DAY_US;
    let signup_midnight = period.start_us + signup_day * DAY_US;
    let observable_days = (period.days() - signup_day).max(1) as usize;
    let weekday_at_signup = weekday_index(signup_midnight);

    // Latent engagement: log-normal with mean 1, shifted by segment and device.
    let sigma = behaviour.engagement_sigma;
    let normal: f64 = StandardNormal.sample(rng);
    let engagement = (sigma * normal - sigma * sigma / 2.0).exp()
        * SEGMENT_ENGAGEMENT[profile.segment]
        * DEVICE_ENGAGEMENT[profile.device];
    // Later cohorts retain better: 0 at the period start, 1 at its end.
    let cohort_position = signup_day as f64 / period.days().max(1) as f64;

    // Activation: a first page within the activation window.
    let tables = &scratch.tables;
    let channel_activation = &tables.channel_activation;
    let segment_activation = &tables.segment_activation;
    let activation_probability = (behaviour.activation_rate
        * channel_activation[profile.channel]
        * segment_activation[profile.segment])
        .min(0.98);
    let activated = rng.gen::<f64>() < activation_probability;
    let mut is_fast = false;
    let activation_us = if activated {
        is_fast = rng.gen::<f64>() < behaviour.fast_activation_share;
        let delay = if is_fast {
            if rng.gen::<f64>() < 0.45 {
                rng.gen_range(MINUTE_US..HOUR_US)
            } else {
                rng.gen_range(HOUR_US..24 * HOUR_US - MINUTE_US)
            }
        } else {
            // At least 24 h later, still before the end of day 6.
            let earliest = profile.signup_us + 24 * HOUR_US;
            let latest = signup_midnight + 7 * DAY_US - MINUTE_US;
            rng.gen_range(earliest..latest.max(earliest + 1)) - profile.signup_us
        };
        Some(profile.signup_us + delay)
    } else {
        None
    };
    let activation_day = activation_us.map(|at| ((at - signup_midnight) / DAY_US) as usize);
    let engaged = activated && rng.gen::<f64>() < behaviour.engagement_rate;
    let has_habit = engaged && rng.gen::<f64>() < behaviour.habit_rate;
    let collaborates_after_habit = has_habit && rng.gen::<f64>() < behaviour.collaboration_rate;

    // Active days by signup-relative day; day 0 is the signup session.
    let horizon = observable_days;
    // Activity is planned over whole weeks (and at least the first nine), then
    // cut at the horizon: a user who signs up near the end keeps a normal
    // rhythm instead of having a week's activity crammed into its last days.
    let planned_days = (horizon.div_ceil(7) * 7).max(63) + 7;
    scratch.active.clear();
    scratch.active.resize(planned_days, false);
    scratch.team_days.clear();
    scratch.team_days.resize(planned_days, false);
    let active = &mut scratch.active;
    let team_days = &mut scratch.team_days;
    active[0] = true;
    if let Some(day) = activation_day {
        if day < planned_days {
            active[day] = true;
        }
    }

    // Early phase (days 0..13).
    let day_weight = |day: usize| WEEKDAY_WEIGHTS[(weekday_at_signup + day) % 7];
    let pick_days = |rng: &mut R, active: &mut Vec<bool>, from: usize, to: usize, count: usize| {
        // Weighted choice of `count` distinct inactive days in [from, to].
        // (The same draw as `weighted_index` over the candidates, without
        // collecting them: this runs for every user-week.)
        let last = to.min(planned_days - 1);
        for _ in 0..count {
            let total: f64 = (from..=last)
                .filter(|day| !active[*day])
                .map(day_weight)
                .sum();
            if total <= 0.0 {
                return;
            }
            let mut draw = rng.gen::<f64>() * total;
            let mut chosen = from;
            for day in (from..=last).filter(|day| !active[*day]) {
                chosen = day;
                let weight = day_weight(day);
                if draw < weight {
                    break;
                }
                draw -= weight;
            }
            active[chosen] = true;
        }
    };
    match activation_day {
        Some(day) if engaged => {
            let extra = 2 + poisson(rng, 1.2 * engagement.min(4.0)) as usize;
            pick_days(rng, active, day + 1, 13, extra);
        }
        Some(day) => {
            if rng.gen::<f64>() < 0.5 {
                pick_days(rng, active, day + 1, 13, 1);
            }
        }
        None => {
            let extra = poisson(rng, 0.6) as usize;
            pick_days(rng, active, 1, 13, extra.min(2));
        }
    }

    // Lifetime from week 2: weekly churn hazard decaying with tenure.
    let mut hazard_multiplier =
        (1.0 - behaviour.cohort_improvement * cohort_position) / engagement.max(0.05).powf(0.35);
    hazard_multiplier *= match (activated, engaged) {
        (false, _) => 1.35,
        (true, false) => 1.1,
        (true, true) => 0.8,
    };
    // Fast activators churn less early on; in the long run every survivor
    // faces the same floor.
    let early_multiplier = if is_fast {
        behaviour.fast_activator_hazard_multiplier
    } else {
        1.0
    };
    let weekly_activity = (behaviour.weekly_activity * engagement.powf(0.3)).min(0.97);
    let day_probability = (0.06 * engagement.powf(0.7)).min(0.75);
    let habit_start_week = if has_habit {
        if rng.gen::<f64>() < 0.6 {
            1
        } else {
            2
        }
    } else {
        0
    };
    let weeks = horizon.div_ceil(7);
    let mut alive = true;
    let signup_epoch_day = signup_midnight.div_euclid(DAY_US);
    for week in 2..weeks {
        // The ISO week holding the middle of this signup-relative week.
        let mid_day = signup_epoch_day + week as i64 * 7 + 3;
        let forced = has_habit && week <= habit_start_week + 2;
        if alive && !forced {
            let tenure = (week - 1) as f64;
            let base = behaviour.churn_hazard_floor
                + (behaviour.churn_hazard_initial - behaviour.churn_hazard_floor)
                    * (-tenure / behaviour.churn_hazard_decay_weeks).exp()
                    * early_multiplier;
            let hazard = (base * hazard_multiplier).min(1.0);
            if weekly_draw(rng, profile.team_rhythm, mid_day, 1).0 < hazard {
                alive = false;
            }
        }
        if !alive {
            break;
        }
        let (draw, with_team) = if forced {
            (0.0, false)
        } else {
            weekly_draw(rng, profile.team_rhythm, mid_day, 0)
        };
        if forced || draw < weekly_activity {
            let mut days = 1;
            for _ in 0..6 {
                if rng.gen::<f64>() < day_probability {
                    days += 1;
                }
            }
            // A week active with the team falls on days of the team's ISO
            // week (at least four of the seven days of this week).
            let (from, to) = if with_team {
                let iso_monday = (mid_day + 3).div_euclid(7) * 7 - 3 - signup_epoch_day;
                let iso_monday = iso_monday.max(0) as usize;
                (iso_monday.max(week * 7), (iso_monday + 6).min(week * 7 + 6))
            } else {
                (week * 7, week * 7 + 6)
            };
            pick_days(rng, active, from, to, days);
            if with_team {
                let days = from..to.min(planned_days - 1) + 1;
                team_days[days.clone()].copy_from_slice(&active[days]);
            }
        }
    }
    // Habit users are active in their three habit weeks (week 1 included).
    if has_habit {
        for week in habit_start_week..habit_start_week + 3 {
            let has_day = (week * 7..week * 7 + 7).any(|day| active[day]);
            if !has_day {
                pick_days(rng, active, week * 7, week * 7 + 6, 1);
            }
        }
    } else {
        // No run of three consecutive active weeks among weeks 1..8: drop the
        // third week of any run (never week 1 or 2, so the early phase stays).
        let mut run = 0;
        for week in 1..=8usize {
            let range = week * 7..week * 7 + 7;
            if range.clone().any(|day| active[day]) {
                run += 1;
                if run == 3 {
                    for day in range {
                        active[day] = false;
                    }
                    run = 0;
                }
            } else {
                run = 0;
            }
        }
    }
    // The day the habit is formed: first day of the third week of the first run.
    let habit_day = if has_habit {
        let mut run = 0;
        let mut found = None;
        for week in 1..=8usize {
            let range = week * 7..week * 7 + 7;
            match range.clone().find(|day| active[*day]) {
                Some(first_day) => {
                    run += 1;
                    if run == 3 {
                        found = Some(first_day);
                        break;
                    }
                }
                None => run = 0,
            }
        }
        found
    } else {
        None
    };

    // Users who never activated may still create a page later (day 7 on).
    let late_creator = !activated && rng.gen::<f64>() < 0.3;

    // Events, day by day.
    let segment_collaboration = SEGMENT_COLLABORATION[profile.segment];
    let collaboration_window = 90usize;
    let mut collaboration_at: Option<i64> = None;
    let active_days: Vec<usize> = (0..horizon).filter(|day| active[*day]).collect();
    for day in active_days {
        let day_start = signup_midnight + day as i64 * DAY_US;
        scratch.day_events.clear();
        let collaboration_probability = if scratch.team_days[day] {
            segment_collaboration * TEAM_WEEK_COLLABORATION
        } else {
            segment_collaboration
        };
        let count = 1 + poisson(
            rng,
            behaviour.extra_events_per_day * engagement.powf(0.5).min(4.0),
        );
        // A session starts at a working hour (UTC) and events follow minutes apart.
        let mut at = if day == 0 {
            profile.signup_us
        } else {
            let hour = 7 + weighted_index(
                rng,
                &[
                    1.0, 2.0, 3.0, 3.0, 2.5, 2.0, 2.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.8, 0.6,
                ],
            );
            day_start + hour as i64 * HOUR_US + rng.gen_range(0..HOUR_US)
        };
        for index in 0..count {
            if index > 0 {
                at += (exponential(rng, 6.0) * MINUTE_US as f64) as i64 + 1_000_000;
            }
            // A session running past midnight is squeezed into the day's last
            // microseconds, one apart, so no two events of a user share a time
            // (an exact duplicate is what a client retry looks like).
            let at_clamped = at.min(day_start + DAY_US - 1 - (count - 1 - index) as i64);
            let collaborative = rng.gen::<f64>() < collaboration_probability;
            let mut event_type = if collaborative {
                COLLABORATIVE_EVENTS[weighted_index(rng, &COLLABORATIVE_EVENTS.map(|(_, w)| w))].0
            } else {
                SOLO_EVENTS[weighted_index(rng, &SOLO_EVENTS.map(|(_, w)| w))].0
            };
            if day == 0 && index == 0 {
                event_type = EventType::PageView;
            }
            // Page creation defines activation: none before the activation
            // event, and none in the activation window for non-activators.
            if event_type == EventType::PageCreate {
                let allowed = match activation_us {
                    Some(activation) => at_clamped > activation,
                    None => late_creator && day >= 7,
                };
                if !allowed {
                    event_type = EventType::PageEdit;
                }
            }
            scratch.day_events.push(SimEvent {
                at_us: at_clamped,
                event_type,
            });
        }
        if activation_day == Some(day) {
            if let Some(activation) = activation_us {
                scratch.day_events.push(SimEvent {
                    at_us: activation,
                    event_type: EventType::PageCreate,
                });
            }
        }
        scratch.day_events.sort_by_key(|event| event.at_us);
        if activation_day == Some(day) {
            // Nothing on the activation day may precede the signup.
            for event in scratch.day_events.iter_mut() {
                event.at_us = event.at_us.max(profile.signup_us);
            }
        }
        if has_habit && habit_day.is_some_and(|habit| day >= habit && day < collaboration_window) {
            let habit_at = if Some(day) == habit_day {
                scratch.day_events.first().map(|event| event.at_us)
            } else {
                None
            };
            for event in scratch.day_events.iter_mut() {
                if event.event_type.is_collaborative() && !collaborates_after_habit {
                    event.event_type = EventType::PageEdit;
                }
            }
            if collaborates_after_habit && collaboration_at.is_none() {
                if let Some(first) = habit_at {
                    let at = (first + rng.gen_range(MINUTE_US..30 * MINUTE_US))
                        .min(day_start + DAY_US - 1);
                    scratch.day_events.push(SimEvent {
                        at_us: at,
                        event_type: EventType::Comment,
                    });
                    collaboration_at = Some(at);
                }
            }
        }
        journey.events.extend(
            scratch
                .day_events
                .iter()
                .filter(|event| event.at_us < period.end_us),
        );
    }
    journey.events.sort_by_key(|event| event.at_us);

    // Monetization.
    let channel_paid = &tables.channel_paid;
    let paid_probability = (behaviour.paid_base_rate
        * behaviour.paid_segment_multiplier[profile.segment]
        * channel_paid[profile.channel]
        * if activated { 1.15 } else { 0.78 })
    .min(1.0);
    let monetization_end = signup_midnight + 120 * DAY_US;
    let pay_us = match collaboration_at {
        Some(collaborated) => {
            if rng.gen::<f64>() < behaviour.funnel_paid_rate {
                Some(rng.gen_range(collaborated..monetization_end.max(collaborated + 1)))
            } else if rng.gen::<f64>() < paid_probability {
                Some(monetization_end + (exponential(rng, 90.0) * DAY_US as f64) as i64)
            } else {
                None
            }
        }
        None => {
            if rng.gen::<f64>() < paid_probability {
                let delay_days = exponential(rng, 45.0);
                Some(profile.signup_us + HOUR_US + (delay_days * DAY_US as f64) as i64)
            } else {
                None
            }
        }
    };
    if let Some(started_us) = pay_us.filter(|at| *at < period.end_us) {
        let (plan, min_seats, max_seats, price) = PLANS[profile.segment];
        let seats = rng.gen_range(min_seats..=max_seats);
        let mut ended_us = None;
        let mut month = 1i64;
        loop {
            let renewal = started_us + month * 30 * DAY_US;
            if renewal >= period.end_us {
                break;
            }
            if rng.gen::<f64>() < behaviour.subscription_churn_monthly {
                ended_us = Some(renewal);
                break;
            }
            month += 1;
        }
        journey.subscription = Some(SimSubscription {
            plan,
            seats,
            started_us,
            ended_us,
            monthly_revenue: price * f64::from(seats),
        });
    }

    // Awareness: the visit that led to the signup, and anonymous visits around it.
    journey.visits.push(SimVisit {
        at_us: (profile.signup_us - rng.gen_range(0..20 * MINUTE_US)).max(period.start_us),
        channel: profile.channel,
        landing_page: weighted_index(rng, &LANDING_SHARES),
        converted: true,
    });
    let anonymous = poisson(rng, behaviour.anonymous_visits_per_signup);
    let visit_weights = &tables.visit_weights;
    for _ in 0..anonymous {
        let offset: f64 = StandardNormal.sample(rng);
        let mut at = profile.signup_us + (offset * 20.0 * DAY_US as f64) as i64;
        // Reflect into the period instead of clipping (no pile-up at the edges).
        if at < period.start_us {
            at = 2 * period.start_us - at;
        }
        if at >= period.end_us {
            at = 2 * (period.end_us - 1) - at;
        }
        let at = at.clamp(period.start_us, period.end_us - 1);
        journey.visits.push(SimVisit {
            at_us: at,
            channel: weighted_index(rng, visit_weights),
            landing_page: weighted_index(rng, &LANDING_SHARES),
            converted: false,
        });
    }
    journey
}

/// Monday = 0 for a timestamp at midnight UTC.
fn weekday_index(midnight_us: i64) -> usize {
    // 1970-01-01 was a Thursday (index 3).
    let days = midnight_us.div_euclid(DAY_US);
    ((days + 3).rem_euclid(7)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn period() -> Period {
        // 2023-01-01 .. 2025-12-31
        let start_us = 1_672_531_200_000_000;
        Period {
            start_us,
            end_us: start_us + 1096 * DAY_US,
        }
    }

    #[test]
    fn weekday_of_known_date() {
        // 2023-01-02 was a Monday.
        assert_eq!(weekday_index(1_672_617_600_000_000), 0);
    }

    #[test]
    fn journeys_stay_inside_the_period_and_after_signup() {
        let behaviour = Behaviour::default();
        let mut scratch = Scratch::new(&behaviour);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for index in 0..2_000u64 {
            let profile = sample_profile(&mut rng, &behaviour, period(), index, 2_000);
            let journey = simulate_journey(&mut rng, &behaviour, period(), &profile, &mut scratch);
            assert!(!journey.events.is_empty());
            for event in &journey.events {
                assert!(event.at_us >= profile.signup_us, "event before signup");
                assert!(event.at_us < period().end_us, "event after the period");
            }
            for visit in &journey.visits {
                assert!(visit.at_us >= period().start_us && visit.at_us < period().end_us);
            }
        }
    }

    #[test]
    fn team_draws_are_shared_by_members_and_keep_every_rate() {
        let key = team_rhythm_key(42, 7);
        // Every member of workspace 7 (any batch, any thread) draws the same.
        assert_eq!(
            team_draw(key, 2_900, 0),
            team_draw(team_rhythm_key(42, 7), 2_900, 0)
        );
        assert_ne!(
            team_draw(key, 2_900, 0),
            team_draw(team_rhythm_key(43, 7), 2_900, 0)
        );
        assert_ne!(team_draw(key, 2_900, 0), team_draw(key, 2_900, 1));
        // The team's draws and the mixed draws are uniform: a rate of 30% stays 30%.
        let weeks = 40_000i64;
        let below = (0..weeks)
            .filter(|week| team_draw(key, *week, 0) < 0.3)
            .count();
        assert!(
            (11_500..12_500).contains(&below),
            "{below} team draws below 0.3"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut with_team = 0;
        let mut below = 0;
        for week in 0..weeks {
            let (draw, team) = weekly_draw(&mut rng, Some(key), week * 7, 0);
            with_team += usize::from(team);
            below += usize::from(draw < 0.3);
        }
        assert!(
            (11_500..12_500).contains(&below),
            "{below} mixed draws below 0.3"
        );
        assert!(
            (31_400..32_600).contains(&with_team),
            "{with_team} team draws"
        );
        // A personal workspace never follows a team.
        assert!(!weekly_draw(&mut rng, None, 0, 0).1);
    }

    #[test]
    fn signups_do_not_pile_up_on_the_last_day() {
        let behaviour = Behaviour::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let users = 20_000u64;
        let last_day_start = period().end_us - DAY_US;
        let on_last_day = (0..users)
            .filter(|index| {
                sample_profile(&mut rng, &behaviour, period(), *index, users).signup_us
                    >= last_day_start
            })
            .count();
        // Growth 3x over 1096 days: the last day holds ~0.25% of signups.
        assert!(on_last_day < 100, "{on_last_day} signups on the last day");
        assert!(on_last_day > 10, "{on_last_day} signups on the last day");
    }
}
