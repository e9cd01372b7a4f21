//! The growth model (`queries/growth/`): properties the golden expectations
//! alone do not state, on the golden fixture with its levers replaced where a
//! test needs other ones.

use std::path::Path;

use duckdb::Connection;
use indicatif::ProgressBar;
use northstar::{queries, report};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The golden fixture with every query run; `levers` (SQL) replaces
/// `config.growth_levers` first when given.
fn golden_with(levers: Option<&str>) -> Result<Connection, Box<dyn std::error::Error>> {
    let conn = Connection::open_in_memory()?;
    northstar::warehouse::create_schema(&conn)?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden");
    conn.execute_batch(&std::fs::read_to_string(dir.join("data.sql"))?)?;
    if let Some(sql) = levers {
        conn.execute_batch(&format!("delete from config.growth_levers; {sql}"))?;
    }
    let files = queries::order(&queries::load(None)?)?;
    queries::run(&conn, &files, &ProgressBar::hidden())?;
    Ok(conn)
}

fn render(conn: &Connection) -> Result<String, Box<dyn std::error::Error>> {
    let out = tempfile::tempdir()?;
    let options = report::ReportOptions {
        warehouse: Path::new("golden.duckdb"),
        out_dir: out.path(),
        templates: None,
        generated_at: chrono::Utc::now(),
    };
    let context = report::load_context(conn, &options)?;
    Ok(report::render(&context, None)?)
}

#[test]
fn levers_alike_but_on_stages_with_different_rates_get_different_values() -> TestResult {
    // identical lifts, confidence, ramp and cost: only the stage differs
    let conn = golden_with(Some(
        "insert into config.growth_levers values
             (1, 'on_activation', 'activation', 0.2, 0.1, 0.3, 0.5, 3, 'a', 4, 100, 0.8),
             (2, 'on_engagement', 'engagement', 0.2, 0.1, 0.3, 0.5, 3, 'b', 4, 100, 0.8),
             (3, 'on_habit', 'habit', 0.2, 0.1, 0.3, 0.5, 3, 'c', 4, 100, 0.8);",
    ))?;
    let rows: Vec<(String, f64, f64, f64)> = conn
        .prepare(
            "select lever_name, measured_rate, extra_paid_per_signup_p50, first_12_month_revenue_p50
             from analytics.growth_levers where lever_id <= 2 order by lever_id",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let habit: Option<String> = conn.query_row(
        "select status_reason from analytics.growth_levers where lever_name = 'on_habit'",
        [],
        |row| row.get(0),
    )?;
    // the fixture's habit reachers and missers all pay: no measured uplift, not valued
    assert!(habit.is_some_and(|reason| reason.contains("no measured uplift")));
    let rows: Vec<_> = rows.into_iter().take(2).collect();
    let (engagement, monetization) = (&rows[0], &rows[1]);
    assert!(
        (engagement.1 - monetization.1).abs() > 0.05,
        "the fixture's stage rates differ: {rows:?}"
    );
    assert!(engagement.3 > 0.0 && monetization.3 > 0.0, "{rows:?}");
    assert!(
        (engagement.2 - monetization.2).abs() > 0.1 * engagement.2.max(monetization.2),
        "extra payers per signup must differ by stage: {rows:?}"
    );
    assert!(
        (engagement.3 - monetization.3).abs() > 0.1 * engagement.3.max(monetization.3),
        "values must differ by stage: {rows:?}"
    );
    Ok(())
}

