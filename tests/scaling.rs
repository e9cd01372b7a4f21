//! Cost grows linearly with the data (goal P5, bench/GOALS.md): the query stage on 4x
//! the users must take less than 8x the time (linear is 4x, less with the
//! fixed per-query cost; a calendar x user-day join would be ~16x). Ratios
//! within one test, never absolute times: the runs alternate small/large so
//! both sizes see the same background load, and medians of 3 damp the noise.

use std::path::Path;
use std::time::Instant;

use crate::common::{run_ok, temp_dir, TestResult};

const SMALL: &str = "20000";
const LARGE: &str = "80000";
const RUNS: usize = 3;
const MAX_RATIO: f64 = 8.0;

fn generate(dir: &Path, users: &str, name: &str) {
    run_ok(
        dir,
        &["--quiet", "generate", "--users", users, "--warehouse", name],
    );
}

/// Wall seconds of `northstar query` on `name`.
fn time_query(dir: &Path, name: &str) -> f64 {
    let started = Instant::now();
    run_ok(dir, &["--quiet", "query", "--warehouse", name]);
    started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn query_cost_grows_linearly_with_users() -> TestResult {
    let dir = temp_dir();
    generate(dir.path(), SMALL, "small.duckdb");
    generate(dir.path(), LARGE, "large.duckdb");
    let (mut small, mut large) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        small.push(time_query(dir.path(), "small.duckdb"));
        large.push(time_query(dir.path(), "large.duckdb"));
    }
    let (small_s, large_s) = (median(small.clone()), median(large.clone()));
    let ratio = large_s / small_s;
    println!(
        "scaling: query stage {SMALL} users {small_s:.2}s (runs {small:.2?}), \
         {LARGE} users {large_s:.2}s (runs {large:.2?}): ratio {ratio:.2} (linear 4, limit {MAX_RATIO})"
    );
    assert!(
        ratio < MAX_RATIO,
        "the query stage grew {ratio:.2}x for 4x the users ({small_s:.2}s -> {large_s:.2}s): \
         a query is worse than linear in events (see BENCHMARKS.md for per-query times)"
    );
    Ok(())
}
