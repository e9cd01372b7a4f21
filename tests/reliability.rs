//! Reliability (RELIABILITY.md): interruptions, concurrent runs, corrupt and
//! foreign files, and fuzzed parsers never lose or half-write a warehouse.
//!
//! Trial counts: `NORTHSTAR_FAULT_TRIALS` (default 2 per command and signal,
//! for CI; the full suite uses 20) and `NORTHSTAR_FUZZ_CASES` (default 64).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::common::{
    file_digest, northstar, open, run_in, run_ok, stderr, table_checksums, temp_dir, TestResult,
};

fn trials() -> u64 {
    std::env::var("NORTHSTAR_FAULT_TRIALS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2)
}

fn fuzz_cases() -> u32 {
    std::env::var("NORTHSTAR_FUZZ_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(64)
}

/// Files beside the warehouse that a run leaves behind (temps, locks).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir is readable")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-") || name.ends_with(".lock"))
        .collect()
}

/// A deterministic pseudo-random delay in [150, 1350) ms for trial `n`.
fn delay(n: u64) -> Duration {
    let mixed = n
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    Duration::from_millis(150 + (mixed >> 33) % 1200)
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(
        status.success() || status.code() == Some(1),
        "kill -{name} failed"
    );
}

#[test]
fn interrupted_commands_leave_the_previous_warehouse_intact() -> TestResult {
    let dir = temp_dir();
    let path = dir.path().join("w.duckdb");
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "2000",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let commands: [&[&str]; 3] = [
        &["generate", "--users", "60000", "--warehouse", "w.duckdb"],
        &["run", "--users", "60000", "--warehouse", "w.duckdb"],
        &["query", "--warehouse", "w.duckdb"],
    ];
    let (mut faults, mut completed) = (0, 0);
    for trial in 0..trials() * 2 {
        for (index, args) in commands.iter().enumerate() {
            let before = file_digest(&path);
            let before_tables = table_checksums(&open(&path), &["raw", "config", "analytics"]);
            let kill = if trial % 2 == 0 { "INT" } else { "KILL" };
            let child = northstar()
                .args(*args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()?;
            std::thread::sleep(delay(trial * 3 + index as u64));
            signal(child.id(), kill);
            let output = child.wait_with_output()?;
            if output.status.success() || file_digest(&path) != before {
                // The warehouse was replaced before the signal (the signal hit
                // the report or charts, or the command had finished): the new
                // warehouse must be complete.
                completed += 1;
                let runs: i64 = open(&path).query_row(
                    "select count(*) from meta.pipeline_runs",
                    [],
                    |row| row.get(0),
                )?;
                assert!(runs >= 1);
                let checks_failed: i64 = open(&path).query_row(
                    "select count(*) from meta.check_results where not passed and severity = 'error'",
                    [],
                    |row| row.get(0),
                )?;
                assert_eq!(checks_failed, 0);
                continue;
            }
            faults += 1;
            assert_eq!(
                file_digest(&path),
                before,
                "{kill} during {args:?} changed the warehouse"
            );
            assert_eq!(
                table_checksums(&open(&path), &["raw", "config", "analytics"]),
                before_tables
            );
            if kill == "INT" {
                assert_eq!(
                    output.status.code(),
                    Some(130),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                assert!(
                    leftovers(dir.path()).is_empty(),
                    "SIGINT left {:?}",
                    leftovers(dir.path())
                );
            } else {
                // SIGKILL cannot clean up; the next run removes what is left.
                run_ok(dir.path(), &["--quiet", "query", "--warehouse", "w.duckdb"]);
                assert!(
                    leftovers(dir.path()).is_empty(),
                    "next run left {:?}",
                    leftovers(dir.path())
                );
            }
        }
    }
    eprintln!("interruption trials: {faults} faults injected, {completed} runs completed first, data lost: 0");
    assert!(faults > 0, "no trial was interrupted");
    Ok(())
}

#[test]
fn two_runs_at_once_one_wins_the_other_is_told_why() -> TestResult {
    let dir = temp_dir();
    let start = || {
        northstar()
            .args([
                "--quiet",
                "run",
                "--users",
                "30000",
                "--warehouse",
                "w.duckdb",
            ])
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
    };
    let first = start()?;
    std::thread::sleep(Duration::from_millis(300));
    let second = start()?.wait_with_output()?;
    let first = first.wait_with_output()?;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(1));
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(message.contains("is in use by PID"), "{message}");
    assert!(leftovers(dir.path()).is_empty());
    Ok(())
}

#[test]
fn corrupt_and_foreign_files_are_not_overwritten_without_force() -> TestResult {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "generate",
            "--users",
            "300",
            "--warehouse",
            "real.duckdb",
        ],
    );
    let real = std::fs::read(dir.path().join("real.duckdb"))?;
    std::fs::write(
        dir.path().join("truncated.duckdb"),
        &real[..real.len().min(8192)],
    )?;
    let random: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("random.duckdb"), random)?;
    {
        let other = duckdb::Connection::open(dir.path().join("other.duckdb"))?;
        other.execute_batch(
            "create table invoices (id integer); insert into invoices values (1);",
        )?;
    }
    for name in ["truncated.duckdb", "random.duckdb", "other.duckdb"] {
        let path = dir.path().join(name);
        let before = file_digest(&path);
        let output = run_in(
            dir.path(),
            &["generate", "--users", "100", "--warehouse", name],
        );
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        assert!(
            message.contains("is not a northstar warehouse"),
            "{name}: {message}"
        );
        assert!(message.contains("--force"), "{name}: {message}");
        assert_eq!(file_digest(&path), before, "{name} was changed");
        let output = run_in(dir.path(), &["report", "--warehouse", name]);
        assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("is not a northstar warehouse"),
            "{}",
            stderr(&output)
        );
        let output = run_in(
            dir.path(),
            &[
                "--quiet",
                "generate",
                "--users",
                "100",
                "--force",
                "--warehouse",
                name,
            ],
        );
        assert!(
            output.status.success(),
            "{name} --force: {}",
            stderr(&output)
        );
    }
    Ok(())
}