#[test]
fn ranges_are_ordered_p10_p50_p90() -> TestResult {
    let conn = golden_with(None)?;
    let disordered: i64 = conn.query_row(
        "select count(*) from analytics.growth_levers
         where status_reason is null and not (
             first_12_month_revenue_p10 <= first_12_month_revenue_p50
             and first_12_month_revenue_p50 <= first_12_month_revenue_p90
             and roi_12_months_p10 <= roi_12_months_p50 and roi_12_months_p50 <= roi_12_months_p90
             and lift_p10 <= lift_p50 and lift_p50 <= lift_p90)",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(disordered, 0);
    let valued: i64 = conn.query_row(
        "select count(*) from analytics.growth_levers where status_reason is null",
        [],
        |row| row.get(0),
    )?;
    assert!(valued >= 2, "the fixture values at least two levers");
    let band: i64 = conn.query_row(
        "select count(*) from analytics.growth_projection
         where not (cumulative_extra_revenue_p10 <= cumulative_extra_revenue_p50
             and cumulative_extra_revenue_p50 <= cumulative_extra_revenue_p90)",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(band, 0);
    Ok(())
}

#[test]
fn a_lever_whose_p10_roi_is_below_zero_is_not_invested_in_first() -> TestResult {
    // the fixture's seo_content and mobile_experience at lower costs: seo_content's
    // P10 first-12-month gross profit (172.92 x 0.8 = 138.34) covers its $100, while
    // mobile_experience's $45 lies between its P10 (38.27) and P50 (55.18) gross profit
    let conn = golden_with(Some(
        "insert into config.growth_levers values
             (3, 'seo_content', 'signup', 0.20, 0.05, 0.30, 0.9, 6, 'a', 1, 100, 0.8),
             (4, 'mobile_experience', 'engagement', 0.12, 0.05, 0.20, 0.6, 5, 'b', 1, 45, 0.8);",
    ))?;
    let (roi_p10, roi_p50, investable): (f64, f64, bool) = conn.query_row(
        "select roi_12_months_p10, roi_12_months_p50, is_investable
         from analytics.growth_levers where lever_name = 'mobile_experience'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    assert!(roi_p10 < 0.0 && roi_p50 > 0.0 && !investable);
    let text = render(&conn)?;
    assert!(text.contains("Invest first in seo_content"), "{text}");
    assert!(!text.contains("Invest first in mobile_experience"));
    assert!(text.contains("observational uplift"));

    // every lever's P10 ROI below zero: no lever is recommended
    let costly = golden_with(Some(
        "insert into config.growth_levers values
             (1, 'costly', 'signup', 0.2, 0.05, 0.3, 0.9, 6, 'a', 1000, 100000, 0.8);",
    ))?;
    let text = render(&costly)?;
    assert!(!text.contains("Invest first in"), "{text}");
    assert!(text.contains("Invest in no lever yet"), "{text}");
    Ok(())
}

#[test]
fn next_steps_name_the_first_experiment_with_its_numbers() -> TestResult {
    let conn = golden_with(None)?;
    let (name, users, weeks): (String, i64, f64) = conn.query_row(
        "select lever_name, users_per_arm, weeks_needed from analytics.growth_experiments
         where status_reason is null order by lever_rank limit 1",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let text = render(&conn)?;
    let steps = text
        .split("NEXT STEPS")
        .nth(1)
        .ok_or("the report has no Next Steps")?;
    assert!(
        steps.contains(&format!("Run {name} as a controlled experiment")),
        "{steps}"
    );
    assert!(steps.contains(&report::format_int(users as f64)), "{steps}");
    assert!(steps.contains(&report::format_decimal(weeks, 1)), "{steps}");
    Ok(())
}

#[test]
fn net_mrr_churn_and_new_account_arpa_are_the_mrr_bridge_over_the_window() -> TestResult {
    // the accounts fixture as of 2024-04-30: the window Feb..Apr holds new accounts,
    // expansion, contraction and a churn, so the net MRR churn is below zero
    let conn = Connection::open_in_memory()?;
    northstar::warehouse::create_schema(&conn)?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/accounts");
    conn.execute_batch(&std::fs::read_to_string(dir.join("data.sql"))?)?;
    conn.execute_batch(
        "update config.params set as_of_date = date '2024-04-30', period_end = date '2024-04-30'",
    )?;
    let files = queries::order(&queries::load(None)?)?;
    queries::run(&conn, &files, &ProgressBar::hidden())?;
    let (churn, churn_n, low, high, arpa, arpa_n): (f64, i64, f64, f64, f64, i64) = conn
        .query_row(
            "select
             max(case when measure = 'net_mrr_churn_monthly' then value end),
             max(case when measure = 'net_mrr_churn_monthly' then n end),
             max(case when measure = 'net_mrr_churn_monthly' then value_ci_low end),
             max(case when measure = 'net_mrr_churn_monthly' then value_ci_high end),
             max(case when measure = 'new_account_arpa' then value end),
             max(case when measure = 'new_account_arpa' then n end)
         from analytics.growth_baseline",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            },
        )?;
    let (bridge, starting, new_arpa, new_accounts, movements): (f64, i64, f64, i64, f64) = conn
        .query_row(
            "select
                 sum(churned_mrr + contraction_mrr - expansion_mrr) / sum(mrr_start),
                 sum(starting_accounts),
                 sum(new_mrr) / sum(new_accounts),
                 sum(new_accounts),
                 sum(expansion_mrr) + sum(contraction_mrr)
             from analytics.mrr_movements
             where month_start between date '2024-02-01' and date '2024-04-01'",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )?;
    assert!(movements > 0.0, "the window has expansion or contraction");
    assert!(churn < 0.0, "net expansion in the window: {churn}");
    assert!(
        (churn - bridge).abs() < 1e-12,
        "{churn} vs the bridge's {bridge}"
    );
    assert_eq!(churn_n, starting);
    assert!(low < churn && churn < high, "{low} < {churn} < {high}");
    assert!((arpa - new_arpa).abs() < 1e-9, "{arpa} vs {new_arpa}");
    assert_eq!(arpa_n, new_accounts);
    Ok(())
}

#[test]
fn each_lever_carries_and_prints_its_value_basis() -> TestResult {
    let conn = golden_with(None)?;
    let bases: Vec<(String, Option<String>)> = conn
        .prepare("select lever_name, value_basis from analytics.growth_levers order by lever_id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, basis) in &bases {
        let expected = if name == "seo_content" {
            "assumed_average_paid_rate"
        } else {
            "observational_uplift"
        };
        assert_eq!(basis.as_deref(), Some(expected), "{name}");
    }
    let text = render(&conn)?;
    let paragraph = |name: &str| {
        text.split(&format!(". {name}: "))
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert!(
        paragraph("seo_content")
            .contains("Basis: assumed (extra signups at the average paid rate)"),
        "{text}"
    );
    assert!(
        paragraph("template_discovery").contains("Basis: measured observational uplift"),
        "{text}"
    );
    Ok(())
}
