//! The one printing point's line for an error, and the exit code of each
//! error kind (0, 1, 2, 130).

use super::*;
use crate::config::ConfigError;
use crate::connectors;
use crate::export::ExportError;
use crate::generator::GenerateError;
use crate::interrupt;
use crate::parquet_export;
use crate::postgres;
use crate::queries::QueryError;
use crate::report;
use crate::warehouse::WarehouseError;

/// The one line printed for `err`, by `main` and nowhere else: the error and
/// each cause, separated by `": "`. Our error types never format their
/// `source` into their own message (the chain prints it), so each cause
/// appears once; a foreign error that repeats its cause's text is still
/// printed once. Whitespace (DuckDB's multi-line messages) collapses to
/// single spaces.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = crate::one_line(&cause.to_string());
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// True when the error is a closed stdout (`northstar list | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// What kind of failure an error is, and so the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitKind {
    /// Anything else: exit 1.
    Failure,
    /// A usage or configuration error (a flag, a file or directory given by
    /// the user, a template): exit 2.
    Usage,
    /// Ctrl-C: exit 130.
    Interrupted,
}

impl ExitKind {
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Failure => 1,
            ExitKind::Usage => EXIT_USAGE,
            ExitKind::Interrupted => EXIT_INTERRUPTED,
        }
    }
}

/// The exit kind of one error type; each of our error types says its own.
trait HasExitKind: std::error::Error + 'static {
    fn exit_kind(&self) -> ExitKind;
}

impl HasExitKind for ConfigError {
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

impl HasExitKind for GenerateError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            GenerateError::Interrupted => ExitKind::Interrupted,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for QueryError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            QueryError::Interrupted => ExitKind::Interrupted,
            QueryError::NoMatch(_) | QueryError::Directory { .. } => ExitKind::Usage,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for postgres::PgError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            postgres::PgError::Interrupted => ExitKind::Interrupted,
            postgres::PgError::Usage(_) | postgres::PgError::Url { .. } => ExitKind::Usage,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for connectors::ConnectorError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            connectors::ConnectorError::Interrupted => ExitKind::Interrupted,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for WarehouseError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            WarehouseError::Missing { .. }
            | WarehouseError::IsDirectory { .. }
            | WarehouseError::NotRegular { .. } => ExitKind::Usage,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for report::ReportError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            report::ReportError::Templates { .. } => ExitKind::Usage,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for ExportError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            ExportError::Warehouse(WarehouseError::Missing { .. }) => ExitKind::Usage,
            ExportError::Dir(dir) if dir.is_usage() => ExitKind::Usage,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for parquet_export::ParquetExportError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            parquet_export::ParquetExportError::Dir(dir) if dir.is_usage() => ExitKind::Usage,
            _ => ExitKind::Failure,
        }
    }
}

impl HasExitKind for crate::spark::SparkError {
    fn exit_kind(&self) -> ExitKind {
        if self.is_usage() {
            ExitKind::Usage
        } else {
            ExitKind::Failure
        }
    }
}

/// The exit kind `cause` declares, when it is one of our error types.
fn kind_of(cause: &(dyn std::error::Error + 'static)) -> Option<ExitKind> {
    fn of<E: HasExitKind>(cause: &(dyn std::error::Error + 'static)) -> Option<ExitKind> {
        cause.downcast_ref::<E>().map(E::exit_kind)
    }
    [
        of::<ConfigError>,
        of::<GenerateError>,
        of::<QueryError>,
        of::<postgres::PgError>,
        of::<connectors::ConnectorError>,
        of::<WarehouseError>,
        of::<report::ReportError>,
        of::<ExportError>,
        of::<parquet_export::ParquetExportError>,
        of::<crate::spark::SparkError>,
    ]
    .iter()
    .find_map(|kind| kind(cause))
}

/// Maps an error to the process exit code: the most specific kind any cause
/// declares (Ctrl-C 130 over usage 2 over failure 1).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if interrupt::requested() {
        return EXIT_INTERRUPTED;
    }
    err.chain()
        .filter_map(kind_of)
        .max()
        .unwrap_or(ExitKind::Failure)
        .code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_printed_once_on_one_line() {
        let io = std::io::Error::from_raw_os_error(21);
        let inner = WarehouseError::CreateDir {
            path: "blocker".into(),
            source: io,
        };
        let err = anyhow::Error::new(inner).context("unable to start\nthe run");
        let line = error_line(&err);
        assert_eq!(line.matches("os error 21").count(), 1, "{line}");
        assert!(
            line.starts_with(
                "unable to start the run: unable to create warehouse directory 'blocker': "
            ),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
        // A cause not already in the message is kept.
        let err = anyhow::Error::new(std::io::Error::from_raw_os_error(2)).context("reading 'x'");
        assert_eq!(
            error_line(&err),
            format!("reading 'x': {}", std::io::Error::from_raw_os_error(2))
        );
    }

    #[test]
    fn the_most_specific_kind_in_the_chain_sets_the_exit_code() {
        let plain = anyhow::Error::new(std::io::Error::from_raw_os_error(2));
        assert_eq!(exit_code(&plain), 1);
        let usage = anyhow::Error::new(QueryError::NoMatch("funnel*".into())).context("selecting");
        assert_eq!(exit_code(&usage), EXIT_USAGE);
        let interrupted =
            anyhow::Error::new(QueryError::Interrupted).context("running the queries");
        assert_eq!(exit_code(&interrupted), EXIT_INTERRUPTED);
        assert!(ExitKind::Interrupted > ExitKind::Usage && ExitKind::Usage > ExitKind::Failure);
    }
}
