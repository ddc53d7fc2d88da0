//! auditui: watch and investigate a Harvey workspace's audit log from the terminal.

pub mod app;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod entry;
pub mod export;
pub mod logging;
pub mod poller;
pub mod sanitize;
pub mod terminal;
pub mod timespec;
pub mod timestamp;
pub mod ui;
