//! Spark SQL's dialect, used by the Spark export bundle (`src/spark.rs`):
//! the three substitutions every query file gets on Spark, the portability
//! lint for the rest, and DuckDB types mapped to Spark types.
//!
//! The query files in `queries/` are the one source of truth; DuckDB and
//! PostgreSQL 15 run them as written. Spark SQL needs three substitutions
//! that no form accepted by all three engines avoids, and [`dialect`] makes
//! exactly these (outside string literals and comments):
//!
//! | query file | Spark |
//! | --- | --- |
//! | `double precision` | `double` (PostgreSQL rejects `double`, Spark rejects `float8`, `float` is 4 bytes in DuckDB) |
//! | `varchar` | `string` (Spark wants a length for `varchar`) |
//! | `extract(epoch from X)` | `(unix_micros(X) / 1e6)` |
//!
//! Everything else must already be portable: [`portability_problems`] finds
//! the constructs that are not (`generate_series`, `string_agg`, a `date -
//! date` not cast to integer, the type names the dialect cannot map), and the
//! lint test runs it on every query file.

/// A construct of a query file that not every engine accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file.
    pub line: usize,
    /// What was found and the portable form to use instead.
    pub message: String,
}

/// `sql` with string literals, quoted identifiers and `--` comments blanked
/// out (same byte length, so offsets agree with `sql`), lowercased.
fn code_only(sql: &str) -> Vec<u8> {
    let bytes = sql.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if b == b'\'' || b == b'"' {
            // the quotes stay, their contents become blanks ('' inside a literal
            // is an escaped quote and stays part of it)
            out.push(b);
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b {
                    if bytes.get(i + 1) == Some(&b) {
                        out.extend_from_slice(b"  ");
                        i += 2;
                        continue;
                    }
                    break;
                }
                out.push(if bytes[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
            if i < bytes.len() {
                out.push(b);
                i += 1;
            }
        } else {
            out.push(b.to_ascii_lowercase());
            i += 1;
        }
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Byte offsets of `word` in `code` as a whole word.
fn find_words(code: &[u8], word: &str) -> Vec<usize> {
    let word = word.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while start + word.len() <= code.len() {
        if &code[start..start + word.len()] == word
            && (start == 0 || !is_word(code[start - 1]))
            && !matches!(code.get(start + word.len()), Some(b) if is_word(*b))
        {
            found.push(start);
            start += word.len();
        } else {
            start += 1;
        }
    }
    found
}

fn skip_space(code: &[u8], mut at: usize) -> usize {
    while at < code.len() && code[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// If `code[at..]` starts with `text` (after optional whitespace), the offset
/// just past it.
fn after(code: &[u8], at: usize, text: &str) -> Option<usize> {
    let at = skip_space(code, at);
    let text = text.as_bytes();
    (code.len() >= at + text.len() && &code[at..at + text.len()] == text).then_some(at + text.len())
}

/// Offset of the `)` closing the `(` at `open`.
fn closing(code: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, b) in code.iter().enumerate().skip(open) {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(offset);
                }
            }
            _ => {}
        }
    }
    None
}

/// Offset of the `(` opening the `)` at `close`.
fn opening(code: &[u8], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    for offset in (0..=close).rev() {
        match code[offset] {
            b')' => depth += 1,
            b'(' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(offset);
                }
            }
            _ => {}
        }
    }
    None
}

