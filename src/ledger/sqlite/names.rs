//! The dictionary of the minute tables (schema 6): each text a minute row
//! refers to (source, region, model ID, metric, token type, model, price
//! entry, unpriced reason) is stored once in `names` and the rows hold its
//! integer id. Owns the lookups; must not read or write the minute rows.
//!
//! A `Names` lives for one transaction: an id it inserted disappears with a
//! rolled-back transaction, so it is never cached past one.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};

use super::codec::Context;
use crate::ledger::StoreError;

/// The ids one transaction has looked up so far.
#[derive(Debug, Default)]
pub(super) struct Names {
    ids: HashMap<String, i64>,
    texts: HashMap<i64, String>,
}

impl Names {
    /// The id of `name`, added to the dictionary if it is new.
    pub(super) fn id(&mut self, tx: &Transaction<'_>, name: &str) -> Result<i64, StoreError> {
        if let Some(id) = self.find(tx, name)? {
            return Ok(id);
        }
        let id = tx
            .prepare_cached("INSERT INTO names (name) VALUES (?1) RETURNING id")
            .and_then(|mut st| st.query_row(params![name], |r| r.get(0)))
            .ctx("adding a name")?;
        self.remember(name, id);
        Ok(id)
    }

    /// The id of `name`, or `None` if no row was ever written with it.
    pub(super) fn find(&mut self, tx: &Transaction<'_>, name: &str) -> Result<Option<i64>, StoreError> {
        if let Some(id) = self.ids.get(name) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = tx
            .prepare_cached("SELECT id FROM names WHERE name = ?1")
            .and_then(|mut st| st.query_row(params![name], |r| r.get(0)).optional())
            .ctx("reading a name")?;
        if let Some(id) = id {
            self.remember(name, id);
        }
        Ok(id)
    }

    /// The text of `id`.
    pub(super) fn name(&mut self, tx: &Transaction<'_>, id: i64) -> Result<String, StoreError> {
        if let Some(text) = self.texts.get(&id) {
            return Ok(text.clone());
        }
        let text: String = tx
            .prepare_cached("SELECT name FROM names WHERE id = ?1")
            .and_then(|mut st| st.query_row(params![id], |r| r.get(0)))
            .ctx("reading a name")?;
        self.remember(&text, id);
        Ok(text)
    }

    fn remember(&mut self, name: &str, id: i64) {
        self.ids.insert(name.to_string(), id);
        self.texts.insert(id, name.to_string());
    }

    /// `id` of an optional name (a NULL column stays NULL).
    pub(super) fn opt_id(
        &mut self,
        tx: &Transaction<'_>,
        name: Option<&str>,
    ) -> Result<Option<i64>, StoreError> {
        name.map(|n| self.id(tx, n)).transpose()
    }
}
