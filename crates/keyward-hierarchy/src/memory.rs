//! An in-memory branch key store, for tests and the offline demo: keys live in this process
//! only and vanish with it. Not a production store.

use core::fmt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use keyward_format::EncryptionContext;
use keyward_materials::{BranchKey, BranchKeyMaterials};

use crate::dynamodb::timestamp::timestamp;
use crate::error::{Error, Result, not_found};
use crate::kdf::{random, random_uuid};
use crate::key_store::{
    BeaconKeyMaterials, BranchKeyVersion, CreatedBranchKey, KeyStore, KeyStoreAdmin, KeyStoreInfo,
    VersionedBranchKey,
};

/// Branch keys in memory, with the semantics of the DynamoDB store (create, version, read
/// active, read a version, read the beacon key) and counters of the reads it served.
///
/// Cheap to clone: clones share the keys and the counters.
#[derive(Clone)]
pub struct MemoryKeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    logical_name: String,
    keys: Mutex<HashMap<String, Record>>,
    active_reads: AtomicU64,
    version_reads: AtomicU64,
}

struct Record {
    active: String,
    versions: HashMap<String, Arc<BranchKey>>,
    /// Every version with its create time, oldest first.
    history: Vec<(String, String)>,
    beacon: Arc<BranchKey>,
    encryption_context: EncryptionContext,
}

impl MemoryKeyStore {
    /// An empty store with this logical key store name.
    pub fn new(logical_key_store_name: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                logical_name: logical_key_store_name.into(),
                keys: Mutex::new(HashMap::new()),
                active_reads: AtomicU64::new(0),
                version_reads: AtomicU64::new(0),
            }),
        }
    }

    /// How many active-key reads (`get_active_branch_key`) the store served.
    pub fn active_reads(&self) -> u64 {
        self.inner.active_reads.load(Ordering::Relaxed)
    }

    /// How many version reads (`get_branch_key_version`) the store served.
    pub fn version_reads(&self) -> u64 {
        self.inner.version_reads.load(Ordering::Relaxed)
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        self.inner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl KeyStore for MemoryKeyStore {
    fn info(&self) -> KeyStoreInfo {
        KeyStoreInfo::new("memory", self.inner.logical_name.clone())
    }

    async fn get_active_branch_key(&self, branch_key_id: &str) -> Result<BranchKeyMaterials> {
        self.inner.active_reads.fetch_add(1, Ordering::Relaxed);
        let keys = self.keys();
        let record = keys
            .get(branch_key_id)
            .ok_or_else(|| not_found(branch_key_id, None))?;
        let key = record
            .versions
            .get(&record.active)
            .cloned()
            .ok_or(Error::InvalidItem {
                id: branch_key_id.to_owned(),
                reason: "the active version is missing",
            })?;
        Ok(BranchKeyMaterials::new(
            branch_key_id,
            record.active.clone(),
            key,
            record.encryption_context.clone(),
        ))
    }

    async fn get_branch_key_version(
        &self,
        branch_key_id: &str,
        version: &str,
    ) -> Result<BranchKeyMaterials> {
        self.inner.version_reads.fetch_add(1, Ordering::Relaxed);
        let keys = self.keys();
        let missing = || not_found(branch_key_id, Some(version));
        let record = keys.get(branch_key_id).ok_or_else(missing)?;
        let key = record.versions.get(version).cloned().ok_or_else(missing)?;
        Ok(BranchKeyMaterials::new(
            branch_key_id,
            version,
            key,
            record.encryption_context.clone(),
        ))
    }

    async fn get_branch_key_versions(&self, branch_key_id: &str) -> Result<Vec<BranchKeyVersion>> {
        let keys = self.keys();
        let record = keys
            .get(branch_key_id)
            .ok_or_else(|| not_found(branch_key_id, None))?;
        Ok(record
            .history
            .iter()
            .rev()
            .map(|(version, created)| {
                let mut listed = BranchKeyVersion::new(
                    branch_key_id,
                    version,
                    created,
                    record.encryption_context.clone(),
                );
                listed.active = *version == record.active;
                listed
            })
            .collect())
    }
}

#[async_trait]
impl KeyStoreAdmin for MemoryKeyStore {
    async fn get_beacon_key(&self, branch_key_id: &str) -> Result<BeaconKeyMaterials> {
        let keys = self.keys();
        let record = keys
            .get(branch_key_id)
            .ok_or_else(|| not_found(branch_key_id, None))?;
        Ok(BeaconKeyMaterials::new(
            branch_key_id,
            record.beacon.clone(),
            record.encryption_context.clone(),
        ))
    }

    async fn create_key(
        &self,
        branch_key_id: Option<&str>,
        encryption_context: &EncryptionContext,
    ) -> Result<CreatedBranchKey> {
        let id = crate::key_store::check_create_key(branch_key_id, encryption_context)?;
        let version = random_uuid()?;
        let record = Record {
            active: version.clone(),
            versions: HashMap::from([(
                version.clone(),
                Arc::new(BranchKey::new(random::<32>()?.to_vec())),
            )]),
            history: vec![(version.clone(), timestamp())],
            beacon: Arc::new(BranchKey::new(random::<32>()?.to_vec())),
            encryption_context: encryption_context.clone(),
        };
        let mut keys = self.keys();
        if keys.contains_key(&id) {
            return Err(Error::BranchKeyExists { id });
        }
        keys.insert(id.clone(), record);
        Ok(CreatedBranchKey::new(id, version))
    }

    async fn version_key(&self, branch_key_id: &str) -> Result<VersionedBranchKey> {
        let version = random_uuid()?;
        let key = Arc::new(BranchKey::new(random::<32>()?.to_vec()));
        let mut keys = self.keys();
        let record = keys
            .get_mut(branch_key_id)
            .ok_or_else(|| not_found(branch_key_id, None))?;
        record.versions.insert(version.clone(), key);
        record.history.push((version.clone(), timestamp()));
        let previous = core::mem::replace(&mut record.active, version.clone());
        Ok(VersionedBranchKey::new(branch_key_id, previous, version))
    }
}

impl fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryKeyStore")
            .field("logical_key_store_name", &self.inner.logical_name)
            .field("branch_keys", &self.keys().len())
            .field("active_reads", &self.active_reads())
            .field("version_reads", &self.version_reads())
            .finish()
    }
}
