//! The table's data-layout version: one item (`META`, `layout`) holding the
//! version of the item layout its writers use, so a binary never writes a
//! layout it does not know into a table. Written by `create-table` and by
//! the first start on a table that has none; checked at every start.
//!
//! A table written before this item existed holds layout 1 (the layout this
//! item was introduced with), so it is stamped 1 rather than refused. A
//! newer version is refused (an older binary would corrupt it); so is an
//! older one, until a migration exists for it. Must not touch other items.

use super::attrs::{self, Item};
use super::db::{Db, Expr};
use super::keys::Key;
use super::numbers;
use crate::ledger::StoreError;

/// The item layout this build reads and writes (README, "Layout version").
pub const LAYOUT_VERSION: u64 = 1;

const META_PK: &str = "META";
const LAYOUT_SK: &str = "layout";
const LAYOUT: &str = "layout";

fn key() -> Key {
    Key::new(META_PK, LAYOUT_SK)
}

fn version_of(item: &Item) -> Result<u64, StoreError> {
    numbers::to_u64("layout version", attrs::get_n(item, LAYOUT, "layout version")?)
}

/// Accepts the table's layout, stamping it first if it has none; refuses a
/// layout other than [`LAYOUT_VERSION`] before anything is written.
pub(super) async fn ensure(db: &Db) -> Result<(), StoreError> {
    let found = match db.get(&key(), "reading the layout version").await? {
        Some(item) => version_of(&item)?,
        None => stamp(db).await?,
    };
    check(db.table(), found)
}

/// Writes [`LAYOUT_VERSION`] unless another writer stamped the table first;
/// returns the version the table holds afterwards.
async fn stamp(db: &Db) -> Result<u64, StoreError> {
    let mut item = attrs::key_item(&key());
    item.insert(LAYOUT.into(), attrs::n(numbers::from_u64(LAYOUT_VERSION)));
    let absent = Expr::new("attribute_not_exists(#pk)").name("#pk", attrs::PK);
    if db.put(item, Some(&absent), "writing the layout version").await? {
        tracing::info!(
            table = db.table(),
            layout = LAYOUT_VERSION,
            "stamped the table's data-layout version"
        );
        return Ok(LAYOUT_VERSION);
    }
    // Lost the race to another replica: read what it wrote.
    let item = db.get(&key(), "reading the layout version").await?;
    item.as_ref().map(version_of).transpose()?.ok_or_else(|| {
        StoreError::Backend(format!(
            "DynamoDB table `{}`: the layout version item vanished while it was being written",
            db.table()
        ))
    })
}

fn check(table: &str, found: u64) -> Result<(), StoreError> {
    let store = format!("DynamoDB table `{table}`");
    let reason = match found {
        LAYOUT_VERSION => return Ok(()),
        newer if newer > LAYOUT_VERSION => format!(
            "holds data layout version {newer}, newer than this build writes ({LAYOUT_VERSION}); \
             refusing to write into it. Run a bedrock-cost-monitor release that knows layout {newer} \
             (every replica), or point store.dynamodb_table at another table"
        ),
        older => format!(
            "holds data layout version {older}, older than this build writes ({LAYOUT_VERSION}), and \
             no migration from it exists; refusing to write into it. Run the release that wrote it, \
             or start this one on a new table"
        ),
    };
    Err(StoreError::Unusable { store, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_known_layout_is_accepted() {
        assert!(check("t", LAYOUT_VERSION).is_ok());
        let newer = check("t", LAYOUT_VERSION + 1).unwrap_err().to_string();
        assert!(
            newer.contains("`t`") && newer.contains("version 2, newer") && newer.contains("(1)"),
            "{newer}"
        );
        let older = check("t", 0).unwrap_err().to_string();
        assert!(older.contains("version 0, older") && older.contains("no migration"), "{older}");
    }
}
