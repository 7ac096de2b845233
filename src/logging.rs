//! Logging to a file, never to the terminal (the TUI owns it, and CLI output must stay clean).
//! The level comes from `REFSCOPE_LOG` (e.g. `info`, `refscope=debug`); default `warn`.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The log file: `$REFSCOPE_LOG_FILE`, else `refscope.log` in the user's cache directory.
pub fn log_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REFSCOPE_LOG_FILE") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "refscope").map(|d| d.cache_dir().join("refscope.log"))
}

/// Starts logging; keep the guard alive until exit so buffered lines are written.
pub fn init() -> Option<WorkerGuard> {
    let path = log_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("REFSCOPE_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