#[test]
fn a_warehouse_from_older_query_versions_asks_for_a_query_run() -> TestResult {
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "500",
            "--warehouse",
            "w.duckdb",
        ],
    );
    {
        // What an older northstar leaves: analytics built by version 0 of a query.
        let conn = duckdb::Connection::open(dir.path().join("w.duckdb"))?;
        conn.execute(
            "update meta.query_runs set query_version = 0 where query_name = 'funnel_stages'",
            [],
        )?;
    }
    let output = run_in(dir.path(), &["report", "--warehouse", "w.duckdb"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("funnel_stages v0"), "{message}");
    assert!(
        message.contains("run `northstar query --warehouse w.duckdb`"),
        "{message}"
    );
    run_ok(dir.path(), &["--quiet", "query", "--warehouse", "w.duckdb"]);
    run_ok(
        dir.path(),
        &["--quiet", "report", "--warehouse", "w.duckdb"],
    );
    Ok(())
}

#[test]
fn same_seed_same_tables_at_scale() -> TestResult {
    // 1M users in the full suite (NORTHSTAR_DETERMINISM_USERS=1000000).
    let users = std::env::var("NORTHSTAR_DETERMINISM_USERS").unwrap_or_else(|_| "40000".into());
    let dir = temp_dir();
    let started = Instant::now();
    let mut sums = Vec::new();
    for threads in ["1", "2"] {
        let name = format!("t{threads}.duckdb");
        run_ok(
            dir.path(),
            &[
                "--quiet",
                "generate",
                "--users",
                &users,
                "--threads",
                threads,
                "--warehouse",
                &name,
            ],
        );
        sums.push(table_checksums(
            &open(&dir.path().join(&name)),
            &["raw", "config"],
        ));
    }
    assert_eq!(sums[0], sums[1]);
    eprintln!(
        "determinism at {users} users: identical in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), ..ProptestConfig::default() })]

    /// The query header parser returns Ok or a clean error naming the file, never panics.
    #[test]
    fn query_header_parser_never_panics(text in "(-- (name|version|depends|grain|description|x): [a-z0-9_, ]{0,12}\n){0,7}[ -~\n]{0,80}") {
        if let Err(err) = northstar::queries::parse("fuzz/q.sql", &text) {
            prop_assert!(err.to_string().starts_with("fuzz/q.sql:"), "{}", err);
        }
    }

    /// The config parser returns Ok or a one-line error, never panics.
    #[test]
    fn config_parser_never_panics(text in "((users|seed|start|end|threads|\\[behaviour\\]|activation_rate|x) ?= ?[-0-9a-z\".\\[\\], ]{0,14}\n){0,6}") {
        if let Err(message) = northstar::config::Config::from_toml(&text) {
            prop_assert!(!message.contains('\n'), "{}", message);
        }
    }

    /// The CSV ingest validator accepts or rejects with a message naming the file; never panics.
    #[test]
    fn csv_ingest_validator_never_panics(
        users in "user_id,signup_at(,segment)?\n([0-9x]{1,3},(2024-0[1-9]-1[0-9]( 1[0-2]:00:00)?|junk|)(,[a-z<>'\"]{0,6})?\n){0,5}",
        events in "user_id,event_type,occurred_at\n([0-9]{1,3},page_[a-z]{4},(2024-0[1-9]-1[0-9] 1[0-2]:00:00|bad)\n){0,5}",
    ) {
        let dir = temp_dir();
        std::fs::write(dir.path().join("users.csv"), &users).expect("write");
        std::fs::write(dir.path().join("events.csv"), &events).expect("write");
        let conn = duckdb::Connection::open_in_memory().expect("duckdb");
        northstar::warehouse::create_schema(&conn).expect("schema");
        let files = northstar::ingest::IngestFiles {
            users: dir.path().join("users.csv"),
            events: dir.path().join("events.csv"),
            ..Default::default()
        };
        let options = northstar::ingest::IngestOptions {
            start: None,
            end: None,
            dedupe: true,
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        };
        if let Err(err) = northstar::ingest::ingest(&conn, &files, &options) {
            let message = err.to_string();
            prop_assert!(message.contains(".csv") || message.contains("ingest SQL failed"), "{}", message);
            prop_assert!(!message.contains('\n'), "{}", message);
        }
    }
}

#[test]
fn read_only_warehouse_and_unwritable_reports_are_clear_errors() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "500",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let path = dir.path().join("w.duckdb");
    let before = file_digest(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444))?;
    let output = run_in(
        dir.path(),
        &["generate", "--users", "100", "--warehouse", "w.duckdb"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warehouse 'w.duckdb' is read-only"),
        "{}",
        stderr(&output)
    );
    assert_eq!(file_digest(&path), before);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    // A regular file where the reports directory should be.
    std::fs::write(dir.path().join("blocked"), "not a directory")?;
    for command in ["report", "charts"] {
        let output = run_in(
            dir.path(),
            &[command, "--warehouse", "w.duckdb", "--out", "blocked"],
        );
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{command}: {message}");
        assert!(message.contains("blocked"), "{command}: {message}");
        assert_eq!(
            message.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{message}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("blocked"))?,
        "not a directory"
    );
    assert_eq!(file_digest(&path), before);
    Ok(())
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_previous_warehouse() -> TestResult {
    let dir = temp_dir();
    let mount = dir.path().join("small");
    std::fs::create_dir_all(&mount)?;
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI runs as root and must be able to mount a small tmpfs"
        );
        eprintln!("skipping: cannot mount a tmpfs here (not root)");
        return Ok(());
    }
    let result = fill_the_disk(&mount);
    let _ = Command::new("umount").arg(&mount).status();
    result
}

