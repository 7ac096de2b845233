//! Operations over any [`Target`](crate::target::Target): the graph of artifacts as users
//! think of it. The CLI and the TUI are thin fronts over this module.

pub mod discover;
pub mod fallback;
pub mod pack;
pub mod progress;
pub mod pull;
pub mod push;
pub mod safe_path;
