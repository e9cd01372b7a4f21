//! The behaviour model: one user's journey from an anonymous visit to (maybe)
//! a paid plan, simulated from a latent engagement and a small set of
//! calibrated probabilities (see `Behaviour` in `config.rs`), with the
//! per-segment and per-channel shares and multipliers of seeds/segments.csv
//! and seeds/channels.csv ([`BehaviourTables`]). [`simulate_journey`] runs
//! one function per phase below, in this order, which is also the order of
//! the random draws.
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
//!    segment and channel. The owner's decision starts the workspace's
//!    subscription; its lifecycle (trial, seats, plan changes, cancellation,
//!    reactivation) is `billing.rs`.

use rand::Rng;
use rand_distr::{Distribution, Exp, Poisson, StandardNormal};

use crate::config::Behaviour;
use crate::seeds::Seeds;

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

/// Engagement multiplier by device (by segment and channel: seeds/*.csv).
const DEVICE_ENGAGEMENT: [f64; 3] = [1.05, 0.85, 0.95];

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

/// A user's static attributes (indices into the seed and constant tables).
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

/// Everything one user produces, before workspace ids are known.
#[derive(Clone, Debug, Default)]
pub struct Journey {
    pub events: Vec<SimEvent>,
    pub visits: Vec<SimVisit>,
    /// When the user decides to pay (inside the period): the owner's decision
    /// starts the workspace's subscription (`billing.rs`); a member's is not
    /// billed, the workspace pays for the seats.
    pub pay_intent_us: Option<i64>,
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
    tables: &BehaviourTables,
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
        segment: weighted_index(rng, &tables.segment_shares),
        channel: weighted_index(rng, &tables.channel_shares),
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

/// Tables derived from the behaviour and the seeds once, not per user:
/// the shares users are drawn from and the multipliers by segment and
/// channel (seeds/segments.csv, seeds/channels.csv).
pub struct BehaviourTables {
    segment_shares: Vec<f64>,
    channel_shares: Vec<f64>,
    channel_activation: Vec<f64>,
    segment_activation: Vec<f64>,
    channel_paid: Vec<f64>,
    segment_paid: Vec<f64>,
    segment_engagement: Vec<f64>,
    segment_collaboration: Vec<f64>,
    /// Channel weights of anonymous visits (channel share / its conversion).
    visit_weights: Vec<f64>,
}

impl BehaviourTables {
    /// The tables of `seeds` (`behaviour` is read per user).
    pub fn new(seeds: &Seeds) -> Self {
        let segment_shares: Vec<f64> = seeds.segments.iter().map(|s| s.share).collect();
        let channel_shares: Vec<f64> = seeds.channels.iter().map(|c| c.share).collect();
        let by_segment = |value: fn(&crate::seeds::Segment) -> f64| -> Vec<f64> {
            seeds.segments.iter().map(value).collect()
        };
        let by_channel = |value: fn(&crate::seeds::Channel) -> f64| -> Vec<f64> {
            seeds.channels.iter().map(value).collect()
        };
        Self {
            channel_activation: normalized(
                &by_channel(|c| c.activation_multiplier),
                &channel_shares,
            ),
            segment_activation: normalized(
                &by_segment(|s| s.activation_multiplier),
                &segment_shares,
            ),
            channel_paid: normalized(&by_channel(|c| c.paid_multiplier), &channel_shares),
            segment_paid: by_segment(|s| s.paid_multiplier),
            segment_engagement: by_segment(|s| s.engagement_multiplier),
            segment_collaboration: by_segment(|s| s.collaboration_probability),
            visit_weights: seeds
                .channels
                .iter()
                .map(|channel| channel.share / channel.visit_conversion)
                .collect(),
            segment_shares,
            channel_shares,
        }
    }
}

/// Reusable per-thread state for [`simulate_journey`]: buffers, and the
/// tables derived from the seeds it was made for.
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
    /// Scratch space for simulating users of `seeds`.
    pub fn new(seeds: &Seeds) -> Self {
        Self {
            active: Vec::new(),
            team_days: Vec::new(),
            day_events: Vec::new(),
            tables: BehaviourTables::new(seeds),
        }
    }

    /// The tables [`sample_profile`] draws from.
    pub fn tables(&self) -> &BehaviourTables {
        &self.tables
    }
}

