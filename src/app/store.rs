//! The configured store, opened for the daemon and for the commands that
//! read the ledger (`report`, `reprice`) or create its table
//! (`create-table`): the SQLite file or the DynamoDB table, checked at open.
//!
//! Wiring only: the engines are `ledger::sqlite` and `ledger::dynamodb`.

use std::sync::Arc;

use super::AppError;
use crate::aws::AwsConfig;
use crate::clock::Clock;
use crate::config::{Loaded, StoreKind};
use crate::ledger::dynamodb::{DynamoOptions, DynamoStore};
use crate::ledger::sqlite::SqliteStore;
use crate::ledger::Backend;

/// The configured store, for commands that read the ledger (`report`):
/// the SQLite file or the DynamoDB table, with the default credential chain.
pub async fn open_backend(loaded: &Loaded) -> Result<Arc<dyn Backend>, AppError> {
    let config = &loaded.config;
    let aws = AwsConfig::load(&config.aws, &config.monitor.regions[0], None).await;
    open_store(loaded, &aws, Arc::new(crate::clock::SystemClock)).await
}

/// Creates the configured DynamoDB table if it is missing (`create-table`):
/// (table, region, whether it was created).
pub async fn create_table(loaded: &Loaded) -> Result<(String, String, bool), AppError> {
    let config = &loaded.config;
    let region = config.store.dynamodb_region.clone().unwrap_or_else(|| config.monitor.regions[0].clone());
    let table = config.store.dynamodb_table.clone().unwrap_or_default();
    let aws = AwsConfig::load(&config.aws, &region, None).await;
    let created = DynamoStore::create_table(aws.own(), &region, &table).await?;
    Ok((table, region, created))
}

pub(super) async fn open_store(
    loaded: &Loaded,
    aws: &AwsConfig,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Backend>, AppError> {
    let config = &loaded.config;
    match config.store.kind {
        StoreKind::Sqlite => Ok(Arc::new(SqliteStore::open(&config.monitor.data_dir)?)),
        StoreKind::Dynamodb => {
            // Validation made the table required for this kind.
            let table = config.store.dynamodb_table.clone().unwrap_or_default();
            let region =
                config.store.dynamodb_region.clone().unwrap_or_else(|| config.monitor.regions[0].clone());
            let options = DynamoOptions {
                minute_retention: Some(chrono::Duration::days(i64::from(
                    config.store.dynamodb_minute_retention_days,
                ))),
                clock,
                // Half the lease: a store call ends before the leadership it was
                // made under could have lapsed (five sixths of the lease).
                call_timeout: Some(config.replicas.lease() / 2),
                ..DynamoOptions::default()
            };
            let store = DynamoStore::connect(aws.own(), &region, table, options)?;
            // Fail at start, with what to do, rather than on the first write.
            store.check_table().await?;
            Ok(Arc::new(store))
        }
    }
}