/// On a 6 MB filesystem: a small warehouse fits, a 200,000-user run does not.
fn fill_the_disk(mount: &Path) -> TestResult {
    run_ok(
        mount,
        &[
            "--quiet",
            "generate",
            "--users",
            "500",
            "--warehouse",
            "w.duckdb",
        ],
    );
    let before = file_digest(&mount.join("w.duckdb"));
    let output = run_in(
        mount,
        &["generate", "--users", "200000", "--warehouse", "w.duckdb"],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.to_lowercase().contains("space"), "{message}");
    assert_eq!(
        message.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{message}"
    );
    assert_eq!(file_digest(&mount.join("w.duckdb")), before);
    assert!(leftovers(mount).is_empty(), "{:?}", leftovers(mount));
    Ok(())
}

/// Mounts a tmpfs of `size` at `mount`; false (after saying why) when this
/// machine does not allow it, which CI (root) must.
fn mount_tmpfs(mount: &Path, size: &str) -> bool {
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI runs as root and must be able to mount a small tmpfs"
        );
        eprintln!("skipping: cannot mount a tmpfs here (not root)");
    }
    mounted
}

/// (relative path, SHA-256) of every file under `dir`, sorted.
fn tree_digests(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("dir is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push((name, file_digest(&path)));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Free bytes and the block size of the filesystem holding `path` (`stat -f`).
fn free_space(path: &Path) -> (u64, u64) {
    let output = Command::new("stat")
        .args(["-f", "-c", "%a %S"])
        .arg(path)
        .output()
        .expect("stat runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .split_whitespace()
        .map(|n| n.parse::<u64>().expect("a number"));
    let (blocks, size) = (
        numbers.next().expect("blocks"),
        numbers.next().expect("size"),
    );
    (blocks * size, size)
}

#[test]
fn charts_and_report_on_a_full_disk_keep_every_previous_output() -> TestResult {
    let dir = temp_dir();
    // The warehouses live outside the small filesystem, the outputs inside:
    // those of w.duckdb first, then those of w2.duckdb (other data, so every
    // new chart differs from the old one) on a full disk.
    for (users, name) in [("300", "w.duckdb"), ("400", "w2.duckdb")] {
        run_ok(
            dir.path(),
            &["--quiet", "run", "--users", users, "--warehouse", name],
        );
    }
    let mount = dir.path().join("small");
    std::fs::create_dir_all(&mount)?;
    // One set of outputs (about 6 MB) fits, a second one beside it does not.
    if !mount_tmpfs(&mount, "9m") {
        return Ok(());
    }
    let result = fill_with_outputs(dir.path(), &mount);
    let _ = Command::new("umount").arg(&mount).status();
    result
}

fn fill_with_outputs(dir: &Path, mount: &Path) -> TestResult {
    let out = mount.join("reports");
    let out_arg = out.display().to_string();
    let first = |command: &'static str| [command, "--warehouse", "w.duckdb", "--out", &out_arg];
    let args = |command: &'static str| [command, "--warehouse", "w2.duckdb", "--out", &out_arg];
    run_ok(dir, &first("charts"));
    run_ok(dir, &first("report"));
    let before = tree_digests(&out);
    assert!(
        before
            .iter()
            .any(|(name, _)| name == "charts/north_star.png"),
        "{before:?}"
    );

    // charts: 1 MB left, room for the small files but not for the 1.3 MB
    // dashboard; writing file by file would replace some charts and then fail.
    let (free, _) = free_space(mount);
    std::fs::write(mount.join("filler"), vec![0u8; (free - (1 << 20)) as usize])?;
    let output = run_in(dir, &args("charts"));
    std::fs::remove_file(mount.join("filler"))?;
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.to_lowercase().contains("space"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert_eq!(
        tree_digests(&out),
        before,
        "charts left a mix of old and new"
    );
    assert!(
        leftovers(&out).is_empty()
            && !std::fs::read_dir(&out)?
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".charts")),
        "{:?}",
        leftovers(&out)
    );

    // report: room for a new report.txt but not for summary.json too.
    let report_len = std::fs::metadata(out.join("report.txt"))?.len();
    let (free, block) = free_space(mount);
    let keep = report_len.div_ceil(block) * block;
    std::fs::write(mount.join("filler"), vec![0u8; (free - keep) as usize])?;
    let output = run_in(dir, &args("report"));
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.to_lowercase().contains("space"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert_eq!(
        tree_digests(&out),
        before,
        "report left a mix of old and new"
    );
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    std::fs::remove_file(mount.join("filler"))?;

    // With room again (the new charts need space beside the old ones until
    // the swap, so the old ones go first here), both write new outputs.
    run_ok(dir, &args("report"));
    std::fs::remove_dir_all(out.join("charts"))?;
    run_ok(dir, &args("charts"));
    let after = tree_digests(&out);
    let changed = |name: &str| {
        let find = |tree: &[(String, String)]| tree.iter().find(|(n, _)| n == name).cloned();
        find(&after) != find(&before)
    };
    for name in [
        "report.txt",
        "summary.json",
        "dashboard.html",
        "charts/north_star.png",
    ] {
        assert!(changed(name), "{name} was not rewritten");
    }
    Ok(())
}

#[test]
fn a_reader_holding_the_file_keeps_a_consistent_snapshot_while_a_run_replaces_it() -> TestResult {
    let dir = temp_dir();
    let path = dir.path().join("w.duckdb");
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "700",
            "--warehouse",
            "w.duckdb",
        ],
    );
    // An analyst's client with the warehouse open read-only.
    let reader = open(&path);
    let count = |conn: &duckdb::Connection| -> Result<(i64, i64), duckdb::Error> {
        conn.query_row(
            "select (select count(*) from raw.users), (select sum(users) from analytics.funnel_stages where stage_order = 2)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
    };
    let before = count(&reader)?;
    run_ok(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "1200",
            "--warehouse",
            "w.duckdb",
        ],
    );
    // The open client still sees the old warehouse, whole: never a mix.
    assert_eq!(count(&reader)?, before);
    assert_eq!(before.0, 700);
    drop(reader);
    let after = count(&open(&path))?;
    assert_eq!(after.0, 1200);
    assert_ne!(after.1, before.1);
    Ok(())
}
