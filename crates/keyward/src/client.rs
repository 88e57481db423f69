//! The `Client`: materials → engine, for whole buffers and for streams.
//!
//! spec: client-apis/encrypt.md, client-apis/decrypt.md, client-apis/client.md

use core::num::{NonZeroU16, NonZeroUsize};
use std::sync::Arc;

use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, DecryptOptions, Decryptor, EncryptParams, EncryptedDataKey,
    EncryptionContext, Encryptor, FrameLength, Header,
};
use keyward_materials::{
    DecryptionRequest, DefaultMaterialsManager, EncryptionMaterials, EncryptionRequest, Keyring,
    MaterialsManager,
};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::error::{Error, Result};

/// Encrypts and decrypts AWS Encryption SDK messages with one materials manager.
///
/// Cheap to clone; every clone shares the manager.
///
/// ```
/// use keyward::materials::{RawAesKeyring, WrappingKey};
/// use keyward::{Client, EncryptionContext};
///
/// # async fn run() -> Result<(), keyward::Error> {
/// let keyring = RawAesKeyring::new("my-namespace", "my-key", WrappingKey::new(vec![7; 32]))?;
/// let client = Client::new(keyring);
/// let context = EncryptionContext::from([("purpose", "example")]);
/// let ciphertext = client.encrypt(b"hello", &context).await?;
/// let decrypted = client.decrypt(&ciphertext).await?;
/// assert_eq!(decrypted.plaintext(), b"hello");
/// assert_eq!(decrypted.info().encryption_context().get("purpose"), Some("example"));
/// # Ok(())
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    manager: Arc<dyn MaterialsManager>,
    commitment_policy: CommitmentPolicy,
    frame_length: FrameLength,
    suite: Option<AlgorithmSuite>,
    max_encrypted_data_keys: Option<NonZeroU16>,
    max_header_length: Option<usize>,
    max_body_length: Option<u64>,
    net_v4_0_0_retry: bool,
    max_threads: Option<NonZeroUsize>,
    stream_window: usize,
}

/// Configures a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    client: Client,
}

impl Client {
    /// A client with the default settings over a default materials manager for `keyring`:
    /// shorthand for `Client::builder(DefaultMaterialsManager::new(keyring)).build()`.
    pub fn new(keyring: impl Keyring + 'static) -> Self {
        Self::builder(DefaultMaterialsManager::new(keyring)).build()
    }

    /// Starts a client over any materials manager (default, caching, required-context, your
    /// own, or an `Arc` of one shared with other clients).
    pub fn builder(manager: impl MaterialsManager + 'static) -> ClientBuilder {
        ClientBuilder {
            client: Self {
                manager: Arc::new(manager),
                commitment_policy: CommitmentPolicy::RequireEncryptRequireDecrypt,
                frame_length: FrameLength::DEFAULT,
                suite: None,
                max_encrypted_data_keys: None,
                max_header_length: None,
                max_body_length: None,
                net_v4_0_0_retry: true,
                max_threads: None,
                stream_window: STREAM_CHUNK,
            },
        }
    }

    /// The commitment policy.
    pub fn commitment_policy(&self) -> CommitmentPolicy {
        self.commitment_policy
    }

    /// Encrypts a whole plaintext.
    ///
    /// # Errors
    /// [`keyward_format::Error::ReservedEncryptionContextKey`],
    /// [`keyward_format::Error::CommitmentPolicy`], a keyring's failure, or
    /// [`keyward_format::Error::TooManyEncryptedDataKeys`]; [`Error::kind`] classifies them.
    pub async fn encrypt(&self, plaintext: &[u8], context: &EncryptionContext) -> Result<Vec<u8>> {
        let materials = self
            .encryption_materials(context, Some(plaintext.len() as u64))
            .await?;
        let mut out = Vec::with_capacity(plaintext.len() + plaintext.len() / 64 + 1024);
        let mut encryptor = self.start_encryptor(&materials, &mut out)?;
        encryptor.update(plaintext, &mut out)?;
        encryptor.finish(&mut out)?;
        Ok(out)
    }

