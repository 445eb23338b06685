//! The embedded SQLite ledger (the default store): one file under the data directory.
