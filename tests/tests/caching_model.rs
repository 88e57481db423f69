//! A model-based test of the caching manager: randomized sequences of encrypts, decrypts and
//! clock advances through several clients (commitment policies, suites, required keys) over
//! several caching managers (shared and separate partitions, different limits) on one cache,
//! checked against a small sequential reference model of what the manager may do.
//!
//! Every ciphertext is tallied by its data key from its bytes (the wrapped data key in its
//! header), never from the manager's counters, and decrypted by an independent reader.
//!
//! - Sequential runs on a local cache are checked **exactly**: the model predicts which
//!   messages share a data key and how many keyring calls are made (encrypt and decrypt).
//! - Concurrent runs (a multi-thread runtime, batches of operations at once; a local or a
//!   storm-tracking cache) are checked against the model's **rules**: messages share a key only
//!   when their requests may share materials, no key exceeds the tightest message and byte
//!   limits of the managers that used it, none is used after their tightest maximum age, and
//!   bypassed messages never share.
//!
//! `KEYWARD_MODEL_CASES` (default 256) and `KEYWARD_MODEL_SEED` choose the campaign;
//! `cargo xtask model` runs a long one. The seed is printed, so a failure reproduces.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a model test stops at its first failure and reports its campaign"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use keyward::cache::{
    CachingMaterialsManager, Clock as _, LocalCache, ManualClock, MaterialsCache, StormSettings,
    StormTrackingCache,
};
use keyward::format::{AlgorithmSuite, CommitmentPolicy, EncryptedDataKey};
use keyward::materials::{
    DecryptionMaterials, DefaultMaterialsManager, EncryptionMaterials, Keyring, RawAesKeyring,
    RequiredContextMaterialsManager, Result as MaterialsResult, WrappingKey, async_trait,
};
use keyward::{Client, EncryptionContext};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

// ---------------------------------------------------------------------------------------------
// The system under test.

/// Counts the keyring calls that reach it.
#[derive(Debug)]
struct CountingKeyring {
    inner: RawAesKeyring,
    encrypts: AtomicU64,
    decrypts: AtomicU64,
}

#[async_trait]
impl Keyring for CountingKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> MaterialsResult<EncryptionMaterials> {
        self.encrypts.fetch_add(1, Ordering::SeqCst);
        self.inner.on_encrypt(materials).await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        edks: &[EncryptedDataKey],
    ) -> MaterialsResult<DecryptionMaterials> {
        self.decrypts.fetch_add(1, Ordering::SeqCst);
        self.inner.on_decrypt(materials, edks).await
    }
}

fn raw_keyring() -> RawAesKeyring {
    RawAesKeyring::new("model", "key", WrappingKey::new(vec![0x5a; 32])).unwrap()
}

/// The contexts requests choose from; required keys are subsets of a context's keys.
fn contexts() -> Vec<EncryptionContext> {
    vec![
        EncryptionContext::new(),
        EncryptionContext::from([("a", "1")]),
        EncryptionContext::from([("a", "1"), ("b", "2")]),
        EncryptionContext::from([("a", "2")]),
    ]
}

/// The suites a client may ask for: the policy's default, committing, non-committing, and one
/// without a key derivation.
const SUITES: [Option<AlgorithmSuite>; 5] = [
    None,
    Some(AlgorithmSuite::Aes256GcmHkdfSha512Commit),
    Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384),
    Some(AlgorithmSuite::Aes256GcmHkdfSha256),
    Some(AlgorithmSuite::Aes256GcmNoKdf),
];

const POLICIES: [CommitmentPolicy; 3] = [
    CommitmentPolicy::ForbidEncryptAllowDecrypt,
    CommitmentPolicy::RequireEncryptAllowDecrypt,
    CommitmentPolicy::RequireEncryptRequireDecrypt,
];

#[derive(Clone, Copy, Debug)]
struct ManagerSpec {
    /// Managers with the same partition (0 or 1) share entries; 2 is a partition of its own.
    partition: u8,
    max_age_ms: u64,
    max_messages: u64,
    max_bytes: u64,
}

#[derive(Clone, Debug)]
struct ClientSpec {
    manager: usize,
    policy: CommitmentPolicy,
    suite: Option<AlgorithmSuite>,
    context: usize,
    /// Which of the context's keys are required (a bit per key, in key order).
    required: u8,
}