/// Where one user's journey sits in the period: what every phase reads.
struct Timeline<'p> {
    profile: &'p UserProfile,
    period: Period,
    signup_midnight: i64,
    /// Days from the signup day to the end of the period (at least 1).
    horizon: usize,
    /// 0 for a signup on the period's first day, 1 on its last.
    cohort_position: f64,
    /// Length of the active-day plan: whole weeks, at least the first nine,
    /// plus one (a user who signs up near the end keeps a normal rhythm
    /// instead of having a week's activity crammed into its last days).
    planned_days: usize,
    weekday_at_signup: usize,
}

impl<'p> Timeline<'p> {
    fn new(period: Period, profile: &'p UserProfile) -> Self {
        let signup_day = (profile.signup_us - period.start_us) / DAY_US;
        let signup_midnight = period.start_us + signup_day * DAY_US;
        let horizon = (period.days() - signup_day).max(1) as usize;
        Self {
            profile,
            period,
            signup_midnight,
            horizon,
            cohort_position: signup_day as f64 / period.days().max(1) as f64,
            planned_days: (horizon.div_ceil(7) * 7).max(63) + 7,
            weekday_at_signup: weekday_index(signup_midnight),
        }
    }

    /// Weight of a signup-relative day in the weekly rhythm.
    fn day_weight(&self, day: usize) -> f64 {
        WEEKDAY_WEIGHTS[(self.weekday_at_signup + day) % 7]
    }

    /// Marks `count` distinct inactive days in `[from, to]` active, drawn by
    /// weekday weight. (The same draw as `weighted_index` over the
    /// candidates, without collecting them: this runs for every user-week.)
    fn pick_days<R: Rng>(
        &self,
        rng: &mut R,
        active: &mut [bool],
        from: usize,
        to: usize,
        count: usize,
    ) {
        let last = to.min(self.planned_days - 1);
        for _ in 0..count {
            let total: f64 = (from..=last)
                .filter(|day| !active[*day])
                .map(|day| self.day_weight(day))
                .sum();
            if total <= 0.0 {
                return;
            }
            let mut draw = rng.gen::<f64>() * total;
            let mut chosen = from;
            for day in (from..=last).filter(|day| !active[*day]) {
                chosen = day;
                let weight = self.day_weight(day);
                if draw < weight {
                    break;
                }
                draw -= weight;
            }
            active[chosen] = true;
        }
    }
}

/// The first funnel steps of a user, decided at signup.
struct EarlyFunnel {
    activated: bool,
    /// Activated within 24 hours of signup.
    is_fast: bool,
    /// The first page_create.
    activation_us: Option<i64>,
    activation_day: Option<usize>,
    engaged: bool,
    has_habit: bool,
    collaborates_after_habit: bool,
}

/// Simulates one user's visits, events and decision to pay, phase by phase
/// (the module documentation lists them). The phases draw from `rng` in
/// this order; changing it changes every generated table.
pub fn simulate_journey<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    period: Period,
    profile: &UserProfile,
    scratch: &mut Scratch,
) -> Journey {
    let timeline = Timeline::new(period, profile);
    let engagement = latent_engagement(rng, behaviour, &scratch.tables, profile);
    let funnel = early_funnel(rng, behaviour, &scratch.tables, &timeline);
    plan_active_days(rng, behaviour, &timeline, &funnel, engagement, scratch);
    let habit_day = habit_day(&scratch.active, funnel.has_habit);
    // Users who never activated may still create a page later (day 7 on).
    let late_creator = !funnel.activated && rng.gen::<f64>() < 0.3;
    let mut journey = Journey::default();
    let collaboration_at = emit_events(
        rng,
        behaviour,
        &timeline,
        &funnel,
        &ActivityTraits {
            engagement,
            habit_day,
            late_creator,
        },
        scratch,
        &mut journey.events,
    );
    journey.pay_intent_us = pay_intent(
        rng,
        behaviour,
        &scratch.tables,
        &timeline,
        funnel.activated,
        collaboration_at,
    )
    .filter(|at| *at < period.end_us);
    awareness_visits(
        rng,
        behaviour,
        &scratch.tables,
        &timeline,
        &mut journey.visits,
    );
    journey
}

/// Latent engagement: log-normal with mean 1, shifted by segment and device.
fn latent_engagement<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    tables: &BehaviourTables,
    profile: &UserProfile,
) -> f64 {
    let sigma = behaviour.engagement_sigma;
    let normal: f64 = StandardNormal.sample(rng);
    (sigma * normal - sigma * sigma / 2.0).exp()
        * tables.segment_engagement[profile.segment]
        * DEVICE_ENGAGEMENT[profile.device]
}