/// The query file `sql` in Spark's dialect: `double precision` -> `double`,
/// `varchar` -> `string`, `extract(epoch from X)` -> `(unix_micros(X) / 1e6)`;
/// literals and comments are left as they are.
#[must_use]
pub fn dialect(sql: &str) -> String {
    let code = code_only(sql);
    // (start, end, replacement) over byte ranges of `sql`, applied back to front
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for start in find_words(&code, "double") {
        let end = start + "double".len();
        if let Some(past) = after(&code, end, "precision") {
            if !matches!(code.get(past), Some(b) if is_word(*b)) {
                edits.push((start, past, "double".into()));
            }
        }
    }
    for start in find_words(&code, "varchar") {
        edits.push((start, start + "varchar".len(), "string".into()));
    }
    for start in find_words(&code, "extract") {
        let Some(open) = after(&code, start + "extract".len(), "(").map(|p| p - 1) else {
            continue;
        };
        let Some(from) = after(&code, open + 1, "epoch").and_then(|p| after(&code, p, "from"))
        else {
            continue;
        };
        let Some(close) = closing(&code, open) else {
            continue;
        };
        let inner = dialect(sql[from..close].trim());
        edits.push((start, close + 1, format!("(unix_micros({inner}) / 1e6)")));
    }
    edits.sort_by_key(|edit| edit.0);
    // nested edits (a varchar inside an extract) were applied to the inner text
    // already: keep only outermost ones
    let mut kept: Vec<(usize, usize, String)> = Vec::new();
    for edit in edits {
        if kept.last().is_some_and(|last| edit.0 < last.1) {
            continue;
        }
        kept.push(edit);
    }
    let mut out = sql.to_string();
    for (start, end, replacement) in kept.into_iter().rev() {
        out.replace_range(start..end, &replacement);
    }
    out
}

/// Whether the operand ending just before `end` (exclusive) or starting at
/// `start` is a date: a column named `*date` or `*_at`, `cast(... as date)`,
/// or `min`/`max` of such a column. Returns the operand's byte range.
fn date_operand_before(code: &[u8], end: usize) -> Option<(usize, bool)> {
    let mut at = end;
    while at > 0 && code[at - 1].is_ascii_whitespace() {
        at -= 1;
    }
    if at == 0 {
        return None;
    }
    if code[at - 1] == b')' {
        let open = opening(code, at - 1)?;
        let mut name_start = open;
        while name_start > 0 && is_word(code[name_start - 1]) {
            name_start -= 1;
        }
        let name = &code[name_start..open];
        let inner = &code[open + 1..at - 1];
        let is_date = match name {
            b"cast" => trimmed_ends_with(inner, b"as date"),
            b"min" | b"max" => is_date_name(trim(inner)),
            _ => false,
        };
        return Some((name_start, is_date));
    }
    let mut start = at;
    while start > 0 && (is_word(code[start - 1]) || code[start - 1] == b'.') {
        start -= 1;
    }
    (start < at).then(|| (start, is_date_name(&code[start..at])))
}

fn date_operand_after(code: &[u8], start: usize) -> Option<(usize, bool)> {
    let at = skip_space(code, start);
    let mut end = at;
    while end < code.len() && (is_word(code[end]) || code[end] == b'.') {
        end += 1;
    }
    if end == at {
        return None;
    }
    if code.get(end) == Some(&b'(') {
        let close = closing(code, end)?;
        let inner = &code[end + 1..close];
        let is_date = match &code[at..end] {
            b"cast" => trimmed_ends_with(inner, b"as date"),
            b"min" | b"max" => is_date_name(trim(inner)),
            _ => false,
        };
        return Some((close + 1, is_date));
    }
    Some((end, is_date_name(&code[at..end])))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}

fn trimmed_ends_with(bytes: &[u8], suffix: &[u8]) -> bool {
    let words: Vec<&[u8]> = bytes
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let wanted: Vec<&[u8]> = suffix.split(|b| *b == b' ').collect();
    words.len() >= wanted.len() && words[words.len() - wanted.len()..] == wanted[..]
}

fn is_date_name(name: &[u8]) -> bool {
    let last = name.rsplit(|b| *b == b'.').next().unwrap_or(name);
    !last.is_empty()
        && last.iter().all(|b| is_word(*b))
        && (last.ends_with(b"date") || last.ends_with(b"_at"))
}

