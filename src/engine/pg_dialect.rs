//! PostgreSQL's dialect, used by the PostgreSQL engine and the PostgreSQL
//! export bundle: DuckDB types mapped to PostgreSQL types, table DDL with
//! comments, and the statements that wrap a query file (the file's text
//! itself is never changed).

use std::fmt::Write as _;

use crate::export::{ExportError, Table};
use crate::queries::QueryFile;

/// The PostgreSQL type for a DuckDB type name, or None when there is none
/// we rely on.
pub fn pg_type(duckdb_type: &str) -> Option<String> {
    let upper = duckdb_type.trim().to_ascii_uppercase();
    let mapped = match upper.as_str() {
        "VARCHAR" | "TEXT" | "STRING" => "text",
        "DOUBLE" | "FLOAT8" => "double precision",
        "FLOAT" | "REAL" | "FLOAT4" => "real",
        "BIGINT" | "INT8" => "bigint",
        "INTEGER" | "INT4" | "INT" => "integer",
        "SMALLINT" | "INT2" | "TINYINT" | "UTINYINT" => "smallint",
        "USMALLINT" => "integer",
        "UINTEGER" => "bigint",
        "UBIGINT" => "numeric(20,0)",
        "HUGEINT" | "INT128" => "numeric(38,0)",
        "UHUGEINT" => "numeric(39,0)",
        "BOOLEAN" | "BOOL" => "boolean",
        "DATE" => "date",
        "TIME" => "time",
        "TIMESTAMP" | "DATETIME" => "timestamp",
        "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ" => "timestamp with time zone",
        "INTERVAL" => "interval",
        "BLOB" | "BYTEA" => "bytea",
        "UUID" => "uuid",
        _ => {
            // DECIMAL(p,s) keeps its precision and scale.
            let inner = upper.strip_prefix("DECIMAL(")?.strip_suffix(')')?;
            let (precision, scale) = inner.split_once(',')?;
            let precision: u32 = precision.trim().parse().ok()?;
            let scale: u32 = scale.trim().parse().ok()?;
            return Some(format!("numeric({precision},{scale})"));
        }
    };
    Some(mapped.to_string())
}

/// A SQL string literal.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `create table` (optionally `if not exists`) plus `comment on` statements
/// for `table`, in PostgreSQL's dialect.
///
/// # Errors
/// A column type without a PostgreSQL equivalent.
pub fn table_ddl(table: &Table, if_not_exists: bool) -> Result<String, ExportError> {
    let qualified = table.qualified();
    let mut columns = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let pg = pg_type(&column.duckdb_type).ok_or_else(|| ExportError::UnsupportedType {
            table: qualified.clone(),
            column: column.name.clone(),
            data_type: column.duckdb_type.clone(),
        })?;
        let not_null = if column.nullable { "" } else { " not null" };
        columns.push(format!("    {} {pg}{not_null}", column.name));
    }
    let mut ddl = format!(
        "create table {}{qualified} (\n{}\n);\n",
        if if_not_exists { "if not exists " } else { "" },
        columns.join(",\n")
    );
    if let Some(comment) = &table.comment {
        let _ = writeln!(
            ddl,
            "comment on table {qualified} is {};",
            quote_literal(comment)
        );
    }
    for column in &table.columns {
        if let Some(comment) = &column.comment {
            let _ = writeln!(
                ddl,
                "comment on column {qualified}.{} is {};",
                column.name,
                quote_literal(comment)
            );
        }
    }
    Ok(ddl)
}

/// The statement that materializes a query file on PostgreSQL: the file's
/// text, unmodified, after `create table analytics.<name> as `.
pub fn create_statement(file: &QueryFile) -> String {
    format!("create table analytics.{} as {}", file.name, file.text)
}

/// `comment on table analytics.<name>` for a query file.
pub fn comment_statement(file: &QueryFile) -> String {
    format!(
        "comment on table analytics.{} is {}",
        file.name,
        quote_literal(&file.table_comment())
    )
}

/// The check's text wrapped so it yields the offending rows.
pub fn offending_subquery(file: &QueryFile) -> String {
    format!("(\n{}\n) as offending", file.text)
}