/// Activation (a first page within the activation window, fast or slow),
/// engagement, habit and collaboration after the habit.
fn early_funnel<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    tables: &BehaviourTables,
    timeline: &Timeline<'_>,
) -> EarlyFunnel {
    let profile = timeline.profile;
    let activation_probability = (behaviour.activation_rate
        * tables.channel_activation[profile.channel]
        * tables.segment_activation[profile.segment])
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
            let latest = timeline.signup_midnight + 7 * DAY_US - MINUTE_US;
            rng.gen_range(earliest..latest.max(earliest + 1)) - profile.signup_us
        };
        Some(profile.signup_us + delay)
    } else {
        None
    };
    let activation_day =
        activation_us.map(|at| ((at - timeline.signup_midnight) / DAY_US) as usize);
    let engaged = activated && rng.gen::<f64>() < behaviour.engagement_rate;
    let has_habit = engaged && rng.gen::<f64>() < behaviour.habit_rate;
    let collaborates_after_habit = has_habit && rng.gen::<f64>() < behaviour.collaboration_rate;
    EarlyFunnel {
        activated,
        is_fast,
        activation_us,
        activation_day,
        engaged,
        has_habit,
        collaborates_after_habit,
    }
}

/// The active days of the user (day 0 is the signup session) into
/// `scratch.active`, and the days of weeks active with the team into
/// `scratch.team_days`: the early phase, the weekly lifetime, then the habit
/// rule.
fn plan_active_days<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    timeline: &Timeline<'_>,
    funnel: &EarlyFunnel,
    engagement: f64,
    scratch: &mut Scratch,
) {
    let planned_days = timeline.planned_days;
    scratch.active.clear();
    scratch.active.resize(planned_days, false);
    scratch.team_days.clear();
    scratch.team_days.resize(planned_days, false);
    let active = &mut scratch.active;
    active[0] = true;
    if let Some(day) = funnel.activation_day {
        if day < planned_days {
            active[day] = true;
        }
    }
    plan_early_days(rng, timeline, funnel, engagement, active);
    let habit_start_week = plan_lifetime_weeks(
        rng,
        behaviour,
        timeline,
        funnel,
        engagement,
        active,
        &mut scratch.team_days,
    );
    apply_habit_rule(rng, timeline, funnel.has_habit, habit_start_week, active);
}

/// Early phase (days 0..13): engaged users come back on two or more days
/// after activating, others now and then.
fn plan_early_days<R: Rng>(
    rng: &mut R,
    timeline: &Timeline<'_>,
    funnel: &EarlyFunnel,
    engagement: f64,
    active: &mut [bool],
) {
    match funnel.activation_day {
        Some(day) if funnel.engaged => {
            let extra = 2 + poisson(rng, 1.2 * engagement.min(4.0)) as usize;
            timeline.pick_days(rng, active, day + 1, 13, extra);
        }
        Some(day) => {
            if rng.gen::<f64>() < 0.5 {
                timeline.pick_days(rng, active, day + 1, 13, 1);
            }
        }
        None => {
            let extra = poisson(rng, 0.6) as usize;
            timeline.pick_days(rng, active, 1, 13, extra.min(2));
        }
    }
}

/// Lifetime from week 2: a weekly churn hazard decaying with tenure, and an
/// alive user's active weeks (with the team's rhythm for a team member).
/// Returns the week the habit run starts (0 without a habit).
fn plan_lifetime_weeks<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    timeline: &Timeline<'_>,
    funnel: &EarlyFunnel,
    engagement: f64,
    active: &mut [bool],
    team_days: &mut [bool],
) -> usize {
    let profile = timeline.profile;
    let mut hazard_multiplier = (1.0 - behaviour.cohort_improvement * timeline.cohort_position)
        / engagement.max(0.05).powf(0.35);
    hazard_multiplier *= match (funnel.activated, funnel.engaged) {
        (false, _) => 1.35,
        (true, false) => 1.1,
        (true, true) => 0.8,
    };
    // Fast activators churn less early on; in the long run every survivor
    // faces the same floor.
    let early_multiplier = if funnel.is_fast {
        behaviour.fast_activator_hazard_multiplier
    } else {
        1.0
    };
    let weekly_activity = (behaviour.weekly_activity * engagement.powf(0.3)).min(0.97);
    let day_probability = (0.06 * engagement.powf(0.7)).min(0.75);
    let habit_start_week = if funnel.has_habit {
        if rng.gen::<f64>() < 0.6 {
            1
        } else {
            2
        }
    } else {
        0
    };
    let weeks = timeline.horizon.div_ceil(7);
    let mut alive = true;
    let signup_epoch_day = timeline.signup_midnight.div_euclid(DAY_US);
    for week in 2..weeks {
        // The ISO week holding the middle of this signup-relative week.
        let mid_day = signup_epoch_day + week as i64 * 7 + 3;
        let forced = funnel.has_habit && week <= habit_start_week + 2;
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
            timeline.pick_days(rng, active, from, to, days);
            if with_team {
                let days = from..to.min(timeline.planned_days - 1) + 1;
                team_days[days.clone()].copy_from_slice(&active[days]);
            }
        }
    }
    habit_start_week
}

