//! The application: its state, the actions that change it, the keys that name them, and the loop.

pub mod action;
mod archive_window;
mod context_view;
mod counts_panel;
mod cursor;
pub mod detail_doc;
mod detail_view;
pub mod editor;
mod evidence_job;
mod filtering;
mod ingest;
pub mod keymap;
pub mod layout;
pub mod marks;
pub mod problems;
pub mod quick;
pub mod run;
mod search_prompt;
pub mod state;
pub mod update;
