//! The moto server fixture: the endpoint `cargo xtask test` started, and SDK clients for it.
//!
//! A test that needs the server fails when it is missing; nothing here ever points at an
//! address that is not loopback.

#![expect(clippy::expect_used, reason = "fixtures panic with what moto refused")]

use std::time::Duration;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward::kms::KmsCallCounter;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The environment variable holding the endpoint (`http://127.0.0.1:PORT`).
pub const ENDPOINT_VAR: &str = "KEYWARD_MOTO_ENDPOINT";

/// The account moto creates resources in.
pub const ACCOUNT: &str = "123456789012";

/// The endpoint of the running moto server.
///
/// # Panics
/// When the variable is unset (the tests were not started by `cargo xtask test`) or names a
/// host that is not loopback.
pub fn endpoint() -> String {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VAR} is not set: run the tests with `cargo xtask test`, which starts moto server")
    });
    let host = endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.rsplit_once(':'))
        .map(|(host, _port)| host);
    assert!(
        matches!(host, Some("127.0.0.1" | "localhost" | "[::1]")),
        "{ENDPOINT_VAR}={endpoint:?} is not a loopback http endpoint"
    );
    endpoint
}

/// A KMS configuration for the moto server in `region`, counting calls with `counter`.
pub fn kms_config(region: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Config {
    aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new(
            "keyward-test",
            "keyward-test",
            None,
            None,
            "moto",
        ))
        .interceptor(counter.clone())
        .build()
}

/// A KMS client for the moto server in `region`, counting calls with `counter`.
pub fn kms_client(region: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(kms_config(region, counter))
}

/// A DynamoDB client for the moto server in `region`, counting calls with `counter` (the
/// counter's interceptor counts any AWS operation; DynamoDB calls land in `other`).
pub fn ddb_client(region: &str, counter: &KmsCallCounter) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new(
            "keyward-test",
            "keyward-test",
            None,
            None,
            "moto",
        ))
        .interceptor(counter.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Creates a symmetric KMS key and returns its ARN.
///
/// # Panics
/// When moto refuses.
pub async fn create_key(client: &aws_sdk_kms::Client) -> String {
    let output = client.create_key().send().await.expect("CreateKey");
    output
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("key ARN")
        .to_owned()
}

/// Creates a multi-Region key and replicates it into `replica_region`; returns the primary
/// and the replica ARN.
///
/// # Panics
/// When moto refuses.
pub async fn create_multi_region_key(
    client: &aws_sdk_kms::Client,
    replica_region: &str,
) -> (String, String) {
    let output = client
        .create_key()
        .multi_region(true)
        .send()
        .await
        .expect("CreateKey");
    let metadata = output.key_metadata().expect("key metadata");
    let primary = metadata.arn().expect("key ARN").to_owned();
    let replica = client
        .replicate_key()
        .key_id(metadata.key_id())
        .replica_region(replica_region)
        .send()
        .await
        .expect("ReplicateKey");
    let replica = replica
        .replica_key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("replica ARN")
        .to_owned();
    (primary, replica)
}

/// The environment variables through which `cargo xtask test` says how to start moto: the
/// venv's Python and the project's launcher.
pub const PYTHON_VAR: &str = "KEYWARD_MOTO_PYTHON";
/// See [`PYTHON_VAR`].
pub const SERVE_VAR: &str = "KEYWARD_MOTO_SERVE";

/// A moto server of one test's own (not the shared one), with deterministic KMS keys: a test
/// can stop it and start it again on the same port, and with the same seed and the same key
/// creations it holds the same keys again.
#[derive(Debug)]
pub struct OwnMoto {
    child: Option<std::process::Child>,
    port: u16,
}

impl OwnMoto {
    /// Starts one on a free loopback port.
    ///
    /// # Panics
    /// When `cargo xtask test` did not say how to start moto, or it does not start.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut moto = Self { child: None, port };
        moto.restart();
        moto
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server process (an outage: connections are refused from now on).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it answers.
    ///
    /// # Panics
    /// When it does not start within a minute.
    pub fn restart(&mut self) {
        self.stop();
        let python = std::env::var(PYTHON_VAR).unwrap_or_else(|_| {
            panic!("{PYTHON_VAR} is not set: run the tests with `cargo xtask test`")
        });
        let serve = std::env::var(SERVE_VAR).unwrap_or_else(|_| {
            panic!("{SERVE_VAR} is not set: run the tests with `cargo xtask test`")
        });
        let child = std::process::Command::new(python)
            .arg(serve)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .env("KEYWARD_MOTO_DETERMINISTIC_KEYS", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting moto server");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if self.post("/moto-api/seed?a=1234").is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto did not start on port {}", self.port);
    }

    /// A bare HTTP POST to the server (for moto's own API).
    fn post(&self, path: &str) -> std::io::Result<()> {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
        )?;
        let mut answer = [0; 12];
        stream.read_exact(&mut answer)?;
        if answer.starts_with(b"HTTP/1.0 200") || answer.starts_with(b"HTTP/1.1 200") {
            Ok(())
        } else {
            Err(std::io::Error::other("moto did not accept the seed"))
        }
    }

    /// A KMS client for this server in `region`.
    pub fn kms_client(&self, region: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Client {
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(
                "keyward-test",
                "keyward-test",
                None,
                None,
                "moto",
            ))
            .interceptor(counter.clone())
            .build();
        aws_sdk_kms::Client::from_conf(config)
    }
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates an asymmetric KMS key of `spec` and `usage`; returns its ARN and its public key
/// (`SubjectPublicKeyInfo` DER, from `GetPublicKey`).
///
/// # Panics
/// When moto refuses.
pub async fn create_asymmetric_key(
    client: &aws_sdk_kms::Client,
    spec: aws_sdk_kms::types::KeySpec,
    usage: aws_sdk_kms::types::KeyUsageType,
) -> (String, Vec<u8>) {
    let output = client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .expect("CreateKey");
    let arn = output
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("key ARN")
        .to_owned();
    let public = client
        .get_public_key()
        .key_id(&arn)
        .send()
        .await
        .expect("GetPublicKey");
    let der = public.public_key().expect("PublicKey").as_ref().to_vec();
    (arn, der)
}

/// A TCP proxy on loopback in front of `upstream` (`host:port`) that holds every chunk a
/// client sends for `delay` before passing it on, so that each request arrives `delay` late:
/// a slow service. Returns its endpoint URL; it runs until the runtime ends.
///
/// # Panics
/// When no loopback port can be bound.
pub async fn delaying_proxy(upstream: String, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let requests = async move {
                    let mut buffer = vec![0; 64 << 10];
                    while let Ok(n @ 1..) = client_read.read(&mut buffer).await {
                        tokio::time::sleep(delay).await;
                        if server_write.write_all(&buffer[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let responses = async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                };
                tokio::join!(requests, responses);
            });
        }
    });
    format!("http://{address}")
}