/// Habit users are active in their three habit weeks (week 1 included);
/// other users get no run of three consecutive active weeks among weeks
/// 1..8 (the third week of any run is dropped; never week 1 or 2, so the
/// early phase stays).
fn apply_habit_rule<R: Rng>(
    rng: &mut R,
    timeline: &Timeline<'_>,
    has_habit: bool,
    habit_start_week: usize,
    active: &mut [bool],
) {
    if has_habit {
        for week in habit_start_week..habit_start_week + 3 {
            let has_day = (week * 7..week * 7 + 7).any(|day| active[day]);
            if !has_day {
                timeline.pick_days(rng, active, week * 7, week * 7 + 6, 1);
            }
        }
    } else {
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
}

/// The day the habit is formed: first day of the third week of the first
/// run of three active weeks among weeks 1..8.
fn habit_day(active: &[bool], has_habit: bool) -> Option<usize> {
    if !has_habit {
        return None;
    }
    let mut run = 0;
    for week in 1..=8usize {
        let range = week * 7..week * 7 + 7;
        match range.clone().find(|day| active[*day]) {
            Some(first_day) => {
                run += 1;
                if run == 3 {
                    return Some(first_day);
                }
            }
            None => run = 0,
        }
    }
    None
}

/// What the event phase reads besides the funnel.
struct ActivityTraits {
    engagement: f64,
    habit_day: Option<usize>,
    /// A non-activator who creates pages from day 7 on.
    late_creator: bool,
}

/// The events of every active day, in time order, into `events`. Returns
/// the first collaboration after the habit, if any.
fn emit_events<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    timeline: &Timeline<'_>,
    funnel: &EarlyFunnel,
    traits: &ActivityTraits,
    scratch: &mut Scratch,
    events: &mut Vec<SimEvent>,
) -> Option<i64> {
    let mut collaboration_at: Option<i64> = None;
    let active_days: Vec<usize> = (0..timeline.horizon)
        .filter(|day| scratch.active[*day])
        .collect();
    for day in active_days {
        day_events(rng, behaviour, timeline, funnel, traits, scratch, day);
        mark_collaboration(
            rng,
            timeline,
            funnel,
            traits,
            scratch,
            day,
            &mut collaboration_at,
        );
        events.extend(
            scratch
                .day_events
                .iter()
                .filter(|event| event.at_us < timeline.period.end_us),
        );
    }
    events.sort_by_key(|event| event.at_us);
    collaboration_at
}

