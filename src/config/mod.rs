//! The monitor configuration: TOML file + environment overrides + the price
//! table it points to, loaded and validated as one unit.
//!
//! Owns reading these files and reporting every problem as
//! `file:line: field: reason`. It must not start anything: loading a config
//! has no side effects beyond reading files.

pub mod accounts;
pub mod budget;
pub mod cost_explorer;
pub mod env;
pub mod http;
pub mod invocation_logs;
mod replicas;
pub mod schedule;
pub mod store;
pub mod types;
mod validate;
pub mod wakeups;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use budget::{AlertSeverity, BudgetConfig, Period, Usd};
pub use http::ApiToken;
pub use schedule::CronSchedule;
pub use types::{CacheTtl, Config, ListenerLimits, StoreKind, Timezone};

use crate::diag::{Diagnostic, Diagnostics, Finding, Severity, TomlDoc};
use crate::pricing::{self, PriceTable};

/// The default config path, relative to the working directory.
pub const DEFAULT_PATH: &str = "config/monitor.toml";

/// A valid configuration and the warnings it raised.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    pub price_table_path: PathBuf,
    pub prices: PriceTable,
    /// SHA-256 (hex) of the price-table file's bytes as loaded: which table
    /// priced what (`reprice` and the leader's `pricing.table_in_use` flag).
    pub price_table_sha256: String,
    /// The API's bearer token, read once at load; `None`: the API is open.
    pub api_token: Option<ApiToken>,
    pub warnings: Diagnostics,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Loads `path` with the process environment. `now` is the instant the
/// checks that depend on time (a schedule must still fire) are made at.
pub fn load(path: &Path, now: DateTime<Utc>) -> Result<Loaded, ConfigError> {
    load_with_env(path, &|k| std::env::var(k).ok(), now)
}

/// Loads `path`; `env` answers environment look-ups (tests pass a map).
pub fn load_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> Result<Loaded, ConfigError> {
    let doc = read_doc(path)?;
    let mut config: Config = doc.deserialize().map_err(|d| ConfigError::Invalid(Diagnostics(vec![d])))?;
    let origins = env::apply(&mut config, env).map_err(|errors| {
        ConfigError::Invalid(Diagnostics(
            errors
                .into_iter()
                .map(|e| Diagnostic {
                    severity: Severity::Error,
                    origin: format!("environment variable {}", e.var),
                    line: None,
                    field: e.field.to_string(),
                    reason: e.reason,
                })
                .collect(),
        ))
    })?;
    let mut diags = locate(&doc, &origins, &validate::config(&config, now));

    let price_table_path = path.parent().unwrap_or_else(|| Path::new(".")).join(&config.pricing.table);
    let price_doc = read_doc(&price_table_path)?;
    let price_table_sha256 = sha256_hex(price_doc.text().as_bytes());
    let prices = match pricing::file::load(&price_doc) {
        Ok(loaded) => {
            diags.extend(loaded.warnings);
            loaded.table
        }
        Err(price_diags) => {
            diags.extend(price_diags);
            return Err(ConfigError::Invalid(diags));
        }
    };
    diags.extend(locate(&doc, &origins, &validate::against_prices(&config, &prices)));
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let api_token = http::read_token(&config.api, base, env).unwrap_or_else(|finding| {
        diags.extend(locate(&doc, &origins, &[finding]));
        None
    });
    if diags.has_errors() {
        return Err(ConfigError::Invalid(diags));
    }
    Ok(Loaded {
        path: path.to_path_buf(),
        config,
        price_table_path,
        prices,
        price_table_sha256,
        api_token,
        warnings: diags,
    })
}

/// Hex SHA-256 of a file's bytes (text read as UTF-8 keeps its bytes).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn read_doc(path: &Path) -> Result<TomlDoc, ConfigError> {
    let origin = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: origin.clone(), source })?;
    TomlDoc::parse(origin, text).map_err(ConfigError::Invalid)
}

/// Findings about env-overridden fields blame the variable, others the file line.
fn locate(doc: &TomlDoc, origins: &BTreeMap<String, &'static str>, findings: &[Finding]) -> Diagnostics {
    Diagnostics(
        findings
            .iter()
            .map(|f| match env::origin_of(origins, &f.path) {
                Some(var) => Diagnostic {
                    severity: f.severity,
                    origin: format!("environment variable {var}"),
                    line: None,
                    field: f.path.to_string(),
                    reason: f.reason.clone(),
                },
                None => doc.locate(f),
            })
            .collect(),
    )
}
