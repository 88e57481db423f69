//! Branch key id suppliers: which branch key protects a message, chosen from its encryption
//! context (one branch key per tenant).
//!
//! spec: framework/aws-kms/aws-kms-hierarchical-keyring.md (branch key id supplier)

use core::fmt;
use std::collections::HashMap;

use async_trait::async_trait;
use keyward_format::EncryptionContext;

/// Names the branch key for the encryption context of a message, on encrypt and on decrypt.
#[async_trait]
pub trait BranchKeyIdSupplier: Send + Sync + fmt::Debug {
    /// The branch key id for `encryption_context`.
    ///
    /// # Errors
    /// Whatever stops the supplier from naming one (an unknown tenant, …).
    async fn branch_key_id(
        &self,
        encryption_context: &EncryptionContext,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>>;
}

/// Maps the value of one encryption-context key (`tenant`, say) to a branch key id.
#[derive(Clone)]
pub struct ContextKeySupplier {
    context_key: String,
    branch_key_ids: HashMap<String, String>,
}

impl ContextKeySupplier {
    /// A supplier reading `context_key` and mapping its values through `branch_key_ids`
    /// (value → branch key id).
    pub fn new<I, K, V>(context_key: impl Into<String>, branch_key_ids: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            context_key: context_key.into(),
            branch_key_ids: branch_key_ids
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

#[async_trait]
impl BranchKeyIdSupplier for ContextKeySupplier {
    async fn branch_key_id(
        &self,
        encryption_context: &EncryptionContext,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let value = encryption_context
            .get(&self.context_key)
            .ok_or_else(|| UnknownTenant::Missing(self.context_key.clone()))?;
        self.branch_key_ids.get(value).cloned().ok_or_else(|| {
            UnknownTenant::Unmapped(self.context_key.clone(), value.to_owned()).into()
        })
    }
}

impl fmt::Debug for ContextKeySupplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextKeySupplier")
            .field("context_key", &self.context_key)
            .field("tenants", &self.branch_key_ids.len())
            .finish()
    }
}

/// Why a [`ContextKeySupplier`] names no branch key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownTenant {
    /// The encryption context lacks the key.
    #[error("the encryption context has no {0:?} entry")]
    Missing(String),
    /// The value maps to no branch key.
    #[error("no branch key for {0} = {1:?}")]
    Unmapped(String, String),
}