    /// Decrypts a whole message. Nothing is returned unless the whole message authenticates.
    ///
    /// # Errors
    /// A malformed or tampered message, a policy violation, or no decryptable data key.
    pub async fn decrypt(&self, ciphertext: &[u8]) -> Result<Decrypted> {
        self.decrypt_inner(ciphertext, None).await
    }

    /// Decrypts a whole message, checking `reproduced` against its encryption context and
    /// supplying the pairs the writer authenticated without storing (required context).
    ///
    /// # Errors
    /// As [`Client::decrypt`], and a context that disagrees with the message's.
    pub async fn decrypt_with_context(
        &self,
        ciphertext: &[u8],
        reproduced: &EncryptionContext,
    ) -> Result<Decrypted> {
        self.decrypt_inner(ciphertext, Some(reproduced)).await
    }

    /// Encrypts from a reader to a writer, frame by frame, holding at most one frame of
    /// plaintext and the read buffer in memory.
    ///
    /// `plaintext_len` declares the length when the caller knows it (a caching manager then
    /// may reuse a data key); the stream fails if the input is longer.
    ///
    /// # Errors
    /// As [`Client::encrypt`], I/O errors, and [`Error::PlaintextLengthExceeded`].
    pub async fn encrypt_stream<R, W>(
        &self,
        mut reader: R,
        mut writer: W,
        context: &EncryptionContext,
        plaintext_len: Option<u64>,
    ) -> Result<MessageInfo>
    where
        R: AsyncRead + Unpin + Send,
        W: AsyncWrite + Unpin + Send,
    {
        let materials = self.encryption_materials(context, plaintext_len).await?;
        let window = self.stream_window;
        let mut out = Vec::with_capacity(window + window / 64 + 1024);
        let mut encryptor = self.start_encryptor(&materials, &mut out)?;
        let header = Header::from_bytes(&out, None)?.0;
        let mut chunk = vec![0u8; window];
        let mut total = 0u64;
        loop {
            let read = read_window(&mut reader, &mut chunk).await?;
            if read == 0 {
                break;
            }
            total += read as u64;
            if plaintext_len.is_some_and(|declared| total > declared) {
                return Err(Error::PlaintextLengthExceeded {
                    declared: plaintext_len.unwrap_or_default(),
                });
            }
            encryptor.update(chunk.get(..read).unwrap_or_default(), &mut out)?;
            writer.write_all(&out).await?;
            out.clear();
        }
        encryptor.finish(&mut out)?;
        writer.write_all(&out).await?;
        writer.flush().await?;
        Ok(MessageInfo::from_header(&header, total))
    }

    /// Decrypts from a reader to a writer, frame by frame.
    ///
    /// Each frame's plaintext is written once its tag verifies. For signed messages the final
    /// frame is written only after the signature verifies, but earlier frames have been
    /// written by then: write to a place the caller can discard on error, or use
    /// [`StreamOptions::unsigned_only`], which refuses signed messages before any plaintext.
    ///
    /// # Security
    /// Streams come from outside: the stream options limit the header (1 MiB and 256
    /// encrypted data keys by default, far above any honest message) and, when set, the
    /// frame length, before the bytes that break them are buffered; the tighter of the
    /// client's and the stream's limits applies. The time spent is linear in the input,
    /// whatever its chunking.
    ///
    /// # Errors
    /// As [`Client::decrypt`], the limits' errors
    /// ([`keyward_format::Error::HeaderTooLong`],
    /// [`keyward_format::Error::TooManyEncryptedDataKeys`],
    /// [`keyward_format::Error::BodyTooLong`]), and I/O errors.
    pub async fn decrypt_stream<R, W>(
        &self,
        mut reader: R,
        mut writer: W,
        options: StreamOptions<'_>,
    ) -> Result<MessageInfo>
    where
        R: AsyncRead + Unpin + Send,
        W: AsyncWrite + Unpin + Send,
    {
        let mut decryptor = Decryptor::new(self.stream_decrypt_options(&options));
        // The header arrives 64 KiB at a time (its limits are checked as it is read); the
        // body a window at a time, allocated only once the header has passed.
        let window = self.stream_window;
        let mut chunk = vec![0u8; STREAM_CHUNK];
        let mut out = Vec::new();
        let mut header = None;
        let mut total = 0u64;
        loop {
            let read = if header.is_none() {
                reader.read(&mut chunk).await?
            } else {
                if chunk.len() < window {
                    chunk.resize(window, 0);
                    out.reserve(window + 8192);
                }
                read_window(&mut reader, &mut chunk).await?
            };
            let mut input = chunk.get(..read).unwrap_or_default();
            if header.is_none() {
                if read == 0 {
                    return Err(keyward_format::Error::Truncated.into());
                }
                let Some(parsed) = decryptor.read_header(&mut input)? else {
                    continue;
                };
                let parsed = parsed.clone();
                self.begin_body(&mut decryptor, &parsed, options.reproduced_context)
                    .await?;
                header = Some(parsed);
            }
            if read == 0 {
                break;
            }
            decryptor.decrypt(&mut input, &mut out)?;
            total += out.len() as u64;
            writer.write_all(&out).await?;
            out.clear();
        }
        decryptor.finish()?;
        writer.flush().await?;
        let header = header.ok_or(keyward_format::Error::Truncated)?;
        Ok(MessageInfo::from_header(&header, total))
    }

