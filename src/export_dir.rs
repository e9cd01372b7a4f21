//! The output directory of an export (`export parquet`, `export postgres`).
//!
//! An export is written into a temporary directory beside `--out` and then
//! published. `--out` may hold more than the export: a user's notes, or
//! anything they moved there since. So an export records every file it wrote
//! in a manifest, `<out>/.northstar-export`, and the next export replaces
//! exactly those files and nothing else. A directory without a manifest
//! must be empty, a file of the new export may not land on a file the
//! previous one did not write, and the warehouse being exported may not lie
//! inside `--out`.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The manifest: comment lines, then one path (relative to `--out`, `/`
/// separators) per line for every file the export wrote.
pub const MANIFEST: &str = ".northstar-export";

/// Errors about `--out`; each names the path.
#[derive(Debug, thiserror::Error)]
pub enum ExportDirError {
    #[error("'{0}' exists and is not a northstar export (not empty, no {MANIFEST} manifest); choose another --out or remove it")]
    NotAnExport(PathBuf),
    #[error("--out '{0}' is not a directory; choose another --out")]
    NotADirectory(PathBuf),
    #[error("the warehouse '{warehouse}' lies inside --out '{out}'; choose an --out that does not hold it")]
    WarehouseInside { warehouse: PathBuf, out: PathBuf },
    #[error("'{0}' is in the way and was not written by the previous export (it is not in {MANIFEST}); move it away or choose another --out")]
    InTheWay(PathBuf),
    #[error("unable to write '{path}'")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ExportDirError {
    /// A bad `--out` (exit code 2) rather than a failure to write.
    pub fn is_usage(&self) -> bool {
        !matches!(self, Self::Io { .. })
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportDirError {
    let path = path.to_path_buf();
    move |source| ExportDirError::Io { path, source }
}

/// Checks `out` before anything is written: it is absent, an empty
/// directory, or a directory with a manifest, and does not hold `warehouse`.
///
/// # Errors
/// See [`ExportDirError`].
pub fn check(out: &Path, warehouse: &Path) -> Result<(), ExportDirError> {
    if std::fs::symlink_metadata(out).is_err() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(ExportDirError::NotADirectory(out.to_path_buf()));
    }
    if let (Ok(out_real), Ok(warehouse_real)) = (out.canonicalize(), warehouse.canonicalize()) {
        if warehouse_real.starts_with(&out_real) {
            return Err(ExportDirError::WarehouseInside {
                warehouse: warehouse.to_path_buf(),
                out: out.to_path_buf(),
            });
        }
    }
    if out.join(MANIFEST).is_file() {
        return Ok(());
    }
    let empty = std::fs::read_dir(out)
        .map(|mut entries| entries.next().is_none())
        .map_err(io(out))?;
    if empty {
        Ok(())
    } else {
        Err(ExportDirError::NotAnExport(out.to_path_buf()))
    }
}

/// A fresh temporary directory beside `out` (`.<name>.tmp-<pid>`), removed
/// when the returned guard is dropped.
///
/// # Errors
/// The parent directory cannot be created or written.
pub fn staging(out: &Path) -> Result<Staging, ExportDirError> {
    // `--out .` has no name of its own: use the real path's.
    let real = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
    let parent = match real.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let path = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).map_err(io(&path))?;
    Ok(Staging { path })
}

/// The temporary directory of an export; removed when dropped.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
}

