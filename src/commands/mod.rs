//! One module per subcommand: each turns parsed arguments into a run of the library parts.

pub mod demo;
pub mod doctor;
pub mod live;
pub mod query;
pub mod query_counts;
pub mod simulate;
pub mod tail;