    async fn encryption_materials(
        &self,
        context: &EncryptionContext,
        plaintext_len: Option<u64>,
    ) -> Result<EncryptionMaterials> {
        if let Some(reserved) = context.reserved_key() {
            return Err(
                keyward_format::Error::ReservedEncryptionContextKey(reserved.to_owned()).into(),
            );
        }
        let mut request = EncryptionRequest::new(context.clone(), self.commitment_policy);
        request.suite = self.suite;
        request.max_plaintext_length = plaintext_len;
        let materials = self.manager.get_encryption_materials(request).await?;
        let suite = materials.suite();
        if !self.commitment_policy.allows_encrypt(suite) {
            return Err(keyward_format::Error::CommitmentPolicy {
                policy: self.commitment_policy,
                suite,
            }
            .into());
        }
        if let Some(max) = self.max_encrypted_data_keys {
            let count = materials.encrypted_data_keys().len();
            if count > usize::from(max.get()) {
                return Err(keyward_format::Error::TooManyEncryptedDataKeys {
                    count,
                    max: max.get(),
                }
                .into());
            }
        }
        Ok(materials)
    }

    fn start_encryptor(
        &self,
        materials: &EncryptionMaterials,
        out: &mut Vec<u8>,
    ) -> Result<Encryptor> {
        let data_key = materials
            .data_key()
            .ok_or(keyward_materials::Error::MissingDataKey)?;
        let required = materials.required_encryption_context_keys();
        let (authenticated, stored): (Vec<_>, Vec<_>) = materials
            .encryption_context()
            .iter()
            .partition(|(key, _)| required.contains(*key));
        let stored: EncryptionContext = stored.into_iter().collect();
        let authenticated: EncryptionContext = authenticated.into_iter().collect();
        let mut params = EncryptParams::new(
            materials.suite(),
            data_key.expose_secret(),
            materials.encrypted_data_keys(),
        )
        .encryption_context(&stored)
        .required_encryption_context(&authenticated)
        .frame_length(self.frame_length);
        if let Some(key) = materials.signing_key() {
            params = params.signing_key(key.clone());
        }
        if let Some(threads) = self.max_threads {
            params = params.max_threads(threads);
        }
        Ok(Encryptor::start(params, out)?)
    }

    async fn decrypt_inner(
        &self,
        ciphertext: &[u8],
        reproduced: Option<&EncryptionContext>,
    ) -> Result<Decrypted> {
        let mut decryptor = Decryptor::new(self.decrypt_options());
        let mut input = ciphertext;
        let header = decryptor
            .read_header(&mut input)?
            .ok_or(keyward_format::Error::Truncated)?
            .clone();
        self.begin_body(&mut decryptor, &header, reproduced).await?;
        let mut plaintext = Vec::with_capacity(input.len());
        decryptor.decrypt(&mut input, &mut plaintext)?;
        decryptor.finish()?;
        let info = MessageInfo::from_header(&header, plaintext.len() as u64);
        Ok(Decrypted { plaintext, info })
    }

