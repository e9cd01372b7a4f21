//! Each query file must be exactly one read-only SELECT, decided by
//! DuckDB's own parser before anything runs.

use duckdb::Connection;

use super::{QueryError, QueryFile};

/// Refuses any file whose text is not exactly one SELECT statement (a `WITH
/// ... SELECT`, a `UNION` and DuckDB's `FROM`-first form are selects): a
/// query directory may come from someone else, and the runner wraps each
/// file in its own `create table ... as` or `select count(*) from (...)`.
/// DuckDB's own parser decides (`json_serialize_sql` serializes select
/// statements only), so a second statement after a `;`, a `drop`, `copy`,
/// `attach` or `set`, or a body that closes the wrapper's parenthesis (which
/// does not parse on its own) is refused before anything runs.
///
/// # Errors
/// [`QueryError::NotASelect`] naming the file.
pub(crate) fn ensure_single_selects(files: &[QueryFile]) -> Result<(), QueryError> {
    let conn = Connection::open_in_memory().map_err(QueryError::Connect)?;
    for file in files {
        ensure_single_select(&conn, file)?;
    }
    Ok(())
}

pub(crate) fn ensure_single_select(conn: &Connection, file: &QueryFile) -> Result<(), QueryError> {
    let refuse = |line: usize, found: String| QueryError::NotASelect {
        path: file.path.clone(),
        line,
        found: crate::one_line(&found),
    };
    let serialized: String = conn
        .query_row(
            "select cast(json_serialize_sql(cast(? as varchar)) as varchar)",
            [&file.text],
            |row| row.get(0),
        )
        .map_err(|err| refuse(file.body_line, format!("DuckDB cannot parse it ({err})")))?;
    let parsed: serde_json::Value = serde_json::from_str(&serialized)
        .map_err(|err| refuse(file.body_line, format!("unreadable parse result ({err})")))?;
    if parsed.get("error").and_then(serde_json::Value::as_bool) == Some(true) {
        let message = parsed
            .get("error_message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown error");
        let kind = parsed
            .get("error_type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        return Err(if message.contains("Only SELECT statements") {
            refuse(
                file.body_line,
                "it holds a statement that is not a SELECT (such as DROP, CREATE, INSERT, COPY, ATTACH, SET)".into(),
            )
        } else if kind.eq_ignore_ascii_case("parser") {
            // DuckDB gives the character offset of a syntax error.
            let line = parsed
                .get("position")
                .and_then(serde_json::Value::as_str)
                .and_then(|position| position.parse::<usize>().ok())
                .map_or(file.body_line, |position| {
                    let bytes = file.text.as_bytes();
                    let before = &bytes[..position.min(bytes.len())];
                    before.iter().filter(|byte| **byte == b'\n').count() + 1
                });
            refuse(line, format!("it does not parse on its own ({message})"))
        } else {
            refuse(file.body_line, message.to_string())
        });
    }
    let count = parsed
        .get("statements")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    if count != 1 {
        return Err(refuse(
            file.body_line,
            format!("it holds {count} statements"),
        ));
    }
    // A select can still hold a data-modifying part (`with gone as (delete
    // from raw.users returning *) select ...`, a subquery around an insert):
    // every query node in it must be a select, a set operation or a CTE.
    if let Some(node) = modifying_node(&parsed) {
        let what = match node.as_str() {
            "UPDATE_QUERY_NODE" => "an UPDATE".to_string(),
            "DELETE_QUERY_NODE" => "a DELETE".to_string(),
            "INSERT_QUERY_NODE" => "an INSERT".to_string(),
            "MERGE_QUERY_NODE" => "a MERGE".to_string(),
            "COPY_QUERY_NODE" => "a COPY".to_string(),
            other => format!("a statement that is not a SELECT ({other})"),
        };
        return Err(refuse(
            file.body_line,
            format!("it holds {what} inside the select (in a WITH or a subquery)"),
        ));
    }
    Ok(())
}

/// Query node types a read-only select is made of.
const READ_ONLY_NODES: [&str; 4] = [
    "SELECT_NODE",
    "SET_OPERATION_NODE",
    "RECURSIVE_CTE_NODE",
    "CTE_NODE",
];

/// The first query node in DuckDB's serialized parse tree that is not part
/// of a read-only select (an UPDATE, DELETE, INSERT, MERGE or COPY node,
/// or a statement node wrapping anything else).
fn modifying_node(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(kind)) = map.get("type") {
                if kind.ends_with("_NODE") && !READ_ONLY_NODES.contains(&kind.as_str()) {
                    return Some(kind.clone());
                }
            }
            map.values().find_map(modifying_node)
        }
        serde_json::Value::Array(items) => items.iter().find_map(modifying_node),
        _ => None,
    }
}