fn line_of(sql: &str, offset: usize) -> usize {
    sql.as_bytes()[..offset.min(sql.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Constructs of `sql` (a query file) that DuckDB, PostgreSQL 15 and Spark do
/// not all accept and that [`dialect`] does not map; empty when portable.
#[must_use]
pub fn portability_problems(sql: &str) -> Vec<Problem> {
    let code = code_only(sql);
    let mut problems = Vec::new();
    let mut flag = |offset: usize, message: &str| {
        problems.push(Problem {
            line: line_of(sql, offset),
            message: message.to_string(),
        });
    };
    for (word, message) in [
        (
            "generate_series",
            "generate_series (Spark has none): join config.numbers (n = 0..N) and filter n",
        ),
        (
            "string_agg",
            "string_agg (Spark has none, and its order by differs): a bounded max(case when rn = k then x end) concatenation",
        ),
        (
            "float",
            "float (4 bytes in DuckDB): cast(x as double precision)",
        ),
        ("float8", "float8 (Spark rejects it): double precision"),
        ("float4", "float4: double precision"),
        ("real", "real (4 bytes): double precision"),
        ("text", "the type text (Spark has none): varchar"),
        ("string", "the type string (PostgreSQL has none): varchar"),
        ("epoch", "epoch outside extract(epoch from x): extract(epoch from x)"),
        ("unix_micros", "unix_micros (Spark only): extract(epoch from x)"),
    ] {
        for start in find_words(&code, word) {
            if word == "epoch" {
                // extract(epoch from ...) is the one form the dialect maps
                let before = trim(&code[..start]);
                if before.ends_with(b"(")
                    && trim(&before[..before.len() - 1]).ends_with(b"extract")
                    && after(&code, start + word.len(), "from").is_some()
                {
                    continue;
                }
            }
            if ["text", "string", "real"].contains(&word) {
                // only as a type name: `as text`, not a column called text
                if !trim(&code[..start]).ends_with(b" as") {
                    continue;
                }
            }
            flag(start, message);
        }
    }
    if let Some(offset) = sql.find("${") {
        flag(
            offset,
            "${ (spark-sql substitutes variables there, even in comments): write it otherwise",
        );
    }
    for start in find_words(&code, "date_part") {
        let rest = sql[start..].to_ascii_lowercase();
        let rest: String = rest
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(18)
            .collect();
        if rest.starts_with("date_part('epoch'") {
            flag(start, "date_part('epoch', x): extract(epoch from x)");
        }
    }
    for start in find_words(&code, "double") {
        let past = start + "double".len();
        if !after(&code, past, "precision")
            .is_some_and(|p| !matches!(code.get(p), Some(b) if is_word(*b)))
        {
            flag(
                start,
                "double without precision (PostgreSQL rejects it): double precision",
            );
        }
    }
    for start in find_words(&code, "varchar") {
        if after(&code, start + "varchar".len(), "(").is_some() {
            flag(
                start,
                "varchar(n) (truncates on PostgreSQL, Spark pads): varchar",
            );
        }
    }
    // date - date: an interval on Spark, an integer elsewhere
    for (offset, b) in code.iter().enumerate() {
        if *b != b'-'
            || code.get(offset + 1) == Some(&b'-')
            || (offset > 0 && code[offset - 1] == b'-')
        {
            continue;
        }
        let (Some((left_start, left_date)), Some((right_end, right_date))) = (
            date_operand_before(&code, offset),
            date_operand_after(&code, offset + 1),
        ) else {
            continue;
        };
        if !(left_date && right_date) {
            continue;
        }
        let before = trim(&code[..left_start]);
        let wrapped = before.ends_with(b"(")
            && trim(&before[..before.len() - 1]).ends_with(b"cast")
            && (after(&code, right_end, "as integer").is_some()
                || after(&code, right_end, "as bigint").is_some());
        if !wrapped {
            flag(
                offset,
                "date - date (an INTERVAL on Spark): cast(d1 - d2 as integer)",
            );
        }
    }
    problems.sort_by_key(|problem| problem.line);
    problems
}

/// The Spark SQL type for a DuckDB type name, or None when there is none we
/// rely on.
#[must_use]
pub fn spark_type(duckdb_type: &str) -> Option<String> {
    let upper = duckdb_type.trim().to_ascii_uppercase();
    let mapped = match upper.as_str() {
        "VARCHAR" | "TEXT" | "STRING" => "string",
        "DOUBLE" | "FLOAT8" => "double",
        "FLOAT" | "REAL" | "FLOAT4" => "float",
        "BIGINT" | "INT8" => "bigint",
        "INTEGER" | "INT4" | "INT" => "int",
        "SMALLINT" | "INT2" => "smallint",
        "TINYINT" => "tinyint",
        "HUGEINT" | "INT128" => "decimal(38,0)",
        "BOOLEAN" | "BOOL" => "boolean",
        "DATE" => "date",
        "TIMESTAMP" | "DATETIME" => "timestamp",
        _ => {
            let inner = upper.strip_prefix("DECIMAL(")?.strip_suffix(')')?;
            let (precision, scale) = inner.split_once(',')?;
            let precision: u32 = precision.trim().parse().ok()?;
            let scale: u32 = scale.trim().parse().ok()?;
            return Some(format!("decimal({precision},{scale})"));
        }
    };
    Some(mapped.to_string())
}

/// A Spark SQL string literal (Spark reads backslash escapes in literals).
#[must_use]
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_maps_the_three_engine_specific_forms_only_in_code() {
        let sql = "select cast(a as double precision) as x, cast(b as varchar) as y, \
                   cast(extract(epoch from t.reached_at) as double precision) as z, \
                   'double precision varchar' as w -- varchar here stays\nfrom t";
        assert_eq!(
            dialect(sql),
            "select cast(a as double) as x, cast(b as string) as y, \
             cast((unix_micros(t.reached_at) / 1e6) as double) as z, \
             'double precision varchar' as w -- varchar here stays\nfrom t"
        );
        // nested parentheses in the timestamp and upper case
        assert_eq!(
            dialect("EXTRACT(EPOCH FROM cast(max(x) as timestamp))"),
            "(unix_micros(cast(max(x) as timestamp)) / 1e6)"
        );
        // a column named like a type is not a type
        assert_eq!(
            dialect("select varchar_count, doubled from t"),
            "select varchar_count, doubled from t"
        );
    }

    #[test]
    fn the_lint_finds_each_unportable_construct_with_its_line() {
        let cases = [
            (
                "select g from generate_series(1, 6) as s (g)",
                "generate_series",
            ),
            ("select string_agg(x, ', ' order by y) from t", "string_agg"),
            (
                "select cast(x as double) from t",
                "double without precision",
            ),
            ("select cast(x as float) from t", "float"),
            ("select cast(x as varchar(10)) from t", "varchar(n)"),
            ("select cast(x as text) from t", "text"),
            ("select date_part('epoch', t) from t", "date_part"),
            ("select a.end_date - a.start_date from a", "date - date"),
            (
                "select as_of_date - min(signup_date) - 29 from a",
                "date - date",
            ),
            (
                "select cast(x as date) - b.signup_date < 3 from a",
                "date - date",
            ),
            (
                "select cast(a.end_date - a.start_date as double precision) from a",
                "date - date",
            ),
        ];
        for (sql, needle) in cases {
            let problems = portability_problems(&format!("-- header\n{sql}"));
            assert_eq!(problems.len(), 1, "{sql}: {problems:?}");
            assert!(problems[0].message.contains(needle), "{sql}: {problems:?}");
            assert_eq!(problems[0].line, 2, "{sql}");
        }
    }

    #[test]
    fn the_lint_accepts_the_portable_forms() {
        for sql in [
            "select cast(a.end_date - a.start_date as integer) from a",
            "select cast(cast(x as date) - b.signup_date as integer) < 3 from a",
            "select cast(cast(as_of_date - min(signup_date) as integer) - 29 as double precision) from a",
            "select as_of_date - monetization_window_days + 1 from a",
            "select cast(extract(epoch from t) as double precision), cast(x as varchar) from a",
            "select text, string from a -- generate_series in a comment\n",
            "select 'generate_series and double and float' as note",
            "select p.period_start + numbers.n from p inner join config.numbers as numbers on numbers.n <= 3",
        ] {
            assert_eq!(portability_problems(sql), Vec::new(), "{sql}");
        }
    }
}