    async fn begin_body(
        &self,
        decryptor: &mut Decryptor,
        header: &Header,
        reproduced: Option<&EncryptionContext>,
    ) -> Result<()> {
        let mut request = DecryptionRequest::new(
            header.suite(),
            self.commitment_policy,
            header.encrypted_data_keys().to_vec(),
            header.encryption_context().clone(),
        );
        request.reproduced_encryption_context = reproduced.cloned();
        let materials = self.manager.decrypt_materials(request).await?;
        let data_key = materials
            .data_key()
            .ok_or(keyward_materials::Error::MissingDataKey)?;
        decryptor.begin_body(
            data_key.expose_secret(),
            &materials.required_encryption_context(),
            materials.verification_key().cloned(),
        )?;
        Ok(())
    }

    fn decrypt_options(&self) -> DecryptOptions {
        self.limited_options(
            self.max_encrypted_data_keys,
            self.max_header_length,
            self.max_body_length,
        )
    }

    /// The client's options with the stream's limits: the tighter of each.
    fn stream_decrypt_options(&self, stream: &StreamOptions<'_>) -> DecryptOptions {
        self.limited_options(
            tighter(self.max_encrypted_data_keys, stream.max_encrypted_data_keys),
            tighter(self.max_header_length, stream.max_header_length),
            tighter(self.max_body_length, stream.max_body_length),
        )
        .unsigned_only(stream.unsigned_only)
    }

    fn limited_options(
        &self,
        max_encrypted_data_keys: Option<NonZeroU16>,
        max_header_length: Option<usize>,
        max_body_length: Option<u64>,
    ) -> DecryptOptions {
        let mut options = DecryptOptions::new()
            .commitment_policy(self.commitment_policy)
            .net_v4_0_0_retry(self.net_v4_0_0_retry);
        if let Some(max) = max_encrypted_data_keys {
            options = options.max_encrypted_data_keys(max);
        }
        if let Some(max) = max_header_length {
            options = options.max_header_len(max);
        }
        if let Some(max) = max_body_length {
            options = options.max_body_len(max);
        }
        if let Some(threads) = self.max_threads {
            options = options.max_threads(threads);
        }
        options
    }
}

/// Reads into `buf`: one read for the default window, and for a larger one until it is full
/// or the input ends, so that its frames form a run worth several threads. How much was read.
async fn read_window<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = reader.read(buf).await?;
    while buf.len() > STREAM_CHUNK && filled > 0 {
        let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) else {
            break;
        };
        let read = reader.read(rest).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

impl ClientBuilder {
    /// The commitment policy. Default: require-encrypt-require-decrypt.
    pub fn commitment_policy(mut self, policy: CommitmentPolicy) -> Self {
        self.client.commitment_policy = policy;
        self
    }

    /// The frame length. Default: 4096 bytes.
    pub fn frame_length(mut self, frame_length: FrameLength) -> Self {
        self.client.frame_length = frame_length;
        self
    }

    /// The suite to encrypt with. Default: the commitment policy's default (0x0578 unless
    /// the policy forbids commitment).
    pub fn suite(mut self, suite: AlgorithmSuite) -> Self {
        self.client.suite = Some(suite);
        self
    }

    /// The most encrypted data keys a message may carry, on encrypt and on decrypt.
    /// Default: no limit for whole buffers; streams apply the tighter of this and their own
    /// limit ([`DEFAULT_STREAM_MAX_ENCRYPTED_DATA_KEYS`] unless their options say otherwise).
    pub fn max_encrypted_data_keys(mut self, max: NonZeroU16) -> Self {
        self.client.max_encrypted_data_keys = Some(max);
        self
    }

    /// The longest header a message may have, on decrypt; refused before more is buffered.
    /// Default: no limit for whole buffers (what the official SDKs accept); streams apply
    /// [`DEFAULT_STREAM_MAX_HEADER_LENGTH`] unless their options say otherwise.
    pub fn max_header_length(mut self, max: usize) -> Self {
        self.client.max_header_length = Some(max);
        self
    }

