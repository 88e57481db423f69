//! Keys manifests and key descriptions: turning a vector's keyring description into keyrings
//! and materials managers.
//!
//! spec: the test-vector framework (`0002-keys.md`, `0005-awses-master-key.md`) and the MPL
//! key descriptions (`framework/test-vectors/key-description.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward::hierarchy::{HierarchicalKeyring, StaticKeyStore};
use keyward_materials::{
    BranchKey, DefaultMaterialsManager, EcdhCurve, Keyring, MaterialsManager, MultiKeyring,
    RawAesKeyring, RawEcdhKeyring, RawRsaKeyring, RequiredContextMaterialsManager, RsaPadding,
    WrappingKey,
};
use serde_json::Value;

/// A keys manifest: key name → its description and material.
#[derive(Debug)]
pub struct Keys {
    keys: BTreeMap<String, Value>,
}

/// A keyring description that keyward builds here, or the kinds of keyring it would need.
#[derive(Debug)]
#[non_exhaustive]
pub enum Built<T> {
    /// Built.
    Ready(T),
    /// Needs keyrings that cannot run offline here; the kinds, for the skip list.
    Unavailable(BTreeSet<String>),
}

impl Keys {
    /// Loads a keys manifest (versions 1 to 3 of the framework, and the MPL's).
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let value: Value = serde_json::from_str(&text)?;
        let keys = value["keys"]
            .as_object()
            .context("keys manifest without keys")?;
        Ok(Self {
            keys: keys.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        })
    }

    /// Every key, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// A key's entry, as the manifest has it.
    pub fn entry(&self, name: &str) -> Result<&Value> {
        self.key(name)
    }

    fn key(&self, name: &str) -> Result<&Value> {
        self.keys
            .get(name)
            .ok_or_else(|| anyhow!("no key {name:?} in the keys manifest"))
    }

    /// The key's name as raw keyrings use it: `key-id`, else the manifest name.
    fn key_name<'a>(&'a self, name: &'a str) -> Result<&'a str> {
        Ok(self.key(name)?["key-id"].as_str().unwrap_or(name))
    }

    /// The key's material as one string (v1 manifests split it into lines).
    fn material(&self, name: &str) -> Result<String> {
        let key = self.key(name)?;
        match &key["material"] {
            Value::String(text) => Ok(text.clone()),
            Value::Array(lines) => {
                let separator = key["line-separator"].as_str().unwrap_or("");
                let lines: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
                Ok(lines.join(separator))
            }
            _ => bail!("key {name:?} has no material"),
        }
    }

    /// A materials manager for a legacy master-key list (decrypt manifests v1 to v4): the
    /// first key generates, the rest are children; `cmm` picks the manager.
    pub fn master_keys(
        &self,
        master_keys: &[Value],
        cmm: Option<&str>,
        reproduced: Option<&BTreeMap<String, String>>,
    ) -> Result<Built<Arc<dyn MaterialsManager>>> {
        let mut keyrings = Vec::new();
        let mut missing = BTreeSet::new();
        for description in master_keys {
            match self.keyring(description)? {
                Built::Ready(keyring) => keyrings.push(keyring),
                Built::Unavailable(kinds) => missing.extend(kinds),
            }
        }
        if !missing.is_empty() {
            return Ok(Built::Unavailable(missing));
        }
        let keyring: Arc<dyn Keyring> = match keyrings.len() {
            1 => keyrings.remove(0),
            _ => {
                let generator = keyrings.remove(0);
                Arc::new(
                    MultiKeyring::builder()
                        .generator(generator)
                        .children(keyrings)
                        .build()?,
                )
            }
        };
        let manager = DefaultMaterialsManager::new(keyring);
        Ok(Built::Ready(match cmm {
            Some("RequiredEncryptionContext") => {
                let keys: Vec<String> = reproduced
                    .map(|r| r.keys().cloned().collect())
                    .unwrap_or_default();
                Arc::new(RequiredContextMaterialsManager::new(keys, manager))
            }
            None | Some("Default") => Arc::new(manager),
            Some(other) => bail!("unknown cmm {other:?}"),
        }))
    }

    /// A materials manager for an MPL key description (decrypt manifest v5): a keyring
    /// wrapped in a default manager, or a required-context manager.
    pub fn manager(&self, description: &Value) -> Result<Built<Arc<dyn MaterialsManager>>> {
        if description["type"].as_str() == Some("required-encryption-context-cmm") {
            let keys: Vec<String> =
                serde_json::from_value(description["requiredEncryptionContextKeys"].clone())?;
            return Ok(match self.manager(&description["underlying"])? {
                Built::Ready(underlying) => Built::Ready(Arc::new(
                    RequiredContextMaterialsManager::new(keys, underlying),
                )),
                unavailable @ Built::Unavailable(_) => unavailable,
            });
        }
        Ok(match self.keyring(description)? {
            Built::Ready(keyring) => Built::Ready(Arc::new(DefaultMaterialsManager::new(keyring))),
            Built::Unavailable(kinds) => Built::Unavailable(kinds),
        })
    }

    /// A keyring for one key description.
    pub fn keyring(&self, description: &Value) -> Result<Built<Arc<dyn Keyring>>> {
        let kind = description["type"]
            .as_str()
            .context("key description without type")?;
        match kind {
            "raw" => self.raw(description).map(Built::Ready),
            "multi-keyring" => {
                let mut missing = BTreeSet::new();
                let mut build = |value: &Value| -> Result<Option<Arc<dyn Keyring>>> {
                    Ok(match self.keyring(value)? {
                        Built::Ready(keyring) => Some(keyring),
                        Built::Unavailable(kinds) => {
                            missing.extend(kinds);
                            None
                        }
                    })
                };
                let generator = match &description["generator"] {
                    Value::Null => None,
                    value => build(value)?,
                };
                let mut children = Vec::new();
                for child in description["childKeyrings"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    children.extend(build(child)?);
                }
                if !missing.is_empty() {
                    return Ok(Built::Unavailable(missing));
                }
                let mut multi = MultiKeyring::builder().children(children);
                if let Some(generator) = generator {
                    multi = multi.generator(generator);
                }
                Ok(Built::Ready(Arc::new(multi.build()?)))
            }
            "aws-kms-hierarchy" => self.hierarchy(description),
            "raw-ecdh" => self.raw_ecdh(description).map(Built::Ready),
            other => Ok(Built::Unavailable(BTreeSet::from([other.to_owned()]))),
        }
    }

    /// A hierarchical keyring over the static key store of a `static-branch-key` entry.
    fn hierarchy(&self, description: &Value) -> Result<Built<Arc<dyn Keyring>>> {
        let name = description["key"]
            .as_str()
            .context("hierarchy keyring without a key name")?;
        let key = self.key(name)?;
        if key["type"].as_str() != Some("static-branch-key") {
            return Ok(Built::Unavailable(BTreeSet::from([
                "aws-kms-hierarchy".to_owned()
            ])));
        }
        let secret = |field: &str| -> Result<BranchKey> {
            let text = key[field]
                .as_str()
                .with_context(|| format!("{name}: no {field}"))?;
            Ok(BranchKey::new(BASE64.decode(text)?))
        };
        let store = StaticKeyStore::new(
            key["branchKeyVersion"]
                .as_str()
                .context("static branch key without a version")?,
            secret("branchKey")?,
            secret("beaconKey")?,
        )?;
        let branch_key_id = key["key-id"]
            .as_str()
            .context("static branch key without a key id")?;
        let keyring =
            HierarchicalKeyring::builder(store, branch_key_id, Duration::from_secs(600)).build()?;
        Ok(Built::Ready(Arc::new(keyring)))
    }

    fn raw(&self, description: &Value) -> Result<Arc<dyn Keyring>> {
        let name = description["key"]
            .as_str()
            .context("raw key without a key name")?;
        let namespace = description["provider-id"]
            .as_str()
            .context("raw key without provider-id")?;
        let key_name = self.key_name(name)?;
        let material = self.material(name)?;
        match description["encryption-algorithm"].as_str() {
            Some("aes") => {
                let bytes = BASE64.decode(material.as_bytes())?;
                Ok(Arc::new(RawAesKeyring::new(
                    namespace,
                    key_name,
                    WrappingKey::new(bytes),
                )?))
            }
            Some("rsa") => {
                let padding = match (
                    description["padding-algorithm"].as_str(),
                    description["padding-hash"].as_str(),
                ) {
                    (Some("pkcs1"), _) => RsaPadding::Pkcs1,
                    (Some("oaep-mgf1"), Some("sha1")) => RsaPadding::OaepSha1,
                    (Some("oaep-mgf1"), Some("sha256")) => RsaPadding::OaepSha256,
                    (Some("oaep-mgf1"), Some("sha384")) => RsaPadding::OaepSha384,
                    (Some("oaep-mgf1"), Some("sha512")) => RsaPadding::OaepSha512,
                    other => bail!("unknown RSA padding {other:?}"),
                };
                let builder = RawRsaKeyring::builder(namespace, key_name, padding);
                // The vectors include messages wrapped with PKCS #1 v1.5.
                let builder = match padding {
                    RsaPadding::Pkcs1 => builder.legacy_pkcs1_decryption(),
                    _ => builder,
                };
                let builder = match self.key(name)?["type"].as_str() {
                    // A private key can encrypt too when the manifest holds its public twin.
                    Some("private") => match self.public_twin(name) {
                        Some(twin) => builder
                            .private_key_pem(&material)
                            .public_key_pem(&self.material(&twin)?),
                        None => builder.private_key_pem(&material),
                    },
                    Some("public") => builder.public_key_pem(&material),
                    other => bail!("RSA key {name:?} of type {other:?}"),
                };
                Ok(Arc::new(builder.build()?))
            }
            other => bail!("unknown raw encryption algorithm {other:?}"),
        }
    }

    /// A raw ECDH keyring of an MPL `raw-ecdh` description. As in the MPL's own harness, the
    /// static scheme takes the sender's private key and the recipient's public key from the
    /// entry the sender names (an entry holds a sender and a recipient key pair), the
    /// ephemeral scheme the recipient's public key, discovery the recipient's private key.
    fn raw_ecdh(&self, description: &Value) -> Result<Arc<dyn Keyring>> {
        let curve = match description["ecc-curve"].as_str() {
            Some("ecc-256") => EcdhCurve::P256,
            Some("ecc-384") => EcdhCurve::P384,
            Some("ecc-521") => EcdhCurve::P521,
            other => bail!("unknown ECDH curve {other:?}"),
        };
        let field = |entry: &str, field: &str| -> Result<String> {
            self.key(entry)?[field]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("{entry}: no {field}"))
        };
        let public = |entry: &str| -> Result<Vec<u8>> {
            Ok(BASE64.decode(field(entry, "recipient-material-public-key")?)?)
        };
        let name = |role: &str| -> Result<&str> {
            description[role]
                .as_str()
                .with_context(|| format!("raw-ecdh description without {role}"))
        };
        let keyring = match description["schema"].as_str() {
            Some("static") => {
                let sender = name("sender")?;
                RawEcdhKeyring::static_keys(
                    curve,
                    field(sender, "sender-material")?.as_bytes(),
                    &public(sender)?,
                )?
            }
            Some("ephemeral") => RawEcdhKeyring::ephemeral(curve, &public(name("recipient")?)?)?,
            Some("discovery") => RawEcdhKeyring::discovery(
                curve,
                field(name("recipient")?, "recipient-material")?.as_bytes(),
            )?,
            other => bail!("unknown ECDH schema {other:?}"),
        };
        Ok(Arc::new(keyring))
    }

    /// The public half of an RSA key, for encrypting: the manifests name the private key and
    /// its public twin `<name>` with `-private` replaced by `-public`.
    pub fn public_twin(&self, name: &str) -> Option<String> {
        let twin = name.replace("-private", "-public");
        (twin != name && self.keys.contains_key(&twin)).then_some(twin)
    }
}
