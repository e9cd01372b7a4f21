//! Billing per workspace (account): one subscription at a time per paying
//! workspace, paid by its owner, run after the journeys of a batch.
//!
//! The owner's decision to pay (`Journey::pay_intent_us`) starts the
//! workspace's subscription; members' decisions are not billed (the workspace
//! pays for their seats). The lifecycle, at monthly renewals from the start:
//!
//! - **Trial**: half of the paying workspaces first run a 14-day $0 trial
//!   ending when the paid subscription starts; some workspaces that never pay
//!   run a trial too (so that about one trial in five converts).
//! - **Plan** by segment (`start_plans` of seeds/segments.csv), priced from
//!   the price list (seeds/plans.csv, `config.plans`): individuals on plus,
//!   small teams on plus or business, enterprise teams on business or
//!   enterprise, education on education.
//! - **Seats** = the workspace's members at the time (one for a personal
//!   workspace), trued up at each renewal: a member who joined since is an
//!   expansion.
//! - **Upgrades and downgrades** at a renewal (`plan_moves` of
//!   seeds/segments.csv): a new subscription row starting the day the
//!   previous one ends.
//! - **Cancellation** at a renewal with a monthly hazard
//!   (`subscription_churn_monthly` times the segment's `churn_multiplier`: individuals
//!   leave more often than teams), and sometimes a **reactivation** months
//!   later.
//!
//! Every workspace draws from its own ChaCha8 stream (seed, workspace id), so
//! the rows do not depend on the thread count or on the users' journeys'
//! draws.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

use super::model::{Period, DAY_US};
use crate::config::Behaviour;
use crate::seeds::Seeds;

/// Mixed into the seed so the billing streams differ from the users' streams.
const BILLING_SALT: u64 = 0xB111_1A6E_5EA7_5000;
/// Days between renewals.
const RENEWAL_DAYS: i64 = 30;
/// Length of a trial.
const TRIAL_DAYS: i64 = 14;
/// Share of paying workspaces that start with a trial.
const TRIAL_BEFORE_PAYING: f64 = 0.5;
/// Share of never-paying workspaces that run a trial.
const TRIAL_WITHOUT_PAYING: f64 = 0.17;
/// Mean days from signup to the trial of a workspace that never pays.
const UNPAID_TRIAL_DELAY_DAYS: f64 = 20.0;
/// Chance a cancelled account comes back, and the mean delay after the
/// 30-day minimum.
const REACTIVATION: f64 = 0.25;
const REACTIVATION_DELAY_DAYS: f64 = 120.0;
/// One subscription row of a workspace, before ids are assigned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimSubscription<'s> {
    /// Plan name, borrowed from the seeds.
    pub plan: &'s str,
    pub seats: u32,
    pub started_us: i64,
    pub ended_us: Option<i64>,
    pub monthly_revenue: f64,
}

/// The workspace a billing pass runs for.
pub struct Account<'a> {
    pub workspace_id: i64,
    pub segment: usize,
    pub owner_signup_us: i64,
    /// The owner's decision to pay, if any (inside the period).
    pub pay_intent_us: Option<i64>,
    /// Join times of the members, the owner included.
    pub member_joins: &'a [i64],
}

fn exponential_days<R: Rng>(rng: &mut R, mean: f64) -> i64 {
    let days = match Exp::new(1.0 / mean) {
        Ok(dist) => dist.sample(rng),
        Err(_) => mean,
    };
    (days * DAY_US as f64) as i64
}