/// One active day's session into `scratch.day_events`, sorted: a start at a
/// working hour (UTC), events minutes apart, the activation page on its day.
fn day_events<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    timeline: &Timeline<'_>,
    funnel: &EarlyFunnel,
    traits: &ActivityTraits,
    scratch: &mut Scratch,
    day: usize,
) {
    let profile = timeline.profile;
    let day_start = timeline.signup_midnight + day as i64 * DAY_US;
    scratch.day_events.clear();
    let segment_collaboration = scratch.tables.segment_collaboration[profile.segment];
    let collaboration_probability = if scratch.team_days[day] {
        segment_collaboration * TEAM_WEEK_COLLABORATION
    } else {
        segment_collaboration
    };
    let count = 1 + poisson(
        rng,
        behaviour.extra_events_per_day * traits.engagement.powf(0.5).min(4.0),
    );
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
            let allowed = match funnel.activation_us {
                Some(activation) => at_clamped > activation,
                None => traits.late_creator && day >= 7,
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
    if funnel.activation_day == Some(day) {
        if let Some(activation) = funnel.activation_us {
            scratch.day_events.push(SimEvent {
                at_us: activation,
                event_type: EventType::PageCreate,
            });
        }
    }
    scratch.day_events.sort_by_key(|event| event.at_us);
    if funnel.activation_day == Some(day) {
        // Nothing on the activation day may precede the signup.
        for event in scratch.day_events.iter_mut() {
            event.at_us = event.at_us.max(profile.signup_us);
        }
    }
}

/// Collaboration after the habit, within the collaboration window: a habit
/// user who does not collaborate has no collaborative event there; one who
/// does comments on the habit day (`collaboration_at`, once).
fn mark_collaboration<R: Rng>(
    rng: &mut R,
    timeline: &Timeline<'_>,
    funnel: &EarlyFunnel,
    traits: &ActivityTraits,
    scratch: &mut Scratch,
    day: usize,
    collaboration_at: &mut Option<i64>,
) {
    let collaboration_window = 90usize;
    let in_window = traits
        .habit_day
        .is_some_and(|habit| day >= habit && day < collaboration_window);
    if !(funnel.has_habit && in_window) {
        return;
    }
    let day_start = timeline.signup_midnight + day as i64 * DAY_US;
    let habit_at = if Some(day) == traits.habit_day {
        scratch.day_events.first().map(|event| event.at_us)
    } else {
        None
    };
    for event in scratch.day_events.iter_mut() {
        if event.event_type.is_collaborative() && !funnel.collaborates_after_habit {
            event.event_type = EventType::PageEdit;
        }
    }
    if funnel.collaborates_after_habit && collaboration_at.is_none() {
        if let Some(first) = habit_at {
            let at = (first + rng.gen_range(MINUTE_US..30 * MINUTE_US)).min(day_start + DAY_US - 1);
            scratch.day_events.push(SimEvent {
                at_us: at,
                event_type: EventType::Comment,
            });
            *collaboration_at = Some(at);
        }
    }
}

/// Monetization: funnel completers decide to pay within the monetization
/// window at `funnel_paid_rate`; everyone else with a lifetime paid
/// probability by segment and channel.
fn pay_intent<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    tables: &BehaviourTables,
    timeline: &Timeline<'_>,
    activated: bool,
    collaboration_at: Option<i64>,
) -> Option<i64> {
    let profile = timeline.profile;
    let paid_probability = (behaviour.paid_base_rate
        * tables.segment_paid[profile.segment]
        * tables.channel_paid[profile.channel]
        * if activated { 1.15 } else { 0.78 })
    .min(1.0);
    let monetization_end = timeline.signup_midnight + 120 * DAY_US;
    match collaboration_at {
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
    }
}

/// Awareness: the visit that led to the signup, and anonymous visits around
/// it from channels weighted by share / visit conversion.
fn awareness_visits<R: Rng>(
    rng: &mut R,
    behaviour: &Behaviour,
    tables: &BehaviourTables,
    timeline: &Timeline<'_>,
    visits: &mut Vec<SimVisit>,
) {
    let (profile, period) = (timeline.profile, timeline.period);
    visits.push(SimVisit {
        at_us: (profile.signup_us - rng.gen_range(0..20 * MINUTE_US)).max(period.start_us),
        channel: profile.channel,
        landing_page: weighted_index(rng, &LANDING_SHARES),
        converted: true,
    });
    let anonymous = poisson(rng, behaviour.anonymous_visits_per_signup);
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
        visits.push(SimVisit {
            at_us: at,
            channel: weighted_index(rng, &tables.visit_weights),
            landing_page: weighted_index(rng, &LANDING_SHARES),
            converted: false,
        });
    }
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
        let mut scratch = Scratch::new(Seeds::builtin());
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for index in 0..2_000u64 {
            let profile = sample_profile(
                &mut rng,
                &behaviour,
                scratch.tables(),
                period(),
                index,
                2_000,
            );
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
        let tables = BehaviourTables::new(Seeds::builtin());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let users = 20_000u64;
        let last_day_start = period().end_us - DAY_US;
        let on_last_day = (0..users)
            .filter(|index| {
                sample_profile(&mut rng, &behaviour, &tables, period(), *index, users).signup_us
                    >= last_day_start
            })
            .count();
        // Growth 3x over 1096 days: the last day holds ~0.25% of signups.
        assert!(on_last_day < 100, "{on_last_day} signups on the last day");
        assert!(on_last_day > 10, "{on_last_day} signups on the last day");
    }
}
