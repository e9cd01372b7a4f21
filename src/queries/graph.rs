//! The dependency graph: files ordered after what they depend on, and the
//! `--only` selection with its dependencies.

use std::collections::{BTreeMap, BTreeSet};

use super::{QueryError, QueryFile};

/// Orders files so each comes after its dependencies (ties by path).
///
/// # Errors
/// An unknown dependency or a cycle.
pub fn order(files: &[QueryFile]) -> Result<Vec<QueryFile>, QueryError> {
    let by_name: BTreeMap<&str, &QueryFile> = files.iter().map(|f| (f.name.as_str(), f)).collect();
    for file in files {
        for dep in &file.depends {
            if !by_name.contains_key(dep.as_str()) {
                return Err(QueryError::UnknownDependency {
                    path: file.path.clone(),
                    line: file.depends_line,
                    dependency: dep.clone(),
                });
            }
        }
    }
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(files.len());
    let mut remaining: Vec<&QueryFile> = files.iter().collect();
    remaining.sort_by(|a, b| a.path.cmp(&b.path));
    while !remaining.is_empty() {
        let before = remaining.len();
        let mut index = 0;
        while index < remaining.len() {
            if remaining[index]
                .depends
                .iter()
                .all(|dep| done.contains(dep.as_str()))
            {
                let file = remaining.remove(index);
                done.insert(&file.name);
                ordered.push(file.clone());
                index = 0;
            } else {
                index += 1;
            }
        }
        if remaining.len() == before {
            let names: Vec<&str> = remaining.iter().map(|f| f.name.as_str()).collect();
            return Err(QueryError::Cycle(names.join(", ")));
        }
    }
    Ok(ordered)
}

/// Selects the files matching `pattern` (a name, or a glob with `*`) and
/// everything they depend on, in dependency order.
///
/// # Errors
/// Nothing matches.
pub fn select(ordered: &[QueryFile], pattern: &str) -> Result<Vec<QueryFile>, QueryError> {
    let by_name: BTreeMap<&str, &QueryFile> =
        ordered.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = ordered
        .iter()
        .filter(|f| glob_match(pattern, &f.name))
        .map(|f| f.name.clone())
        .collect();
    if stack.is_empty() {
        return Err(QueryError::NoMatch(pattern.to_string()));
    }
    while let Some(name) = stack.pop() {
        if wanted.insert(name.clone()) {
            if let Some(file) = by_name.get(name.as_str()) {
                stack.extend(file.depends.iter().cloned());
            }
        }
    }
    Ok(ordered
        .iter()
        .filter(|f| wanted.contains(&f.name))
        .cloned()
        .collect())
}

fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            match rest.strip_prefix(part) {
                Some(tail) => rest = tail,
                None => return false,
            }
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// How many files depend on file `index`, directly or through others.
pub(crate) fn transitive_dependents(dependents: &[Vec<usize>], index: usize) -> usize {
    let mut seen = BTreeSet::new();
    let mut stack = vec![index];
    while let Some(next) = stack.pop() {
        for &dependent in &dependents[next] {
            if seen.insert(dependent) {
                stack.push(dependent);
            }
        }
    }
    seen.len()
}
