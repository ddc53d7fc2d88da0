//! auditui: watch and investigate a Harvey workspace's audit log from the terminal.

pub mod app;
pub mod archive;
pub mod cli;
pub mod client;
pub mod clipboard;
pub mod clock;
pub mod commands;
pub mod config;
pub mod entry;
pub mod evidence;
pub mod export;
pub mod formats;
pub mod generate;
pub mod logging;
pub mod open;
pub mod owner_only;
pub mod poller;
pub mod query;
pub mod sanitize;
pub mod saved;
pub mod simulator;
pub mod store;
pub mod terminal;
pub mod timespec;
pub mod timestamp;
pub mod ui;
