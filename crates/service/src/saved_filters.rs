//! Saved filters of the orders list, per user: the domain keeps the list's own filters and
//! decides what saving under a name does (`domain::saved_filter`); this module reads the
//! user's filters and writes the decision. Another user's saved filter is not found.

use crate::*;
use voltdesk_domain::saved_filter::{
    Save, SavedFilterFault, decide_save, filter_name, keep_filters,
};

impl From<SavedFilterFault> for ServiceError {
    fn from(f: SavedFilterFault) -> Self {
        match f {
            SavedFilterFault::Full => ServiceError::SavedFiltersFull,
            f => ServiceError::invalid(f.field(), f.to_string()),
        }
    }
}

/// The user a saved filter belongs to: the actor's own account (the command line has none).
fn owner(by: &Actor) -> Result<i64> {
    by.user_id
        .ok_or_else(|| ServiceError::Forbidden("saved filters belong to a user".into()))
}

impl Service {
    /// The actor's saved filters, by name.
    pub async fn saved_filters(&self, by: &Actor) -> Result<Vec<SavedFilterView>> {
        let mut rows = self.store.saved_filters(owner(by)?).await?;
        rows.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Saves the list's filters of `query` under `name`: a name the user used before takes
    /// the new filters, a new one is added while the user has fewer than 20. Answers the
    /// saved filter and whether it is new.
    pub async fn save_filter(
        &self,
        by: &Actor,
        name: &str,
        query: &str,
    ) -> Result<(SavedFilterView, bool)> {
        let user = owner(by)?;
        let name = filter_name(name)?;
        let query = keep_filters(query)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        // One save at a time per user, so that two cannot both take the twentieth place.
        self.store
            .user_for_update(&mut tx, user)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        let existing = self.store.saved_filters_in(&mut tx, user).await?;
        let names: Vec<(i64, &str)> = existing.iter().map(|f| (f.id, f.name.as_str())).collect();
        let (id, added) = match decide_save(&names, name)? {
            Save::Add => (
                self.store
                    .insert_saved_filter(&mut tx, user, name, &query, now)
                    .await?,
                true,
            ),
            Save::Replace(id) => {
                self.store
                    .replace_saved_filter(&mut tx, id, &query, now)
                    .await?;
                (id, false)
            }
        };
        commit(tx).await?;
        let saved = self
            .store
            .saved_filters(user)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or(ServiceError::NotFound {
                what: "saved filter",
            })?;
        Ok((saved.into(), added))
    }

    /// Deletes one of the actor's saved filters; another user's is not found.
    pub async fn delete_saved_filter(&self, by: &Actor, id: i64) -> Result<()> {
        let user = owner(by)?;
        let mut tx = self.store.begin().await?;
        self.store
            .delete_saved_filter(&mut tx, user, id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound {
                    what: "saved filter",
                },
                e => e.into(),
            })?;
        commit(tx).await
    }
}
