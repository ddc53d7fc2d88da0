//! Bulk loading of saved entries into a store.
