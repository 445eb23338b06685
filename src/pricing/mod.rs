//! Pricing: the effective-dated price table, model-ID resolution and exact cost.
//!
//! Pure: no I/O, no async, no AWS SDK types, no floating point. Callers read
//! files and pass text in; this module turns usage into `Decimal` dollars.

pub mod bounds;
pub mod catalog;
pub mod cost;
pub mod file;
mod file_checks;
pub mod model_id;
pub mod points;
pub mod pricer;
pub mod requests;
pub mod resolve;
pub mod scope;
pub mod table;
pub mod tier;
pub mod token;

pub use cost::{Cost, CostError, CostLine, PriceOptions};
pub use model_id::{Endpoint, IdForm};
pub use points::PointPricer;
pub use pricer::{PriceOutcome, Priced, Pricer};
pub use requests::price_request;
pub use resolve::{Resolution, ResolvedModel, Resolver, UnpricedReason};
pub use scope::Scope;
pub use table::{PriceEntry, PriceTable};
pub use tier::ServiceTier;
pub use token::{TokenType, Usage};
