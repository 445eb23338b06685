//! Environment overrides for deployment-specific values, so one config file
//! serves every environment (the ECS task sets these in its definition).

use std::collections::BTreeMap;

use super::types::{Config, StoreKind};
use crate::diag::FieldPath;

/// `(variable, field it overrides)`, documented in config/example.toml.
pub const OVERRIDES: [(&str, &str); 12] = [
    ("BCM_REGIONS", "monitor.regions"),
    ("BCM_DATA_DIR", "monitor.data_dir"),
    ("BCM_LISTEN", "http.listen"),
    ("BCM_API_LISTEN", "api.listen"),
    ("BCM_STORE", "store.kind"),
    ("BCM_DYNAMODB_TABLE", "store.dynamodb_table"),
    ("BCM_DYNAMODB_REGION", "store.dynamodb_region"),
    ("BCM_SNS_TOPIC_ARN", "alerts.sns_topic_arn"),
    ("BCM_AWS_ENDPOINT_URL", "aws.endpoint_url"),
    ("BCM_HOLDER_ID", "replicas.holder_id"),
    ("BCM_WAKEUPS_QUEUE_URL", "wakeups.queue_url"),
    ("BCM_WAKEUPS_TOPIC_ARNS", "wakeups.topic_arns"),
];

/// An environment value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    pub var: &'static str,
    pub field: &'static str,
    pub reason: String,
}

/// Applies every set variable; returns which field paths now come from which
/// variable (so later validation blames the variable, not the file).
pub fn apply(
    config: &mut Config,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, &'static str>, Vec<EnvError>> {
    let mut origins = BTreeMap::new();
    let mut errors = Vec::new();
    for (var, field) in OVERRIDES {
        let Some(value) = get(var).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let value = value.trim().to_string();
        match set(config, field, value) {
            Ok(()) => {
                origins.insert(field.to_string(), var);
            }
            Err(reason) => errors.push(EnvError { var, field, reason }),
        }
    }
    if errors.is_empty() {
        Ok(origins)
    } else {
        Err(errors)
    }
}

fn set(config: &mut Config, field: &str, value: String) -> Result<(), String> {
    match field {
        "monitor.regions" => {
            config.monitor.regions = value.split(',').map(|r| r.trim().to_string()).collect();
        }
        "monitor.data_dir" => config.monitor.data_dir = value.into(),
        "http.listen" => {
            config.http.listen =
                value.parse().map_err(|e| format!("`{value}` is not an address like 0.0.0.0:9470: {e}"))?
        }
        "api.listen" => {
            config.api.listen =
                value.parse().map_err(|e| format!("`{value}` is not an address like 127.0.0.1:9471: {e}"))?
        }
        "store.kind" => {
            config.store.kind = match value.as_str() {
                "sqlite" => StoreKind::Sqlite,
                "dynamodb" => StoreKind::Dynamodb,
                _ => return Err(format!("`{value}` is not one of sqlite, dynamodb")),
            }
        }
        "store.dynamodb_table" => config.store.dynamodb_table = Some(value),
        "store.dynamodb_region" => config.store.dynamodb_region = Some(value),
        "alerts.sns_topic_arn" => config.alerts.sns_topic_arn = Some(value),
        "aws.endpoint_url" => config.aws.endpoint_url = Some(value),
        "replicas.holder_id" => config.replicas.holder_id = Some(value),
        // The queue's URL turns wake-ups on: the deployment made the queue.
        "wakeups.queue_url" => {
            config.wakeups.queue_url = Some(value);
            config.wakeups.enabled = true;
        }
        "wakeups.topic_arns" => {
            let mut topics = BTreeMap::new();
            for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (region, arn) =
                    pair.split_once('=').ok_or_else(|| format!("`{pair}` is not <region>=<topic ARN>"))?;
                topics.insert(region.trim().to_string(), arn.trim().to_string());
            }
            config.wakeups.topic_arns = topics;
        }
        // OVERRIDES and this match are kept together; a new entry needs both.
        other => return Err(format!("no override for field {other}")),
    }
    Ok(())
}

/// The variable that set `path`, if its first segments name an overridden field.
pub fn origin_of(origins: &BTreeMap<String, &'static str>, path: &FieldPath) -> Option<&'static str> {
    let text = path.to_string();
    origins
        .iter()
        .find(|(field, _)| text == **field || text.starts_with(&format!("{field}[")))
        .map(|(_, var)| *var)
}