    /// At most this many threads seal or open the frames of one message: only runs of 1 MiB
    /// of frames or more use more than one (whole-buffer messages, and streams with a window
    /// of 1 MiB or more). The output is the same bytes whatever the count. Default: the
    /// machine's parallelism. One keeps every message on the calling thread.
    pub fn max_threads(mut self, threads: NonZeroUsize) -> Self {
        self.client.max_threads = Some(threads);
        self
    }

    /// How much [`Client::encrypt_stream`] and [`Client::decrypt_stream`] read and process at
    /// a time, which bounds their memory (about twice the window, plus a frame). Default:
    /// 64 KiB, whose frames stay on one thread. A window of several MiB lets each window's
    /// frames be sealed or opened on several threads: on two cores a 16 MiB window streams
    /// 1 GiB about 10–15 % faster and holds about 32 MiB (`docs/benchmarks.md`). At least
    /// 4 KiB.
    pub fn stream_window(mut self, bytes: usize) -> Self {
        self.client.stream_window = bytes.max(4096);
        self
    }

    /// The longest frame (or non-framed body) a message may have, on decrypt: the official
    /// SDKs' `max_body_length` and the aws-encryption-cli's `--max-length`. A larger one fails
    /// before any of the body is buffered, which bounds a stream's memory to about one frame.
    /// Default: no limit.
    pub fn max_body_length(mut self, max: u64) -> Self {
        self.client.max_body_length = Some(max);
        self
    }

    /// Whether to accept messages written by ESDK-NET 4.0.0 (a retry with its two deviations
    /// after a header-authentication failure). Default: on, as in the official SDKs.
    pub fn net_v4_0_0_retry(mut self, retry: bool) -> Self {
        self.client.net_v4_0_0_retry = retry;
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        self.client
    }
}

/// The longest header [`Client::decrypt_stream`] reads by default: 1 MiB. An honest header
/// holds a context of at most 64 KiB and one encrypted data key per wrapping key (a few
/// hundred bytes for AWS KMS, 512 for RSA-4096).
pub const DEFAULT_STREAM_MAX_HEADER_LENGTH: usize = 1 << 20;

/// The most encrypted data keys [`Client::decrypt_stream`] reads by default: 256. Honest
/// messages carry one per wrapping key; the format allows 65,535, each of which a keyring may
/// try with a call to its key service.
pub const DEFAULT_STREAM_MAX_ENCRYPTED_DATA_KEYS: NonZeroU16 = match NonZeroU16::new(256) {
    Some(max) => max,
    // 256 is not zero: this arm is never taken.
    None => NonZeroU16::MAX,
};

/// Options of [`Client::decrypt_stream`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct StreamOptions<'a> {
    /// The reproduced encryption context, as in [`Client::decrypt_with_context`].
    pub reproduced_context: Option<&'a EncryptionContext>,
    /// Refuse signed messages right after the header.
    pub unsigned_only: bool,
    /// The longest header (default [`DEFAULT_STREAM_MAX_HEADER_LENGTH`]; `None`: no limit).
    pub max_header_length: Option<usize>,
    /// The most encrypted data keys (default [`DEFAULT_STREAM_MAX_ENCRYPTED_DATA_KEYS`]).
    pub max_encrypted_data_keys: Option<NonZeroU16>,
    /// The longest frame or non-framed body (default: no limit).
    pub max_body_length: Option<u64>,
}

impl Default for StreamOptions<'_> {
    fn default() -> Self {
        Self {
            reproduced_context: None,
            unsigned_only: false,
            max_header_length: Some(DEFAULT_STREAM_MAX_HEADER_LENGTH),
            max_encrypted_data_keys: Some(DEFAULT_STREAM_MAX_ENCRYPTED_DATA_KEYS),
            max_body_length: None,
        }
    }
}

impl<'a> StreamOptions<'a> {
    /// With a reproduced encryption context.
    pub fn reproduced_context(mut self, context: &'a EncryptionContext) -> Self {
        self.reproduced_context = Some(context);
        self
    }

    /// Refusing signed messages right after the header.
    pub fn unsigned_only(mut self) -> Self {
        self.unsigned_only = true;
        self
    }