/// Appends the subscription rows of one workspace to `out`, in time order.
pub fn bill_account<'s>(
    seed: u64,
    behaviour: &Behaviour,
    seeds: &'s Seeds,
    period: Period,
    account: &Account<'_>,
    out: &mut Vec<SimSubscription<'s>>,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ BILLING_SALT);
    rng.set_stream(account.workspace_id as u64);
    let Some(segment) = seeds
        .segments
        .get(account.segment)
        .or_else(|| seeds.segments.last())
    else {
        return;
    };
    let price = |plan: &str| seeds.price_per_seat(plan);
    let seats_at = |at: i64| -> u32 {
        (account
            .member_joins
            .iter()
            .filter(|joined| **joined <= at)
            .count() as u32)
            .max(1)
    };
    let plans = &segment.start_plans;
    let draw: f64 = rng.gen::<f64>() * plans.iter().map(|(_, w)| w).sum::<f64>();
    let mut plan: &str = plans.last().map_or("", |(name, _)| name.as_str());
    let mut cumulative = 0.0;
    for (candidate, weight) in plans {
        cumulative += weight;
        if draw < cumulative {
            plan = candidate;
            break;
        }
    }
    let trial_draw = rng.gen::<f64>();
    let trial = |start: i64, plan: &'s str, out: &mut Vec<SimSubscription<'s>>| {
        let end = start + TRIAL_DAYS * DAY_US;
        out.push(SimSubscription {
            plan,
            seats: seats_at(start),
            started_us: start,
            ended_us: (end < period.end_us).then_some(end),
            monthly_revenue: 0.0,
        });
    };
    let Some(paid_from) = account.pay_intent_us.filter(|at| *at < period.end_us) else {
        if trial_draw < TRIAL_WITHOUT_PAYING {
            let start = account.owner_signup_us
                + DAY_US / 24
                + exponential_days(&mut rng, UNPAID_TRIAL_DELAY_DAYS);
            if start < period.end_us {
                trial(start, plan, out);
            }
        }
        return;
    };
    if trial_draw < TRIAL_BEFORE_PAYING {
        let start = (paid_from - TRIAL_DAYS * DAY_US).max(account.owner_signup_us + DAY_US / 24);
        if start + DAY_US <= paid_from {
            out.push(SimSubscription {
                plan,
                seats: seats_at(start),
                started_us: start,
                ended_us: Some(paid_from),
                monthly_revenue: 0.0,
            });
        }
    }

    let churn = (behaviour.subscription_churn_monthly * segment.churn_multiplier).min(1.0);
    let moves = &segment.plan_moves;
    let mut anchor = paid_from;
    let mut current = SimSubscription {
        plan,
        seats: seats_at(paid_from),
        started_us: paid_from,
        ended_us: None,
        monthly_revenue: price(plan) * f64::from(seats_at(paid_from)),
    };
    let mut month = 1i64;
    loop {
        let renewal = anchor + month * RENEWAL_DAYS * DAY_US;
        if renewal >= period.end_us {
            break;
        }
        month += 1;
        if rng.gen::<f64>() < churn {
            current.ended_us = Some(renewal);
            out.push(current);
            if rng.gen::<f64>() >= REACTIVATION {
                return;
            }
            let back = renewal
                + RENEWAL_DAYS * DAY_US
                + exponential_days(&mut rng, REACTIVATION_DELAY_DAYS);
            if back >= period.end_us {
                return;
            }
            let seats = seats_at(back);
            current = SimSubscription {
                plan: current.plan,
                seats,
                started_us: back,
                ended_us: None,
                monthly_revenue: price(current.plan) * f64::from(seats),
            };
            anchor = back;
            month = 1;
            continue;
        }
        let move_draw = rng.gen::<f64>();
        let next_plan = moves
            .iter()
            .find(|(from, _, probability)| from == current.plan && move_draw < *probability)
            .map_or(current.plan, |(_, to, _)| to.as_str());
        let seats = seats_at(renewal);
        if next_plan != current.plan || seats != current.seats {
            current.ended_us = Some(renewal);
            out.push(current);
            current = SimSubscription {
                plan: next_plan,
                seats,
                started_us: renewal,
                ended_us: None,
                monthly_revenue: price(next_plan) * f64::from(seats),
            };
        }
    }
    out.push(current);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period() -> Period {
        // 2023-01-01 .. 2025-12-31
        let start_us = 1_672_531_200_000_000;
        Period {
            start_us,
            end_us: start_us + 1096 * DAY_US,
        }
    }

    fn bill(
        workspace_id: i64,
        segment: usize,
        joins: &[i64],
        intent: Option<i64>,
    ) -> Vec<SimSubscription<'static>> {
        let mut out = Vec::new();
        bill_account(
            42,
            &Behaviour::default(),
            Seeds::builtin(),
            period(),
            &Account {
                workspace_id,
                segment,
                owner_signup_us: joins[0],
                pay_intent_us: intent,
                member_joins: joins,
            },
            &mut out,
        );
        out
    }

    #[test]
    fn one_subscription_at_a_time_with_seats_priced_from_the_plan_list() {
        let start = period().start_us;
        let joins: Vec<i64> = (0..12).map(|i| start + i * 20 * DAY_US).collect();
        for workspace_id in 1..400 {
            let segment = (workspace_id % 4) as usize;
            let rows = bill(workspace_id, segment, &joins, Some(start + 40 * DAY_US));
            assert!(!rows.is_empty());
            for pair in rows.windows(2) {
                let ended = pair[0].ended_us.expect("only the last row may be open");
                assert!(ended <= pair[1].started_us, "overlap in {rows:?}");
            }
            for row in &rows {
                assert!(row.seats >= 1);
                let expected = if row.monthly_revenue == 0.0 {
                    0.0
                } else {
                    Seeds::builtin().price_per_seat(row.plan) * f64::from(row.seats)
                };
                assert_eq!(row.monthly_revenue, expected);
                assert!(row.started_us < period().end_us);
            }
        }
    }

    #[test]
    fn billing_is_deterministic_per_workspace() {
        let start = period().start_us;
        let joins = [start, start + DAY_US];
        let intent = Some(start + 10 * DAY_US);
        assert_eq!(bill(7, 1, &joins, intent), bill(7, 1, &joins, intent));
    }

    #[test]
    fn members_joining_later_add_seats_at_a_renewal() {
        let start = period().start_us;
        // the owner pays on day 5; a second member joins on day 50
        let joins = [start, start + 50 * DAY_US];
        let paid = (1..200)
            .map(|workspace_id| bill(workspace_id, 1, &joins, Some(start + 5 * DAY_US)))
            .filter(|rows| rows.iter().any(|row| row.monthly_revenue > 0.0))
            .collect::<Vec<_>>();
        assert!(paid.iter().any(|rows| rows
            .iter()
            .any(|row| row.seats == 2 && row.monthly_revenue > 0.0)));
        for rows in &paid {
            let first_paid = rows.iter().find(|row| row.monthly_revenue > 0.0);
            assert_eq!(first_paid.map(|row| row.seats), Some(1));
        }
    }
}