impl Staging {
    /// Where to write the export's files.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the staged files into `out`: a new `out` is the staging
    /// directory renamed; an existing one loses the files its manifest lists
    /// and gains the new ones, and everything else in it stays. `header` is
    /// the manifest's first comment line.
    ///
    /// # Errors
    /// `out` changed since [`check`], a new file would land on one the
    /// previous export did not write, or a file cannot be moved.
    pub fn publish(self, out: &Path, header: &str) -> Result<(), ExportDirError> {
        let new = relative_files(&self.path)?;
        let manifest = manifest_text(header, &new);
        if std::fs::symlink_metadata(out).is_err() {
            std::fs::write(self.path.join(MANIFEST), &manifest)
                .map_err(io(&self.path.join(MANIFEST)))?;
            std::fs::rename(&self.path, out).map_err(io(out))?;
            return Ok(());
        }
        let previous = previous_files(out, &new)?;
        // Nothing moves until every new file has a free place.
        for relative in &new {
            let mut place = out.to_path_buf();
            let components: Vec<&str> = relative.split('/').collect();
            for (index, component) in components.iter().enumerate() {
                place.push(component);
                let last = index + 1 == components.len();
                match std::fs::symlink_metadata(&place) {
                    Err(_) => break,
                    Ok(meta) if !last && meta.is_dir() => {}
                    Ok(_) if last && previous.contains(relative) => {}
                    Ok(_) => return Err(ExportDirError::InTheWay(place)),
                }
            }
        }
        for relative in &previous {
            if let Some(path) = inside(out, relative) {
                if std::fs::symlink_metadata(&path).is_ok_and(|meta| !meta.is_dir()) {
                    std::fs::remove_file(&path).map_err(io(&path))?;
                }
            }
        }
        for relative in &new {
            let from = self.path.join(relative);
            let to = out.join(relative);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::rename(&from, &to).map_err(io(&to))?;
        }
        // Directories the previous export made and that are now empty.
        let mut dirs: Vec<PathBuf> = previous
            .iter()
            .filter_map(|relative| inside(out, relative))
            .flat_map(|path| {
                path.ancestors()
                    .skip(1)
                    .take_while(|dir| *dir != out)
                    .map(Path::to_path_buf)
                    .collect::<Vec<_>>()
            })
            .collect();
        dirs.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
        dirs.dedup();
        for dir in dirs {
            let _ = std::fs::remove_dir(dir);
        }
        let manifest_path = out.join(MANIFEST);
        crate::write_files_atomically(&[(manifest_path.as_path(), manifest.as_bytes())])
            .map_err(|(path, source)| io(&path)(source))?;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn manifest_text(header: &str, files: &BTreeSet<String>) -> String {
    let mut text = format!(
        "# {header}\n# The files below were written by this export; the next export replaces them and leaves anything else here alone.\n"
    );
    for file in files {
        text.push_str(file);
        text.push('\n');
    }
    text
}

/// The files the previous export in `out` wrote, from its manifest. An
/// empty directory has none; a manifest of an older northstar that lists no
/// files stands for the files of the new export (they replace their
/// namesakes; nothing else is removed).
fn previous_files(out: &Path, new: &BTreeSet<String>) -> Result<BTreeSet<String>, ExportDirError> {
    let path = out.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            let empty = std::fs::read_dir(out)
                .map(|mut entries| entries.next().is_none())
                .map_err(io(out))?;
            return if empty {
                Ok(BTreeSet::new())
            } else {
                Err(ExportDirError::NotAnExport(out.to_path_buf()))
            };
        }
    };
    let listed: BTreeSet<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| is_plain_relative(line))
        .map(str::to_string)
        .collect();
    if listed.is_empty() {
        return Ok(new.clone());
    }
    Ok(listed)
}

/// A relative path of plain names: no root, no `..`, no `.`.
fn is_plain_relative(relative: &str) -> bool {
    let path = Path::new(relative);
    !relative.is_empty()
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
}

/// `out/relative` when every directory on the way is a real directory (not
/// a symbolic link): a manifest entry never reaches outside `out`.
fn inside(out: &Path, relative: &str) -> Option<PathBuf> {
    if !is_plain_relative(relative) {
        return None;
    }
    let mut path = out.to_path_buf();
    let components: Vec<&str> = relative.split('/').collect();
    for (index, component) in components.iter().enumerate() {
        path.push(component);
        if index + 1 < components.len() {
            let meta = std::fs::symlink_metadata(&path).ok()?;
            if !meta.is_dir() {
                return None;
            }
        }
    }
    Some(path)
}

/// Every file under `root`, as `/`-separated paths relative to it.
fn relative_files(root: &Path) -> Result<BTreeSet<String>, ExportDirError> {
    let mut files = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            if entry.file_type().map_err(io(&path))?.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                let relative: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let relative = relative.join("/");
                if relative != MANIFEST {
                    files.insert(relative);
                }
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_entries_never_leave_the_directory() {
        assert!(is_plain_relative("raw/users.parquet"));
        assert!(!is_plain_relative("../x"));
        assert!(!is_plain_relative("/etc/passwd"));
        assert!(!is_plain_relative("raw/../../x"));
        assert!(!is_plain_relative("./x"));
        assert!(!is_plain_relative(""));
    }
}
