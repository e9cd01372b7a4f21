//! Where the query files come from: the copy embedded in the binary, or a
//! `--queries DIR` (every `<domain>/<name>.sql` below it).

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};

use super::guard::ensure_single_selects;
use super::{parse, QueryError, QueryFile};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/queries");

/// Reads query files from `dir`, or the embedded copy when `dir` is None.
///
/// # Errors
/// Unreadable files or invalid headers.
pub fn load(dir: Option<&Path>) -> Result<Vec<QueryFile>, QueryError> {
    let mut sources: Vec<(String, String)> = Vec::new();
    match dir {
        Some(dir) => {
            let problem = if !dir.exists() {
                Some("does not exist")
            } else if !dir.is_dir() {
                Some("is not a directory: pass the directory holding the query files (<domain>/<name>.sql)")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(QueryError::Directory {
                    path: dir.to_path_buf(),
                    problem,
                });
            }
            collect_dir(dir, dir, &mut sources)?;
            if sources.is_empty() {
                return Err(QueryError::Directory {
                    path: dir.to_path_buf(),
                    problem: "is empty: it holds no .sql query files",
                });
            }
        }
        None => collect_embedded(&EMBEDDED, &mut sources),
    }
    sources.sort();
    let files = sources
        .iter()
        .map(|(path, text)| parse(path, text))
        .collect::<Result<Vec<_>, _>>()?;
    if dir.is_some() {
        // A directory may come from someone else; the embedded files are
        // checked once by `embedded_queries_are_single_selects`.
        ensure_single_selects(&files)?;
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for file in &files {
        if let Some(first) = seen.insert(&file.name, &file.path) {
            return Err(QueryError::Duplicate {
                name: file.name.clone(),
                first: first.to_string(),
                second: file.path.clone(),
            });
        }
    }
    Ok(files)
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|ext| ext == "sql") {
            if let Some(text) = file.contents_utf8() {
                out.push((
                    file.path().to_string_lossy().replace('\\', "/"),
                    text.to_string(),
                ));
            }
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

fn collect_dir(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), QueryError> {
    let entries = std::fs::read_dir(dir).map_err(|source| QueryError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| QueryError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_dir(root, &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "sql") {
            let text = std::fs::read_to_string(&path).map_err(|source| QueryError::Read {
                path: path.clone(),
                source,
            })?;
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            // The path is written into comments (the PostgreSQL bundle's
            // psql scripts among them): a line break there would start a
            // line of its own.
            if relative.chars().any(char::is_control) {
                return Err(QueryError::Header {
                    path: relative.escape_default().to_string(),
                    line: 1,
                    message:
                        "a query file name may not contain control characters (a line break, a tab)"
                            .into(),
                });
            }
            out.push((relative, text));
        }
    }
    Ok(())
}
