//! `keyward keystore …`: a branch key store's table, keys, versions and an audit of them.

use anyhow::Result;
use keyward::hierarchy::{
    BranchKeyVersion, DynamoDbKeyStore, KeyStore as _, KeyStoreAdmin as _, KmsConfiguration,
};
use serde_json::{Value, json};

use crate::args::{KeystoreArgs, KeystoreCommand};
use crate::keys::{self, StoreSpec};

/// Runs one `keystore` subcommand and prints its result: text, or JSON with `--json`.
pub(crate) async fn run(command: KeystoreCommand) -> Result<()> {
    match command {
        KeystoreCommand::Create(args) => {
            let arn = store_of(&args).await?.create_key_store().await?;
            print(&args, &json!({ "table_arn": arn }), || arn.clone());
        }
        KeystoreCommand::CreateKey(args) => {
            let context = keys::context(&args.context)?;
            let created = store_of(&args.store)
                .await?
                .create_key(args.branch_key_id.as_deref(), &context)
                .await?;
            print(
                &args.store,
                &json!({ "branch_key_id": created.branch_key_id, "version": created.version }),
                || created.branch_key_id.clone(),
            );
        }
        KeystoreCommand::VersionKey(args) => {
            let versioned = store_of(&args.store)
                .await?
                .version_key(&args.branch_key_id)
                .await?;
            print(
                &args.store,
                &json!({
                    "branch_key_id": versioned.branch_key_id,
                    "previous_version": versioned.previous_version,
                    "version": versioned.version,
                }),
                || {
                    format!(
                        "{}: {} -> {}",
                        versioned.branch_key_id, versioned.previous_version, versioned.version
                    )
                },
            );
        }
        KeystoreCommand::Versions(args) => {
            let versions = store_of(&args.store)
                .await?
                .get_branch_key_versions(&args.branch_key_id)
                .await?;
            let listed: Vec<Value> = versions.iter().map(version_json).collect();
            print(&args.store, &Value::Array(listed), || {
                versions
                    .iter()
                    .map(|v| {
                        let active = if v.active { "  active" } else { "" };
                        format!("{}  {}{active}", v.version, v.create_time)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        KeystoreCommand::Describe(args) => {
            let store = store_of(&args.store).await?;
            let description = describe(&store, args.branch_key_id.as_deref()).await?;
            print(&args.store, &description, || describe_text(&description));
        }
    }
    Ok(())
}

/// The store's configuration and, for a branch key, every version audited: each is read and
/// decrypted under the configured KMS key, and the outcome recorded (never the key).
async fn describe(store: &DynamoDbKeyStore, branch_key_id: Option<&str>) -> Result<Value> {
    let info = store.info();
    let mut description = json!({
        "table": info.table_name,
        "logical_key_store_name": info.logical_key_store_name,
        "kms": match &info.kms_configuration {
            Some(KmsConfiguration::KeyArn(arn)) => json!({ "key_arn": arn }),
            Some(KmsConfiguration::MrkKeyArn(arn)) => json!({ "mrk_key_arn": arn }),
            Some(KmsConfiguration::MrkDiscovery { region }) => {
                json!({ "mrk_discovery_region": region })
            }
            _ => json!("discovery"),
        },
    });
    let Some(id) = branch_key_id else {
        return Ok(description);
    };
    let versions = store.get_branch_key_versions(id).await?;
    let mut audited = Vec::with_capacity(versions.len());
    let mut failures = 0_usize;
    for version in &versions {
        let mut entry = version_json(version);
        match store.get_branch_key_version(id, &version.version).await {
            Ok(_) => entry["decrypts"] = true.into(),
            Err(error) => {
                failures += 1;
                entry["decrypts"] = false.into();
                entry["error"] = error.to_string().into();
            }
        }
        audited.push(entry);
    }
    let active = versions.iter().find(|v| v.active);
    description["branch_key_id"] = id.into();
    description["active_version"] = active.map(|v| v.version.clone()).into();
    description["encryption_context"] = active
        .map(|v| context_json(&v.encryption_context))
        .unwrap_or_else(|| json!({}));
    description["versions"] = audited.into();
    description["versions_failing"] = failures.into();
    Ok(description)
}

fn describe_text(description: &Value) -> String {
    let text = |key: &str| description[key].as_str().unwrap_or("-").to_owned();
    let mut lines = vec![
        format!("table: {}", text("table")),
        format!("logical key store name: {}", text("logical_key_store_name")),
        format!("kms: {}", description["kms"]),
    ];
    if let Some(versions) = description["versions"].as_array() {
        lines.push(format!("branch key: {}", text("branch_key_id")));
        lines.push(format!("active version: {}", text("active_version")));
        lines.push(format!(
            "encryption context: {}",
            description["encryption_context"]
        ));
        for version in versions {
            let field = |key: &str| version[key].as_str().unwrap_or("-").to_owned();
            let active = if version["active"] == true {
                "  active"
            } else {
                ""
            };
            let audit = match version["error"].as_str() {
                None => "decrypts".to_owned(),
                Some(error) => format!("DOES NOT DECRYPT: {error}"),
            };
            lines.push(format!(
                "  {}  {}  {}  {audit}{active}",
                field("version"),
                field("create_time"),
                field("kms_key_arn"),
            ));
        }
    }
    lines.join("\n")
}

fn version_json(version: &BranchKeyVersion) -> Value {
    json!({
        "version": version.version,
        "create_time": version.create_time,
        "kms_key_arn": version.kms_key_arn,
        "encryption_context": context_json(&version.encryption_context),
        "active": version.active,
    })
}

fn context_json(context: &keyward::EncryptionContext) -> Value {
    context
        .iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn print(args: &KeystoreArgs, value: &Value, text: impl FnOnce() -> String) {
    if args.json {
        println!("{value:#}");
    } else {
        println!("{}", text());
    }
}

async fn store_of(args: &KeystoreArgs) -> Result<DynamoDbKeyStore> {
    keys::key_store(&StoreSpec {
        table: &args.table,
        logical_name: args.logical_name.as_deref(),
        kms_key: args.kms_key.as_deref(),
        mrk_kms_key: args.mrk_kms_key.as_deref(),
        mrk_discovery_region: args.mrk_discovery_region.as_deref(),
        kms_region: args.kms_region.as_deref(),
        consistent_reads: args.consistent_reads,
        grant_tokens: &[],
        aws: &args.aws,
    })
    .await
}