#[derive(Clone, Debug)]
enum Op {
    Encrypt {
        client: usize,
        size: u16,
        known_length: bool,
    },
    /// Decrypt message `message % messages` through manager `manager`.
    Decrypt {
        message: usize,
        manager: usize,
    },
    Advance {
        ms: u64,
    },
}

#[derive(Clone, Debug)]
struct Case {
    capacity: usize,
    storm: bool,
    concurrent: bool,
    managers: Vec<ManagerSpec>,
    clients: Vec<ClientSpec>,
    ops: Vec<Op>,
}

fn manager_spec() -> impl Strategy<Value = ManagerSpec> {
    (0..3u8, 1_000..20_000u64, 1..6u64, 1_000..12_000u64).prop_map(
        |(partition, max_age_ms, max_messages, max_bytes)| ManagerSpec {
            partition,
            max_age_ms,
            max_messages,
            max_bytes,
        },
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        1..6usize,
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.4),
        proptest::collection::vec(manager_spec(), 1..4),
    )
        .prop_flat_map(|(capacity, storm, concurrent, managers)| {
            let count = managers.len();
            let client = (0..count, 0..3usize, 0..SUITES.len(), 0..4usize, 0..4u8).prop_map(
                |(manager, policy, suite, context, required)| ClientSpec {
                    manager,
                    policy: POLICIES[policy],
                    suite: SUITES[suite],
                    context,
                    required,
                },
            );
            let op = prop_oneof![
                6 => (0..8usize, 0..4_000u16, prop::bool::weighted(0.85)).prop_map(
                    |(client, size, known_length)| Op::Encrypt { client, size, known_length }
                ),
                2 => (any::<usize>(), 0..count).prop_map(|(message, manager)| Op::Decrypt {
                    message,
                    manager
                }),
                1 => prop_oneof![Just(0u64), 1..3_000u64, 3_000..25_000u64]
                    .prop_map(|ms| Op::Advance { ms }),
            ];
            (
                Just(capacity),
                // The storm cache refreshes early: its runs are checked against the rules.
                Just(storm),
                Just(concurrent || storm),
                Just(managers),
                proptest::collection::vec(client, 1..8),
                proptest::collection::vec(op, 1..60),
            )
        })
        .prop_map(
            |(capacity, storm, concurrent, managers, clients, ops)| Case {
                capacity,
                storm,
                concurrent,
                managers,
                clients,
                ops,
            },
        )
}

impl ClientSpec {
    fn context(&self) -> EncryptionContext {
        contexts()[self.context].clone()
    }

    fn required_keys(&self) -> BTreeSet<String> {
        self.context()
            .iter()
            .enumerate()
            .filter(|(i, _)| self.required & (1 << i) != 0)
            .map(|(_, (key, _))| key.to_owned())
            .collect()
    }

    /// The suite the message will have, or `None` when the policy refuses the request.
    fn suite(&self) -> Option<AlgorithmSuite> {
        let suite = self.suite.unwrap_or(self.policy.default_suite());
        self.policy.allows_encrypt(suite).then_some(suite)
    }
}

/// One message written by the system, and how the model saw it.
#[derive(Clone, Debug)]
struct Message {
    ciphertext: Vec<u8>,
    plaintext: Vec<u8>,
    client: usize,
    /// When its encrypt started (on the cache's clock).
    at: Duration,
    /// The model's key label, in sequential runs.
    model_key: Option<usize>,
    /// Whether the caching manager must have bypassed the cache.
    bypassed: bool,
}

struct System {
    clock: ManualClock,
    keyring: Arc<CountingKeyring>,
    managers: Vec<CachingMaterialsManager>,
    clients: Vec<Client>,
}

