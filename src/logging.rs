//! Logging to a file, never to the terminal (the TUI owns it, and CLI output must stay clean).
//! The level comes from `REFSCOPE_LOG` (e.g. `info`, `refscope=debug`); default `warn`.
//! The log names registries and repositories: it is 0600, in a directory created 0700.

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
    crate::cache::create_private_dir_all(dir).ok()?;
    if std::env::var_os("REFSCOPE_LOG_FILE").is_none() {
        // The default directory is refscope's own; one the user named keeps its mode.
        crate::cache::make_private(dir);
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).ok()?;
    crate::cache::make_private(&path);
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
