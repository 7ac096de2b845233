//! refscope: browse and act on the artifact graph of OCI registries.
//!
//! Layers, from the bottom: [`oci`] (pure types), [`store`] (a registry or an OCI layout
//! behind one trait), [`graph`] (operations over any target), [`inspect`] (pure summaries of
//! content), and the two fronts, the CLI ([`cli`]) and the terminal UI ([`tui`]).

// Our enums with one large variant (messages, worker answers, plan steps, parsed manifests)
// are moved one at a time, never stored in bulk: boxing would only add an allocation each.
#![allow(clippy::large_enum_variant)]

pub mod cache;
pub mod cli;
pub mod config;
pub mod creds;
pub mod demo;
pub mod error;
pub mod graph;
pub mod inspect;
pub mod logging;
pub mod oci;
pub mod store;
pub mod text;
pub mod tui;

pub use error::{Error, Result};
