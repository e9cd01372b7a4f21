//! Ctrl-C handling: the first SIGINT/SIGTERM sets a flag that long stages poll:
//! the generator between batches, the query runner every 100 ms (it then
//! cancels the running DuckDB statements). They stop with an `Interrupted`
//! error, and the temporary warehouse is removed by its guard on the way out.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler once; later calls are no-ops.
pub fn install() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // If a handler cannot be installed, Ctrl-C falls back to the default
        // (immediate exit); the next run cleans stale temporary files.
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    });
}

/// True once Ctrl-C (or SIGTERM) was received.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
