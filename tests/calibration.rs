//! docs/CALIBRATION.md: the default 50,000-user run meets every target,
//! measured by `queries/synthetic/calibration.sql` on the warehouse.

use crate::common::{default_warehouse, northstar, open, stderr, temp_dir, TestResult};

/// One row of analytics.calibration: id, measure, target, lower, upper (None: a
/// direction target, passed strictly above lower), measured, passed.
type CalibrationRow = (
    String,
    String,
    f64,
    f64,
    Option<f64>,
    Option<f64>,
    Option<bool>,
);

/// The ids a warehouse misses, with their measured value and bounds.
fn calibration_misses(path: &std::path::Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let conn = open(path);
    let mut statement = conn.prepare(
        "select target_id, measured, lower_bound, upper_bound from analytics.calibration \
         where not passed order by sort_order",
    )?;
    let misses = statement
        .query_map([], |row| {
            Ok(format!(
                "{}: measured {:?}, accepted [{}, {}]",
                row.get::<_, String>(0)?,
                row.get::<_, Option<f64>>(1)?,
                row.get::<_, f64>(2)?,
                row.get::<_, Option<f64>>(3)?
                    .map_or_else(|| "no upper bound".to_string(), |upper| upper.to_string())
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(misses)
}

/// The bands are sized to sampling noise, not to one lucky seed: four more
/// seeds at the default 50,000 users (seed 6 once missed C13) meet every
/// target too. About 3 s a run.
#[test]
fn five_seeds_meet_every_calibration_target() -> TestResult {
    let mut failures = calibration_misses(default_warehouse())?
        .into_iter()
        .map(|miss| format!("seed 42 {miss}"))
        .collect::<Vec<_>>();
    let dir = temp_dir();
    for seed in ["1", "2", "3", "6"] {
        let path = dir.path().join(format!("seed{seed}.duckdb"));
        let output = northstar()
            .args(["--quiet", "run", "--seed", seed, "--warehouse"])
            .arg(&path)
            .current_dir(dir.path())
            .output()?;
        assert!(output.status.success(), "seed {seed}: {}", stderr(&output));
        failures.extend(
            calibration_misses(&path)?
                .into_iter()
                .map(|miss| format!("seed {seed} {miss}")),
        );
    }
    assert!(
        failures.is_empty(),
        "calibration misses:\n{}",
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn default_run_meets_every_calibration_target() -> TestResult {
    let conn = open(default_warehouse());
    let mut statement = conn.prepare(
        "select target_id, measure, target_value, lower_bound, upper_bound, measured, passed \
         from analytics.calibration order by target_id",
    )?;
    let rows: Vec<CalibrationRow> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    // 21 targets (C1 .. C21), C3 split in 4 segments, C4 in 6 channels, C12 in 3 months.
    assert_eq!(rows.len(), 21 - 3 + 4 + 6 + 3, "one row per target id");
    let mut failures = Vec::new();
    for (id, measure, target, lower, upper, measured, passed) in &rows {
        eprintln!("{id:<20} target {target:>12.4} measured {measured:>12.4?} [{lower}, {upper:?}] {measure}");
        let measured = measured.ok_or_else(|| format!("{id}: measured is NULL"))?;
        let in_bounds = match upper {
            Some(upper) => measured >= *lower && measured <= *upper,
            None => measured > *lower,
        };
        assert_eq!(
            Some(in_bounds),
            *passed,
            "{id}: passed flag disagrees with bounds"
        );
        if !in_bounds {
            failures.push(format!(
                "{id} ({measure}): measured {measured:.4}, accepted [{lower}, {upper:?}]"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "calibration misses:\n{}",
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn default_run_has_no_signup_pile_up_and_no_event_outside_the_period() -> TestResult {
    let conn = open(default_warehouse());
    // No signup pile-up on the last day (signup dates clipped to the end date
    // once put 13.5% of users there); with growth 3x it holds ~0.25%.
    let last_day_share: f64 = conn.query_row(
        "select cast(count(*) filter (where cast(signup_at as date) = date '2025-12-31') as double) / count(*) from raw.users",
        [],
        |row| row.get(0),
    )?;
    assert!(last_day_share < 0.005, "last-day share {last_day_share}");
    // No censoring artifact: activity of the last week looks like the week before.
    let ratio: f64 = conn.query_row(
        "select cast(sum(dau) filter (where activity_date > date '2025-12-24') as double) \
              / sum(dau) filter (where activity_date between date '2025-12-18' and date '2025-12-24') \
         from analytics.dau_mau",
        [],
        |row| row.get(0),
    )?;
    assert!(
        (0.85..1.15).contains(&ratio),
        "last week / previous week DAU = {ratio}"
    );
    let outside: i64 = conn.query_row(
        "select count(*) from raw.events as events \
         inner join raw.users as users on users.user_id = events.user_id \
         where events.occurred_at < users.signup_at \
            or events.occurred_at >= timestamp '2026-01-01' \
            or events.occurred_at < timestamp '2023-01-01'",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(outside, 0);
    let failed_checks: i64 = conn.query_row(
        "select count(*) from meta.check_results where not passed and severity = 'error'",
        [],
        |row| row.get(0),
    )?;
    let checks: i64 = conn.query_row("select count(*) from meta.check_results", [], |row| {
        row.get(0)
    })?;
    assert!(checks >= 5, "checks ran: {checks}");
    assert_eq!(failed_checks, 0);
    Ok(())
}
