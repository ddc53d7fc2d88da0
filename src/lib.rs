//! auditui: watch and investigate a Harvey workspace's audit log from the terminal.

pub mod cli;
pub mod commands;
pub mod entry;
pub mod export;
pub mod generate;
pub mod logging;
pub mod poller;
pub mod query;
pub mod sanitize;
pub mod store;
pub mod timespec;
pub mod timestamp;
