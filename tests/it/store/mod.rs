//! The ledger stores. The contract every store keeps is written once
//! (`helpers::store_contract`) and run here on each store:
//!
//! - `sqlite`: the contract on SQLite, a fresh ledger file per test;
//! - `dynamodb_contract`: the same contract on DynamoDB in the emulator;
//! - `dynamodb`: what only the DynamoDB store has;
//! - `dynamodb_layout`: the table's data-layout version;
//! - `compaction`: the SQLite store's retention, exact to the last digit.

mod compaction;
mod sqlite;

#[cfg(feature = "demo")]
mod dynamodb;
#[cfg(feature = "demo")]
mod dynamodb_contract;
#[cfg(feature = "demo")]
mod dynamodb_layout;
