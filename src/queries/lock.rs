//! `queries.lock`: name, version and body checksum of every query file; a
//! body that changes without a version bump is an error.

use std::collections::BTreeMap;
use std::path::Path;

use super::{load, QueryError, QueryFile};

/// Name of the lock file that pins name, version and checksum of every query.
pub const LOCK_FILE: &str = "queries.lock";

/// The lock file text for `files`: one `name version checksum` line each.
pub fn lock_text(files: &[QueryFile]) -> String {
    let mut lines: Vec<String> = files
        .iter()
        .map(|f| format!("{} {} {}", f.name, f.version, f.checksum))
        .collect();
    lines.sort();
    let mut text = String::from("# name version sha256(body): regenerate with `northstar lock`; a changed body needs a new version\n");
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// Compares `files` with a lock file's text. Returns the problems found:
/// a body changed without a version bump is an error; a new file or a bumped
/// version only needs the lock refreshed.
pub fn lock_problems(files: &[QueryFile], lock: &str) -> (Vec<String>, Vec<String>) {
    let mut locked: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
    for line in lock
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [name, version, checksum] = parts[..] {
            locked.insert(name, (version.parse().unwrap_or(0), checksum));
        }
    }
    let mut errors = Vec::new();
    let mut stale = Vec::new();
    for file in files {
        match locked.get(file.name.as_str()) {
            Some((version, checksum)) if *version == file.version && *checksum != file.checksum => {
                errors.push(format!(
                    "{}: the body of '{}' changed but its version is still {}; bump '-- version:'",
                    file.path, file.name, file.version
                ))
            }
            Some((version, _)) if *version > file.version => errors.push(format!(
                "{}: version of '{}' went down from {} to {}",
                file.path, file.name, version, file.version
            )),
            Some((version, checksum)) if *version == file.version && *checksum == file.checksum => {
            }
            Some(_) => stale.push(format!("{}: version bumped; refresh the lock", file.name)),
            None => stale.push(format!("{}: not in the lock yet", file.name)),
        }
    }
    for name in locked.keys() {
        if !files.iter().any(|f| f.name == *name) {
            stale.push(format!("{name}: in the lock but no file has that name"));
        }
    }
    (errors, stale)
}

/// Writes `queries/queries.lock` for the files in `dir`, refusing when a
/// body changed without a version bump.
///
/// # Errors
/// Read failures or changed bodies.
pub fn write_lock(dir: &Path) -> Result<usize, QueryError> {
    let files = load(Some(dir))?;
    let lock_path = dir.join(LOCK_FILE);
    let existing = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let (errors, _) = lock_problems(&files, &existing);
    if !errors.is_empty() {
        return Err(QueryError::Lock(errors.join("; ")));
    }
    std::fs::write(&lock_path, lock_text(&files)).map_err(|source| QueryError::Read {
        path: lock_path.clone(),
        source,
    })?;
    Ok(files.len())
}