    /// With this header limit.
    pub fn max_header_length(mut self, max: usize) -> Self {
        self.max_header_length = Some(max);
        self
    }

    /// With this limit on encrypted data keys.
    pub fn max_encrypted_data_keys(mut self, max: NonZeroU16) -> Self {
        self.max_encrypted_data_keys = Some(max);
        self
    }

    /// With this limit on the frame length (or a non-framed body's length).
    pub fn max_body_length(mut self, max: u64) -> Self {
        self.max_body_length = Some(max);
        self
    }

    /// Without the header and key limits of the defaults (as whole-buffer decrypt).
    pub fn unlimited(mut self) -> Self {
        self.max_header_length = None;
        self.max_encrypted_data_keys = None;
        self
    }
}

/// The tighter of two optional limits (`None` is no limit).
fn tighter<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A decrypted message: the plaintext and what a caller should check about it. Its `Debug`
/// shows the plaintext's length, never its bytes.
pub struct Decrypted {
    plaintext: Vec<u8>,
    info: MessageInfo,
}

impl Decrypted {
    /// The plaintext.
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// Takes the plaintext.
    pub fn into_plaintext(self) -> Vec<u8> {
        self.plaintext
    }

    /// The message's suite, context and key providers.
    pub fn info(&self) -> &MessageInfo {
        &self.info
    }
}

impl core::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decrypted")
            .field(
                "plaintext",
                &format_args!("[{} bytes]", self.plaintext.len()),
            )
            .field("info", &self.info)
            .finish()
    }
}

/// What a message says about itself (from its authenticated header).
#[derive(Clone, Debug)]
pub struct MessageInfo {
    header: Header,
    plaintext_len: u64,
}

impl MessageInfo {
    fn from_header(header: &Header, plaintext_len: u64) -> Self {
        Self {
            header: header.clone(),
            plaintext_len,
        }
    }

    /// The algorithm suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.header.suite()
    }

    /// The encryption context stored in the header (required-context pairs are not stored).
    pub fn encryption_context(&self) -> &EncryptionContext {
        self.header.encryption_context()
    }

    /// The encrypted data keys.
    pub fn encrypted_data_keys(&self) -> &[EncryptedDataKey] {
        self.header.encrypted_data_keys()
    }

    /// The key provider ids, one per encrypted data key.
    pub fn provider_ids(&self) -> impl Iterator<Item = &str> {
        self.header
            .encrypted_data_keys()
            .iter()
            .map(EncryptedDataKey::provider_id)
    }

    /// The frame length (0 for a non-framed body).
    pub fn frame_length(&self) -> u32 {
        self.header.frame_length()
    }

    /// The whole authenticated header: message id, format version, content type, key
    /// commitment, header authentication.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The plaintext length.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }
}

/// Reads a message's header without decrypting it: the suite, the encryption context, the
/// encrypted data keys (who can decrypt it, and which data key it uses), the frame length.
/// `message` may be the whole message or any prefix that holds the header.
///
/// # Security
/// Nothing is authenticated: the header tag needs the data key. Use it to route or tally
/// messages, never to trust their contents.
///
/// ```
/// use keyward::materials::{RawAesKeyring, WrappingKey};
/// use keyward::{Client, EncryptionContext};
///
/// # async fn run() -> Result<(), keyward::Error> {
/// let client = Client::new(RawAesKeyring::new("ns", "key", WrappingKey::new(vec![7; 32]))?);
/// let message = client.encrypt(b"hello", &EncryptionContext::from([("tenant", "acme")])).await?;
/// let header = keyward::read_header(&message)?;
/// assert_eq!(header.encryption_context().get("tenant"), Some("acme"));
/// assert_eq!(header.encrypted_data_keys()[0].provider_id(), "ns");
/// # Ok(())
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
/// ```
///
/// # Errors
/// [`keyward_format::Error::Truncated`] when `message` ends inside the header, or the format
/// error that makes the header invalid.
pub fn read_header(message: &[u8]) -> Result<Header> {
    Ok(Header::from_bytes(message, None)?.0)
}

/// How much a stream reads at a time by default.
const STREAM_CHUNK: usize = 64 * 1024;
