//! `uptake-collector`: serves the PM's config and the SDK to browsers, receives their event
//! batches and stores each event once, in SQLite. The binary (`main.rs`) is its command line;
//! the modules are a library so that tests and the fuzz target reach the batch reader.

pub mod admin;
pub mod batch;
pub mod body;
pub mod config_file;
pub mod connections;
pub mod derived;
pub mod export;
pub mod history;
pub mod import;
pub mod live_config;
pub mod metrics;
pub mod rate_limit;
pub mod rebuild;
pub mod routes;
pub mod served_config;
pub mod server;
pub mod store;

use std::net::SocketAddr;

/// The address the collector listens on when none is given.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);
