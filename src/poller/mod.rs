//! The background task that follows the audit stream.
//!
//! It talks to the rest of the program only through owned messages ([`PollEvent`]) and a control channel
//! ([`PollControl`]); it never shares state with the UI.

mod messages;

pub use messages::{ConnState, PollControl, PollEvent, PollStatus};
