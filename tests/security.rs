//! Data loss and security: query files that try to do more than one
//! select, a SQL client writing while a run builds, exports that would
//! delete what is not theirs, `--force` on what is not a regular file.
//! Each bad input: a non-zero exit code, one error line naming the file or
//! flag, and the previous warehouse byte-for-byte untouched.

use std::path::Path;
use std::process::Output;

use crate::common::{existing_warehouse, file_digest, open, run_in, run_ok, stderr, TestResult};

const HEADER: &str =
    "-- name: NAME\n-- version: 1\n-- depends:\n-- grain: one row\n-- description: test\n";

/// Writes `q/<relative>` with a header naming it `name` and `body` below.
fn query_file(dir: &Path, relative: &str, name: &str, body: &str) {
    let path = dir.join("q").join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("query dir");
    std::fs::write(path, format!("{}{body}\n", HEADER.replace("NAME", name))).expect("query file");
}

fn error_lines(message: &str) -> usize {
    message
        .lines()
        .filter(|line| line.starts_with("error"))
        .count()
}

fn assert_refused(output: &Output, code: i32, needles: &[&str]) -> String {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "expected '{needle}' in: {message}"
        );
    }
    assert_eq!(error_lines(&message), 1, "one error line: {message}");
    message
}

#[test]
fn a_query_or_check_file_must_be_one_select_and_reaches_nothing_outside() -> TestResult {
    let (dir, digest) = existing_warehouse(300);
    let dir = dir.path();
    let other = dir.join("other.duckdb");
    duckdb::Connection::open(&other)?.execute_batch("create table precious as select 1 as x")?;
    let other_digest = file_digest(&other);
    let cases: [(&str, &str); 9] = [
        (
            "staging/evil.sql",
            "select 1 as x; drop table raw.users; create table raw.users as select 1 as user_id",
        ),
        ("staging/evil.sql", "select 1 as x;\nselect 2 as y"),
        ("staging/evil.sql", "attach 'other.duckdb' as other"),
        (
            "staging/evil.sql",
            "copy (select full_name, email from raw.users) to 'leak.csv'",
        ),
        ("staging/evil.sql", "drop table raw.users"),
        ("staging/evil.sql", "set enable_external_access = true"),
        (
            "staging/evil.sql",
            "with gone as (delete from raw.users returning *) select * from gone",
        ),
        // A check is wrapped in `select count(*) from (...)`: a closing
        // parenthesis must not let the rest run as statements of their own.
        (
            "checks/check_evil.sql",
            "select 1 as x where false) as o; drop table raw.users; select * from (select 1 as x",
        ),
        (
            "checks/check_evil.sql",
            "select 1 as x where false) as o; copy raw.users to 'leak.csv'; select * from (select 1 as x",
        ),
    ];
    for (relative, body) in cases {
        let _ = std::fs::remove_dir_all(dir.join("q"));
        let name = Path::new(relative)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("evil");
        query_file(dir, relative, name, body);
        for args in [
            &["query", "--queries", "q", "--warehouse", "w.duckdb"][..],
            &[
                "run",
                "--users",
                "50",
                "--queries",
                "q",
                "--warehouse",
                "w.duckdb",
                "--force",
            ][..],
            // refused before connecting: nothing listens on port 1
            &[
                "query",
                "--engine",
                "postgres",
                "--queries",
                "q",
                "--database-url",
                "postgres://analyst@127.0.0.1:1/wh",
            ][..],
            // the bundle would hand the file to psql, which runs every statement
            &[
                "export",
                "postgres",
                "--queries",
                "q",
                "--out",
                "bundle",
                "--warehouse",
                "w.duckdb",
            ][..],
        ] {
            let output = run_in(dir, args);
            assert_refused(
                &output,
                1,
                &[relative, "must be exactly one read-only SELECT"],
            );
            assert_eq!(file_digest(&dir.join("w.duckdb")), digest, "{body}");
        }
        assert!(!dir.join("leak.csv").exists(), "{body}");
        assert!(!dir.join("bundle").exists(), "{body}");
        assert_eq!(file_digest(&other), other_digest, "{body}");
    }

    // One select that reaches for a file: the query stage has no external access.
    std::fs::write(dir.join("secret.csv"), "a,b\n1,2\n")?;
    for body in [
        "select * from read_csv('secret.csv')",
        "select * from read_text('other.duckdb')",
        "select count(*) as n from glob('*')",
    ] {
        let _ = std::fs::remove_dir_all(dir.join("q"));
        query_file(dir, "staging/reader.sql", "reader", body);
        let output = run_in(dir, &["query", "--queries", "q", "--warehouse", "w.duckdb"]);
        assert_refused(&output, 1, &["staging/reader.sql", "reader"]);
        assert_eq!(file_digest(&dir.join("w.duckdb")), digest, "{body}");
    }

    // A file name is written into the bundle's psql scripts as a comment: a
    // line break in it would start a psql command of its own.
    let _ = std::fs::remove_dir_all(dir.join("q"));
    query_file(
        dir,
        "staging/x\n\\! touch pwned\n.sql",
        "named",
        "select 1 as x",
    );
    let output = run_in(
        dir,
        &[
            "export",
            "postgres",
            "--queries",
            "q",
            "--out",
            "bundle",
            "--warehouse",
            "w.duckdb",
        ],
    );
    assert_refused(&output, 1, &["control characters", "staging/x\\n"]);
    assert!(!dir.join("bundle").exists());
    assert!(!dir.join("pwned").exists());

    // WITH ... SELECT, UNION, DuckDB's FROM-first and a check are selects.
    let _ = std::fs::remove_dir_all(dir.join("q"));
    query_file(
        dir,
        "staging/good.sql",
        "good",
        "with counted as (select count(*) as n from raw.users)\nselect n from counted\nunion all\nselect 1;",
    );
    query_file(
        dir,
        "staging/first.sql",
        "first",
        "from raw.users select user_id",
    );
    query_file(
        dir,
        "checks/check_good.sql",
        "check_good",
        "select user_id from raw.users where user_id is null",
    );
    run_ok(dir, &["query", "--queries", "q", "--warehouse", "w.duckdb"]);
    let users: i64 =
        open(&dir.join("w.duckdb"))
            .query_row("select count(*) from raw.users", [], |row| row.get(0))?;
    assert_eq!(users, 300);
    Ok(())
}

