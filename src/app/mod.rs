//! The application: its state, the actions that change it, the keys that name them, and the loop.

pub mod action;
pub mod editor;
pub mod keymap;
pub mod quick;
pub mod run;
pub mod state;
pub mod update;