fn build(case: &Case) -> System {
    let clock = ManualClock::new();
    let keyring = Arc::new(CountingKeyring {
        inner: raw_keyring(),
        encrypts: AtomicU64::new(0),
        decrypts: AtomicU64::new(0),
    });
    let cache: Arc<dyn MaterialsCache> = if case.storm {
        Arc::new(
            StormTrackingCache::builder(
                StormSettings::new(case.capacity)
                    .grace_period(Duration::from_millis(500))
                    .grace_interval(Duration::from_millis(100))
                    .in_flight_ttl(Duration::from_millis(500))
                    .sleep(Duration::from_millis(1)),
            )
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap(),
        )
    } else {
        Arc::new(
            LocalCache::builder(case.capacity)
                .clock(Arc::new(clock.clone()))
                .build(),
        )
    };
    let managers: Vec<CachingMaterialsManager> = case
        .managers
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let partition = match spec.partition {
                0 | 1 => format!("shared-{}", spec.partition),
                _ => format!("own-{i}"),
            };
            CachingMaterialsManager::with_keyring(
                keyring.clone(),
                cache.clone(),
                Duration::from_millis(spec.max_age_ms),
            )
            .max_messages(spec.max_messages)
            .max_bytes(spec.max_bytes)
            .partition(partition)
            .build()
            .unwrap()
        })
        .collect();
    let clients = case
        .clients
        .iter()
        .map(|spec| {
            let manager = managers[spec.manager].clone();
            let builder = if spec.required == 0 || spec.required_keys().is_empty() {
                Client::builder(manager)
            } else {
                Client::builder(RequiredContextMaterialsManager::new(
                    spec.required_keys(),
                    manager,
                ))
            };
            let builder = builder.commitment_policy(spec.policy);
            match spec.suite {
                Some(suite) => builder.suite(suite).build(),
                None => builder.build(),
            }
        })
        .collect();
    System {
        clock,
        keyring,
        managers,
        clients,
    }
}

// ---------------------------------------------------------------------------------------------
// The reference model: the local cache's LRU and the caching manager's rules, sequentially.

/// What may share an entry: the identifier's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Identity {
    Encrypt {
        partition: String,
        suite: Option<u16>,
        /// The suite the policy picks when none is named.
        chosen: Option<u16>,
        context: BTreeMap<String, String>,
        required: BTreeSet<String>,
    },
    Decrypt {
        partition: String,
        key: usize,
        reproduced: BTreeMap<String, String>,
    },
}

#[derive(Clone, Debug)]
struct ModelEntry {
    key: usize,
    created: Duration,
    expires: Duration,
    messages: u64,
    bytes: u64,
    max_age: Duration,
    max_messages: u64,
    max_bytes: u64,
}

#[derive(Default)]
struct Model {
    capacity: usize,
    /// Most recently used first.
    lru: Vec<(Identity, ModelEntry)>,
    keys: usize,
    encrypt_calls: u64,
    decrypt_calls: u64,
}

impl Model {
    fn position(&self, id: &Identity) -> Option<usize> {
        self.lru.iter().position(|(i, _)| i == id)
    }

    /// The local cache's lookup: an expired entry is removed; a live one moves to the front
    /// and the least recently used entry is pruned if it expired.
    fn get(&mut self, id: &Identity, now: Duration) -> Option<usize> {
        let at = self.position(id)?;
        if now > self.lru[at].1.expires {
            self.lru.remove(at);
            return None;
        }
        let entry = self.lru.remove(at);
        self.lru.insert(0, entry);
        if let Some((_, tail)) = self.lru.last()
            && tail.expires < now
        {
            self.lru.pop();
        }
        Some(0)
    }

    fn put(&mut self, id: Identity, entry: ModelEntry) {
        if let Some(at) = self.position(&id) {
            self.lru.remove(at);
        }
        if self.lru.len() >= self.capacity {
            self.lru.pop();
        }
        self.lru.insert(0, (id, entry));
    }

    fn new_key(&mut self) -> usize {
        self.keys += 1;
        self.keys
    }

    fn encrypt(&mut self, id: Identity, spec: &ManagerSpec, now: Duration, length: u64) -> usize {
        let max_age = Duration::from_millis(spec.max_age_ms);
        if let Some(at) = self.get(&id, now) {
            let entry = &mut self.lru[at].1;
            let age = entry.max_age.min(max_age);
            let messages = entry.max_messages.min(spec.max_messages);
            let bytes = entry.max_bytes.min(spec.max_bytes);
            if now.saturating_sub(entry.created) <= age
                && entry.messages < messages
                && entry.bytes + length <= bytes
            {
                entry.messages += 1;
                entry.bytes += length;
                (entry.max_age, entry.max_messages, entry.max_bytes) = (age, messages, bytes);
                return entry.key;
            }
            self.lru.remove(at);
        }
        self.encrypt_calls += 1;
        let key = self.new_key();
        let entry = ModelEntry {
            key,
            created: now,
            expires: now.saturating_add(max_age),
            messages: 1,
            bytes: length,
            max_age,
            max_messages: spec.max_messages,
            max_bytes: spec.max_bytes,
        };
        self.put(id, entry);
        key
    }

