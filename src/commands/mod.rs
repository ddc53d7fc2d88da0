//! One module per subcommand: each turns parsed arguments into a run of the library parts.

pub mod archive;
pub mod demo;
pub mod doctor;
pub mod live;
pub mod query;
pub mod simulate;
pub mod sync;
pub mod tail;
