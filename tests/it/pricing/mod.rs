//! Pricing through the public API and the shipped price table.
//!
//! - `table`: every row of config/prices.toml against independently computed totals;
//! - `tiers`: service tiers and GovCloud priced only by an entry meant for them;
//! - `properties`: a usage split into pieces costs exactly what the whole does.

mod properties;
mod table;
mod tiers;
