//! Several replicas on one shared store (what three ECS tasks with three
//! sidecars are). The scenarios are written once (`scenarios`) and run on
//! each way of sharing:
//!
//! - `sqlite`: one SQLite file behind one handle, shared in-process;
//! - `dynamodb`: every replica opening one DynamoDB table from its configuration.
//!
//! `fencing`: a paused leader resuming deposed, on DynamoDB. `shards`:
//! replicas sharing the shards, each under its own lease (DynamoDB).

mod dynamodb;
mod fencing;
mod scenarios;
mod shards;
mod sqlite;
