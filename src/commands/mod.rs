//! One module per subcommand: each turns parsed arguments into a run of the library parts.

pub mod demo;
pub mod doctor;
pub mod evidence;
pub mod live;
pub mod query;
pub mod simulate;
pub mod tail;
pub mod verify;