    fn decrypt(&mut self, id: Identity, spec: &ManagerSpec, now: Duration) {
        let max_age = Duration::from_millis(spec.max_age_ms);
        if let Some(at) = self.get(&id, now) {
            let entry = &mut self.lru[at].1;
            let age = entry.max_age.min(max_age);
            if now.saturating_sub(entry.created) <= age {
                entry.max_age = age;
                return;
            }
            self.lru.remove(at);
        }
        self.decrypt_calls += 1;
        let entry = ModelEntry {
            key: 0,
            created: now,
            expires: now.saturating_add(max_age),
            messages: 0,
            bytes: 0,
            max_age,
            max_messages: spec.max_messages,
            max_bytes: spec.max_bytes,
        };
        self.put(id, entry);
    }
}

fn partition_of(case: &Case, manager: usize) -> String {
    match case.managers[manager].partition {
        p @ (0 | 1) => format!("shared-{p}"),
        _ => format!("own-{manager}"),
    }
}

fn encrypt_identity(case: &Case, spec: &ClientSpec) -> Identity {
    Identity::Encrypt {
        partition: partition_of(case, spec.manager),
        suite: spec.suite.map(AlgorithmSuite::id),
        chosen: spec
            .suite
            .is_none()
            .then(|| spec.policy.default_suite().id()),
        context: spec
            .context()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        required: spec.required_keys(),
    }
}

/// Whether the caching manager must bypass the cache for this encrypt.
fn bypasses(case: &Case, spec: &ClientSpec, suite: AlgorithmSuite, length: Option<u64>) -> bool {
    length.is_none_or(|length| length > case.managers[spec.manager].max_bytes) || !suite.has_kdf()
}

// ---------------------------------------------------------------------------------------------
// Running a case.

fn wrapped_key(message: &[u8]) -> Vec<u8> {
    keyward::read_header(message).unwrap().encrypted_data_keys()[0]
        .ciphertext()
        .to_vec()
}

fn required_pairs(spec: &ClientSpec) -> EncryptionContext {
    let required = spec.required_keys();
    spec.context()
        .iter()
        .filter(|(k, _)| required.contains(*k))
        .collect()
}

struct Stats {
    messages: AtomicUsize,
    decrypts: AtomicUsize,
}

async fn encrypt_one(
    system: &System,
    case: &Case,
    client: usize,
    size: u16,
    known_length: bool,
) -> Option<Message> {
    let spec = &case.clients[client];
    let plaintext: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let at = system.clock.now();
    let result = if known_length {
        system.clients[client]
            .encrypt(&plaintext, &spec.context())
            .await
    } else {
        let mut out = Vec::new();
        system.clients[client]
            .encrypt_stream(&plaintext[..], &mut out, &spec.context(), None)
            .await
            .map(|_| out)
    };
    let Some(suite) = spec.suite() else {
        assert!(result.is_err(), "the policy refuses {spec:?}");
        return None;
    };
    let ciphertext = result.unwrap();
    let header = keyward::read_header(&ciphertext).unwrap();
    assert_eq!(header.suite(), suite, "{spec:?}");
    let length = known_length.then_some(u64::from(size));
    Some(Message {
        ciphertext,
        plaintext,
        client,
        at,
        model_key: None,
        bypassed: bypasses(case, spec, suite, length),
    })
}

/// An independent reader (no cache) checks what every message says about itself.
async fn check_message(reader: &Client, case: &Case, message: &Message) {
    let spec = &case.clients[message.client];
    let required = required_pairs(spec);
    let stored = keyward::read_header(&message.ciphertext)
        .unwrap()
        .encryption_context()
        .iter()
        .filter(|(key, _)| *key != EncryptionContext::PUBLIC_KEY)
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect::<BTreeMap<_, _>>();
    let expected_stored: BTreeMap<_, _> = spec
        .context()
        .iter()
        .filter(|(k, _)| !required.contains_key(k))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(stored, expected_stored, "stored pairs of {spec:?}");
    let decrypted = reader
        .decrypt_with_context(&message.ciphertext, &required)
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext(), message.plaintext);
    if !required.is_empty() {
        assert!(
            reader.decrypt(&message.ciphertext).await.is_err(),
            "required pairs must be supplied: {spec:?}"
        );
    }
}

