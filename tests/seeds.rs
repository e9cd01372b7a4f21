//! Seeds as data: the seed CSV files (`seeds/`, docs/SEEDS.md) become the
//! `config.*` seed tables; a folder given with `--seeds` or `[seeds] dir`
//! replaces them; a bad file is one line, exit 2, and touches nothing.

use std::path::Path;

use crate::common::{existing_warehouse, file_digest, open, run_in, run_ok, stderr, TestResult};

fn seed_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(name);
    std::fs::read_to_string(path).expect("the seed file is readable")
}

fn count(conn: &duckdb::Connection, table: &str) -> i64 {
    conn.query_row(&format!("select count(*) from {table}"), [], |row| {
        row.get(0)
    })
    .expect("the table is readable")
}

#[test]
fn the_config_tables_hold_the_builtin_seeds() -> TestResult {
    let (dir, _) = existing_warehouse(400);
    let conn = open(&dir.path().join("w.duckdb"));
    for (table, rows) in [
        ("config.growth_levers", 5),
        ("config.funnel_stages", 7),
        ("config.plans", 5),
        ("config.segments", 4),
        ("config.channels", 6),
        ("config.calibration_targets", 31),
    ] {
        assert_eq!(count(&conn, table), rows, "{table}");
    }
    let names = |sql: &str| -> Vec<String> {
        let mut statement = conn.prepare(sql).expect("query prepares");
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .expect("query runs")
            .map(|row| row.expect("a row"))
            .collect()
    };
    assert_eq!(
        names("select segment from config.segments order by segment_order"),
        ["individual", "small_team", "enterprise", "education"]
    );
    assert_eq!(
        names("select channel from config.channels order by channel_order"),
        [
            "organic_search",
            "social_media",
            "referral",
            "paid_ads",
            "word_of_mouth",
            "content"
        ]
    );
    assert_eq!(
        names("select lever_name from config.growth_levers order by lever_id"),
        [
            "template_discovery",
            "viral_sharing",
            "seo_content",
            "mobile_experience",
            "api_integrations"
        ]
    );
    assert_eq!(
        names("select stage_name from config.funnel_stages order by stage_order"),
        [
            "awareness",
            "signup",
            "activation",
            "engagement",
            "habit",
            "collaboration",
            "monetization"
        ]
    );
    // values as they were when they were Rust constants
    let price: f64 = conn.query_row(
        "select price_per_seat from config.plans where plan = 'business'",
        [],
        |row| row.get(0),
    )?;
    assert_eq!(price, 18.0);
    let (cost, margin): (f64, f64) = conn.query_row(
        "select cost_weeks * cost_per_week, gross_margin from config.growth_levers where lever_name = 'mobile_experience'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    assert_eq!((cost, margin), (80_000.0, 0.8));
    // C1 and C2 scale with the users, C3 and C4 are the seeds' shares +- 2 points
    let target = |id: &str| -> (f64, f64, Option<f64>) {
        conn.query_row(
            "select target_value, lower_bound, upper_bound from config.calibration_targets where target_id = ?",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("the target exists")
    };
    assert_eq!(target("C1"), (400.0, 400.0, Some(400.0)));
    assert_eq!(target("C2"), (6_000.0, 4_000.0, Some(8_000.0)));
    assert_eq!(
        target("C3_small_team"),
        (0.35, 0.35 - 0.02, Some(0.35 + 0.02))
    );
    assert_eq!(
        target("C4_referral"),
        (0.25, 0.25 - 0.02, Some(0.25 + 0.02))
    );
    assert_eq!(target("C9"), (0.012, 0.007, Some(0.016)));
    // C15 is a direction: no upper bound
    assert_eq!(target("C15"), (1.5, 1.0, None));
    Ok(())
}

#[test]
fn a_bad_seed_file_is_one_line_exit_2_and_leaves_the_warehouse_untouched() -> TestResult {
    let (dir, digest) = existing_warehouse(300);
    let root = dir.path();
    let cases = [
        (
            "segments.csv",
            seed_file("segments.csv").replace("individual,0.45", "individual,0.55"),
            vec![
                "segments.csv' line 5",
                "column 'share'",
                "the shares sum to 1.1; they must sum to 1",
            ],
        ),
        (
            "growth_levers.csv",
            seed_file("growth_levers.csv").replace("seo_content,signup", "seo_content,virality"),
            vec![
                "growth_levers.csv' line 4",
                "column 'target_stage' = 'virality'",
            ],
        ),
        (
            "plans.csv",
            seed_file("plans.csv").replace("plus,2,10.0", "plus,2,-10.0"),
            vec!["plans.csv' line 4", "column 'price_per_seat' = '-10'"],
        ),
        (
            "channels.csv",
            seed_file("channels.csv").replace("social_media,", "referral,"),
            vec![
                "channels.csv' line 4",
                "column 'channel' = 'referral'",
                "duplicate",
            ],
        ),
    ];
    for (name, text, needles) in cases {
        let seeds = root.join("bad_seeds");
        let _ = std::fs::remove_dir_all(&seeds);
        std::fs::create_dir_all(&seeds)?;
        std::fs::write(seeds.join(name), text)?;
        for args in [
            &[
                "generate",
                "--users",
                "50",
                "--seeds",
                "bad_seeds",
                "--warehouse",
                "w.duckdb",
            ][..],
            &[
                "run",
                "--from-ingest",
                "--seeds",
                "bad_seeds",
                "--warehouse",
                "w.duckdb",
            ][..],
        ] {
            let output = run_in(root, args);
            let message = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
            let lines: Vec<&str> = message.lines().collect();
            assert_eq!(lines.len(), 1, "one line expected: {message}");
            for needle in &needles {
                assert!(lines[0].contains(needle), "'{needle}' not in: {message}");
            }
            assert_eq!(
                file_digest(&root.join("w.duckdb")),
                digest,
                "{args:?} changed the warehouse"
            );
        }
    }
    Ok(())
}

#[test]
fn an_edited_seed_folder_reaches_the_analysis() -> TestResult {
    let dir = crate::common::temp_dir();
    let root = dir.path();
    let seeds = root.join("my_seeds");
    std::fs::create_dir_all(&seeds)?;
    // a sixth lever
    std::fs::write(
        seeds.join("growth_levers.csv"),
        format!(
            "{}onboarding_checklist,activation,0.10,0.04,0.18,0.8,2,3.0,4000.0,0.80,A checklist of first steps in the empty workspace.\n",
            seed_file("growth_levers.csv")
        ),
    )?;
    // a fifth segment, its share taken from individuals
    std::fs::write(
        seeds.join("segments.csv"),
        format!(
            "{}nonprofit,0.05,2.0,1.0,1.0,0.08,1.0,company,2,6,plus:1.0,\n",
            seed_file("segments.csv").replace("individual,0.45", "individual,0.40")
        ),
    )?;
    std::fs::write(root.join("n.toml"), "[seeds]\ndir = \"my_seeds\"\n")?;
    run_ok(
        root,
        &[
            "--quiet",
            "run",
            "--users",
            "2000",
            "--config",
            "n.toml",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let conn = open(&root.join("w.duckdb"));
    assert_eq!(count(&conn, "analytics.growth_levers"), 6);
    let (stage, rank_count): (String, i64) = conn.query_row(
        "select target_stage, (select count(*) from analytics.growth_levers) \
         from analytics.growth_levers where lever_name = 'onboarding_checklist'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    assert_eq!((stage.as_str(), rank_count), ("activation", 6));
    // the new segment is generated, targeted and measured
    let nonprofit_users = count(&conn, "raw.users where segment = 'nonprofit'");
    assert!(
        (40..=180).contains(&nonprofit_users),
        "{nonprofit_users} nonprofit users of 2000 (share 0.05)"
    );
    let (target, measured): (f64, f64) = conn.query_row(
        "select target_value, measured from analytics.calibration where target_id = 'C3_nonprofit'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    assert_eq!(target, 0.05);
    assert_eq!(measured, nonprofit_users as f64 / 2000.0);
    assert_eq!(count(&conn, "analytics.calibration"), 32);
    Ok(())
}

#[test]
fn query_on_a_warehouse_from_before_the_seed_tables_adds_them() -> TestResult {
    let (dir, _) = existing_warehouse(300);
    let path = dir.path().join("w.duckdb");
    {
        let conn = duckdb::Connection::open(&path)?;
        conn.execute_batch("drop table config.segments; drop table config.channels;")?;
    }
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "query",
            "--only",
            "calibration",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let conn = open(&path);
    assert_eq!(count(&conn, "config.segments"), 4);
    assert_eq!(count(&conn, "config.channels"), 6);
    assert_eq!(
        count(
            &conn,
            "analytics.calibration where target_id like 'C3_%' or target_id like 'C4_%'"
        ),
        10
    );
    let comment: Option<String> = conn.query_row(
        "select comment from duckdb_tables() where schema_name = 'config' and table_name = 'segments'",
        [],
        |row| row.get(0),
    )?;
    assert!(comment.is_some_and(|text| text.contains("seeds/segments.csv")));
    Ok(())
}

#[test]
fn run_from_ingest_with_seeds_rewrites_the_seed_tables() -> TestResult {
    let (dir, _) = existing_warehouse(500);
    let root = dir.path();
    std::fs::create_dir_all(root.join("levers"))?;
    std::fs::write(
        root.join("levers/growth_levers.csv"),
        format!(
            "{}pricing_page,monetization,0.05,0.01,0.10,0.5,1,2.0,4000.0,0.80,A clearer pricing page.\n",
            seed_file("growth_levers.csv")
        ),
    )?;
    run_ok(
        root,
        &[
            "--quiet",
            "run",
            "--from-ingest",
            "--seeds",
            "levers",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let conn = open(&root.join("w.duckdb"));
    assert_eq!(count(&conn, "config.growth_levers"), 6);
    assert_eq!(
        count(
            &conn,
            "analytics.growth_levers where lever_name = 'pricing_page'"
        ),
        1
    );
    // the other seed tables are the built-in ones
    assert_eq!(count(&conn, "config.segments"), 4);
    Ok(())
}
