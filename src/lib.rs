//! auditui: watch and investigate a Harvey workspace's audit log from the terminal.

pub mod cli;
pub mod entry;
pub mod poller;
pub mod sanitize;
pub mod timespec;
pub mod timestamp;