async fn decrypt_through(system: &System, case: &Case, manager: usize, message: &Message) {
    let spec = &case.clients[message.client];
    let client = Client::builder(system.managers[manager].clone())
        .commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
        .build();
    let decrypted = client
        .decrypt_with_context(&message.ciphertext, &required_pairs(spec))
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext(), message.plaintext);
}

fn run_sequential(case: &Case, stats: &Stats) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = build(case);
        let reader = Client::builder(DefaultMaterialsManager::new(raw_keyring()))
            .commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
            .build();
        let mut model = Model {
            capacity: case.capacity,
            ..Model::default()
        };
        let mut messages: Vec<Message> = Vec::new();
        for op in &case.ops {
            match *op {
                Op::Encrypt {
                    client,
                    size,
                    known_length,
                } => {
                    let client = client % case.clients.len();
                    let Some(mut message) =
                        encrypt_one(&system, case, client, size, known_length).await
                    else {
                        continue;
                    };
                    let spec = &case.clients[client];
                    let now = system.clock.now();
                    message.model_key = Some(if message.bypassed {
                        model.encrypt_calls += 1;
                        model.new_key()
                    } else {
                        model.encrypt(
                            encrypt_identity(case, spec),
                            &case.managers[spec.manager],
                            now,
                            u64::from(size),
                        )
                    });
                    messages.push(message);
                }
                Op::Decrypt { message, manager } => {
                    if messages.is_empty() {
                        continue;
                    }
                    let message = &messages[message % messages.len()];
                    decrypt_through(&system, case, manager, message).await;
                    let suite = keyward::read_header(&message.ciphertext).unwrap().suite();
                    if suite.has_kdf() {
                        let required = required_pairs(&case.clients[message.client]);
                        model.decrypt(
                            Identity::Decrypt {
                                partition: partition_of(case, manager),
                                key: message.model_key.unwrap(),
                                reproduced: required
                                    .iter()
                                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                                    .collect(),
                            },
                            &case.managers[manager],
                            system.clock.now(),
                        );
                    } else {
                        model.decrypt_calls += 1;
                    }
                    stats.decrypts.fetch_add(1, Ordering::Relaxed);
                }
                Op::Advance { ms } => system.clock.advance(Duration::from_millis(ms)),
            }
        }
        // The messages the model says share a key are exactly those whose bytes do.
        let mut by_model: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut by_bytes: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, message) in messages.iter().enumerate() {
            by_model
                .entry(message.model_key.unwrap())
                .or_default()
                .push(i);
            by_bytes
                .entry(wrapped_key(&message.ciphertext))
                .or_default()
                .push(i);
        }
        let mut model_groups: Vec<Vec<usize>> = by_model.into_values().collect();
        let mut byte_groups: Vec<Vec<usize>> = by_bytes.into_values().collect();
        model_groups.sort();
        byte_groups.sort();
        assert_eq!(byte_groups, model_groups, "which messages share a data key");
        assert_eq!(
            system.keyring.encrypts.load(Ordering::SeqCst),
            model.encrypt_calls,
            "keyring calls on encrypt"
        );
        assert_eq!(
            system.keyring.decrypts.load(Ordering::SeqCst),
            model.decrypt_calls,
            "keyring calls on decrypt"
        );
        check_rules(case, &messages);
        for message in &messages {
            check_message(&reader, case, message).await;
        }
        stats.messages.fetch_add(messages.len(), Ordering::Relaxed);
    });
}