#[test]
fn a_sql_client_writing_during_a_run_keeps_its_work() -> TestResult {
    let (dir, _) = existing_warehouse(300);
    let dir = dir.path();
    let warehouse = dir.join("w.duckdb");
    // Long enough for the client to open, write and close meanwhile.
    query_file(
        dir,
        "staging/slow.sql",
        "slow",
        "select count(*) as n from range(4000) as a, range(4000) as b, range(4) as c \
         where (a.range * 31 + b.range * 7 + c.range) % 1000003 = 5",
    );
    let child = crate::common::northstar()
        .args(["query", "--queries", "q", "--warehouse", "w.duckdb"])
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let temp = dir.join(format!(".w.duckdb.tmp-{}", child.id()));
    let started = std::time::Instant::now();
    while !temp.exists() {
        assert!(
            started.elapsed().as_secs() < 30,
            "the run never started building"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The client commits a table of its own while the run builds.
    let mut written = false;
    while !written {
        assert!(
            started.elapsed().as_secs() < 30,
            "the client never got the file"
        );
        match duckdb::Connection::open(&warehouse) {
            Ok(client) => {
                client.execute_batch("create table main.client_notes as select 42 as answer")?;
                drop(client);
                written = true;
            }
            // northstar's read-only look at the file holds it for a moment
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    let client_digest = file_digest(&warehouse);
    let output = child.wait_with_output()?;
    let message = assert_refused(
        &output,
        1,
        &[
            "w.duckdb' was modified by another process during this run",
            "the new build was kept at",
        ],
    );
    // The client's work is where it wrote it, untouched.
    assert_eq!(file_digest(&warehouse), client_digest);
    let answer: i64 =
        open(&warehouse).query_row("select answer from main.client_notes", [], |row| row.get(0))?;
    assert_eq!(answer, 42);
    // The new build is where the message says, complete.
    let kept = message
        .split("kept at '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .ok_or("the message names the kept build")?;
    let kept = dir.join(kept);
    let rows: i64 =
        open(&kept).query_row("select count(*) from analytics.slow", [], |row| row.get(0))?;
    assert_eq!(rows, 1);
    assert!(!temp.exists(), "temporary file left");
    Ok(())
}

/// Files under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(
                    path.strip_prefix(dir)
                        .expect("inside")
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    files.sort();
    files
}

#[test]
fn an_export_replaces_only_what_the_previous_export_wrote() -> TestResult {
    let (dir, digest) = existing_warehouse(300);
    let dir = dir.path();
    for (kind, out, sample) in [
        ("parquet", "pq", "raw/users.parquet"),
        ("postgres", "bundle", "schema.sql"),
    ] {
        let export = |warehouse: &str| {
            run_in(
                dir,
                &["export", kind, "--warehouse", warehouse, "--out", out],
            )
        };
        let out_dir = dir.join(out);
        assert!(export("w.duckdb").status.success());
        let first = listing(&out_dir);
        assert!(first.contains(&sample.to_string()), "{first:?}");
        assert!(
            first.contains(&".northstar-export".to_string()),
            "{first:?}"
        );

        // The user's files in an export directory survive the next export.
        std::fs::write(out_dir.join("notes.md"), "my notes")?;
        std::fs::create_dir_all(out_dir.join("mine"))?;
        std::fs::write(out_dir.join("mine/keep.txt"), "keep")?;
        // A file the previous export wrote and the next does not is removed.
        let mut manifest = std::fs::read_to_string(out_dir.join(".northstar-export"))?;
        std::fs::create_dir_all(out_dir.join("old"))?;
        std::fs::write(out_dir.join("old/stale.csv"), "stale")?;
        manifest.push_str("old/stale.csv\n../victim.txt\n/etc/hostname\n");
        std::fs::write(out_dir.join(".northstar-export"), &manifest)?;
        std::fs::write(dir.join("victim.txt"), "outside")?;
        let output = export("w.duckdb");
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(
            std::fs::read_to_string(out_dir.join("notes.md"))?,
            "my notes"
        );
        assert_eq!(
            std::fs::read_to_string(out_dir.join("mine/keep.txt"))?,
            "keep"
        );
        assert!(!out_dir.join("old").exists(), "stale export file left");
        assert_eq!(std::fs::read_to_string(dir.join("victim.txt"))?, "outside");
        let mut second = listing(&out_dir);
        second.retain(|file| file != "notes.md" && file != "mine/keep.txt");
        assert_eq!(second, first);

        // The warehouse being exported may not lie inside --out.
        std::fs::rename(dir.join("w.duckdb"), out_dir.join("w.duckdb"))?;
        let inside = format!("{out}/w.duckdb");
        assert_refused(&export(&inside), 2, &["lies inside --out", out]);
        assert_eq!(file_digest(&out_dir.join("w.duckdb")), digest);
        std::fs::rename(out_dir.join("w.duckdb"), dir.join("w.duckdb"))?;

        // A file of the new export may not land on one the previous did not write.
        let manifest = std::fs::read_to_string(out_dir.join(".northstar-export"))?;
        let without: String = manifest
            .lines()
            .filter(|line| *line != sample)
            .map(|line| format!("{line}\n"))
            .collect();
        std::fs::write(out_dir.join(".northstar-export"), without)?;
        std::fs::write(out_dir.join(sample), "the user's own")?;
        assert_refused(&export("w.duckdb"), 2, &["is in the way", sample]);
        assert_eq!(
            std::fs::read_to_string(out_dir.join(sample))?,
            "the user's own"
        );
        assert_eq!(
            std::fs::read_to_string(out_dir.join("notes.md"))?,
            "my notes"
        );

        // A directory that no export wrote is refused whole.
        std::fs::create_dir_all(dir.join("theirs"))?;
        std::fs::write(dir.join("theirs/file.txt"), "theirs")?;
        let output = run_in(
            dir,
            &["export", kind, "--warehouse", "w.duckdb", "--out", "theirs"],
        );
        assert_refused(&output, 2, &["is not a northstar export"]);
        assert_eq!(listing(&dir.join("theirs")), vec!["file.txt".to_string()]);
    }
    assert_eq!(file_digest(&dir.join("w.duckdb")), digest);
    Ok(())
}

#[test]
fn force_never_replaces_what_is_not_a_regular_file() -> TestResult {
    use std::os::unix::fs::FileTypeExt;
    let (dir, digest) = existing_warehouse(300);
    let dir = dir.path();
    std::fs::create_dir(dir.join("folder.duckdb"))?;
    let mut nodes = vec![("folder.duckdb", "is a directory")];
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe.duckdb"))
        .status()?;
    assert!(fifo.success(), "mkfifo");
    nodes.push(("pipe.duckdb", "is a FIFO"));
    // A device node (only root may make one): what `--warehouse /dev/null` is.
    let device = std::process::Command::new("mknod")
        .arg(dir.join("null.duckdb"))
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if device {
        nodes.push(("null.duckdb", "is a character device"));
    } else {
        eprintln!("not root: the device-node case is skipped");
    }
    std::os::unix::fs::symlink("folder.duckdb", dir.join("to-folder.duckdb"))?;
    nodes.push(("to-folder.duckdb", "is a symbolic link to a directory"));
    for (name, kind) in nodes {
        let before = std::fs::symlink_metadata(dir.join(name))?.file_type();
        for command in ["generate", "run"] {
            let output = run_in(
                dir,
                &[command, "--force", "--users", "20", "--warehouse", name],
            );
            assert_refused(&output, 2, &[name, kind, "not a regular file"]);
        }
        let output = run_in(dir, &["query", "--warehouse", name]);
        assert_refused(&output, 2, &[name, kind]);
        let after = std::fs::symlink_metadata(dir.join(name))?.file_type();
        assert_eq!(before.is_fifo(), after.is_fifo(), "{name}");
        assert_eq!(before.is_char_device(), after.is_char_device(), "{name}");
        assert_eq!(before.is_dir(), after.is_dir(), "{name}");
        assert_eq!(before.is_symlink(), after.is_symlink(), "{name}");
    }
    assert_eq!(file_digest(&dir.join("w.duckdb")), digest);

    // The lock file beside the warehouse is never written through a link.
    std::fs::write(dir.join("victim.txt"), "precious")?;
    std::os::unix::fs::symlink("victim.txt", dir.join("w.duckdb.lock"))?;
    let output = run_in(
        dir,
        &[
            "generate",
            "--force",
            "--users",
            "20",
            "--warehouse",
            "w.duckdb",
        ],
    );
    assert_refused(&output, 2, &["w.duckdb.lock", "is a symbolic link"]);
    assert_eq!(std::fs::read_to_string(dir.join("victim.txt"))?, "precious");
    assert_eq!(file_digest(&dir.join("w.duckdb")), digest);
    std::fs::remove_file(dir.join("w.duckdb.lock"))?;

    // A symbolic link to a warehouse: the file it points to is rebuilt, the
    // link stays a link.
    std::fs::create_dir(dir.join("real"))?;
    std::fs::rename(dir.join("w.duckdb"), dir.join("real/w.duckdb"))?;
    std::os::unix::fs::symlink("real/w.duckdb", dir.join("link.duckdb"))?;
    for force in [false, true] {
        let mut args = vec!["generate", "--users", "40", "--warehouse", "link.duckdb"];
        if force {
            args.push("--force");
        }
        run_ok(dir, &args);
        assert!(std::fs::symlink_metadata(dir.join("link.duckdb"))?
            .file_type()
            .is_symlink());
        let users: i64 = open(&dir.join("real/w.duckdb")).query_row(
            "select count(*) from raw.users",
            [],
            |row| row.get(0),
        )?;
        assert_eq!(users, 40);
    }
    run_ok(dir, &["query", "--warehouse", "link.duckdb"]);
    assert!(std::fs::symlink_metadata(dir.join("link.duckdb"))?
        .file_type()
        .is_symlink());
    let leftovers: Vec<String> = std::fs::read_dir(dir.join("real"))?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "w.duckdb")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    Ok(())
}
