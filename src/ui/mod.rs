//! Drawing: pure functions of the state, one file per pane.

pub mod activity;
pub mod counts;
pub mod detail;
pub mod error_screen;
pub mod filter_bar;
pub mod help;
pub mod log_pane;
pub mod log_scale;
pub mod marks_list;
pub mod problems;
pub mod prompt_bar;
pub mod screen;
pub mod status_bar;
pub mod theme;