fn run_concurrent(case: &Case, stats: &Stats) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = Arc::new(build(case));
        let case = Arc::new(case.clone());
        let reader = Client::builder(DefaultMaterialsManager::new(raw_keyring()))
            .commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
            .build();
        let mut messages: Vec<Message> = Vec::new();
        // Operations between two clock advances run at once.
        let mut rest: &[Op] = &case.ops;
        while !rest.is_empty() {
            let end = rest
                .iter()
                .position(|op| matches!(op, Op::Advance { .. }))
                .unwrap_or(rest.len());
            let (batch, after) = rest.split_at(end);
            let known = messages.clone();
            let tasks: Vec<_> = batch
                .iter()
                .cloned()
                .map(|op| {
                    let (system, case, known) = (system.clone(), case.clone(), known.clone());
                    tokio::spawn(async move {
                        match op {
                            Op::Encrypt {
                                client,
                                size,
                                known_length,
                            } => {
                                let client = client % case.clients.len();
                                encrypt_one(&system, &case, client, size, known_length).await
                            }
                            Op::Decrypt { message, manager } => {
                                if !known.is_empty() {
                                    let message = &known[message % known.len()];
                                    decrypt_through(&system, &case, manager, message).await;
                                }
                                None
                            }
                            Op::Advance { .. } => None,
                        }
                    })
                })
                .collect();
            for task in tasks {
                if let Some(message) = task.await.unwrap() {
                    messages.push(message);
                }
            }
            let decrypts = batch
                .iter()
                .filter(|op| matches!(op, Op::Decrypt { .. }))
                .count();
            stats.decrypts.fetch_add(decrypts, Ordering::Relaxed);
            rest = match after.split_first() {
                Some((Op::Advance { ms }, after)) => {
                    system.clock.advance(Duration::from_millis(*ms));
                    after
                }
                _ => after,
            };
        }
        check_rules(&case, &messages);
        for message in &messages {
            check_message(&reader, &case, message).await;
        }
        stats.messages.fetch_add(messages.len(), Ordering::Relaxed);
    });
}

/// The rules every run keeps, whatever the interleaving.
fn check_rules(case: &Case, messages: &[Message]) {
    let mut groups: HashMap<Vec<u8>, Vec<&Message>> = HashMap::new();
    for message in messages {
        groups
            .entry(wrapped_key(&message.ciphertext))
            .or_default()
            .push(message);
    }
    for group in groups.values() {
        let first = group[0];
        let spec = &case.clients[first.client];
        if first.bypassed {
            // Not cached: alone with its key, and no limit applies.
            assert_eq!(group.len(), 1, "a bypassed message shares its data key");
            continue;
        }
        // One identity per data key.
        let identity = encrypt_identity(case, spec);
        for message in group {
            assert_eq!(
                encrypt_identity(case, &case.clients[message.client]),
                identity,
                "messages of different identities share a data key"
            );
        }
        // The tightest limits of the managers that used the key.
        let used: BTreeSet<usize> = group
            .iter()
            .map(|m| case.clients[m.client].manager)
            .collect();
        let limits = used.iter().map(|&m| case.managers[m]);
        let max_messages = limits.clone().map(|l| l.max_messages).min().unwrap();
        let max_bytes = limits.clone().map(|l| l.max_bytes).min().unwrap();
        let max_age = limits.map(|l| l.max_age_ms).min().unwrap();
        assert!(
            group.len() as u64 <= max_messages,
            "{} messages",
            group.len()
        );
        let bytes: u64 = group.iter().map(|m| m.plaintext.len() as u64).sum();
        assert!(bytes <= max_bytes, "{bytes} bytes, limit {max_bytes}");
        let start = group.iter().map(|m| m.at).min().unwrap();
        let end = group.iter().map(|m| m.at).max().unwrap();
        assert!(
            end - start <= Duration::from_millis(max_age),
            "a key used {:?} after its first message, max age {max_age} ms",
            end - start
        );
    }
}

#[test]
fn the_caching_manager_keeps_to_its_model() {
    let cases: u32 = std::env::var("KEYWARD_MODEL_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let seed: u64 = std::env::var("KEYWARD_MODEL_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x006b_6579_7761_7264);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let stats = Stats {
        messages: AtomicUsize::new(0),
        decrypts: AtomicUsize::new(0),
    };
    let counts = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let result = runner.run(&case(), |case| {
        if case.concurrent {
            counts[1].fetch_add(1, Ordering::Relaxed);
            run_concurrent(&case, &stats);
        } else {
            counts[0].fetch_add(1, Ordering::Relaxed);
            run_sequential(&case, &stats);
        }
        Ok(())
    });
    println!(
        "caching model: seed {seed}, {cases} cases ({} sequential and exact, {} concurrent), {} \
         messages tallied, {} decrypts through caching managers",
        counts[0].load(Ordering::Relaxed),
        counts[1].load(Ordering::Relaxed),
        stats.messages.load(Ordering::Relaxed),
        stats.decrypts.load(Ordering::Relaxed),
    );
    if let Err(error) = result {
        panic!("{error}\nreproduce with KEYWARD_MODEL_SEED={seed}");
    }
}
