//! Regular frames sealed and opened on several threads.
//!
//! Frames are independent: each has its own IV and AAD, both functions of the sequence
//! number. A run of regular frames is cut into groups of about [`GROUP_BYTES`]; scoped threads
//! take groups from a shared queue and seal (or open) them into disjoint parts of the output,
//! so the bytes are the sequential path's, in order. For signing suites the calling thread
//! hashes meanwhile: on encrypt each sealed group in order as it is finished, on decrypt the
//! ciphertext it was given. Nothing is spawned below [`MIN_PARALLEL_BYTES`] or with one
//! thread, and a decryption releases nothing of a run unless every frame in it verified.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};

use crate::crypto::{AeadKey, IV_LEN, MessageHash, TAG_LEN};
use crate::error::{Error, Result};
use crate::frame::{BodyAad, BodyPart, frame_iv};

/// Runs shorter than this stay on the calling thread: below it, starting threads costs more
/// than it saves (measured with the `parallel` bench; about 1 MiB of AES-GCM on one core
/// here takes 160 µs, a thread start about 20 µs).
pub(crate) const MIN_PARALLEL_BYTES: usize = 1 << 20;

/// The work one thread takes at a time.
const GROUP_BYTES: usize = 256 << 10;

/// How many threads a run may use: the configured cap, or the machine's parallelism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Threads(Option<NonZeroUsize>);

impl Threads {
    pub(crate) const DEFAULT: Self = Self(None);

    pub(crate) const fn at_most(threads: NonZeroUsize) -> Self {
        Self(Some(threads))
    }

    /// The threads for `bytes` of frames: one below the threshold.
    fn for_bytes(self, bytes: usize) -> usize {
        if bytes < MIN_PARALLEL_BYTES {
            return 1;
        }
        let available = self.0.unwrap_or_else(available);
        available.get().min(bytes / (GROUP_BYTES / 2)).max(1)
    }
}

fn available() -> NonZeroUsize {
    static AVAILABLE: OnceLock<NonZeroUsize> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
}

/// Where a run of regular frames starts: the message id, the first sequence number and the
/// frame length.
pub(crate) struct Run<'a> {
    pub(crate) key: &'a AeadKey,
    pub(crate) message_id: &'a [u8],
    pub(crate) first_sequence_number: u32,
    pub(crate) frame_length: usize,
}

impl Run<'_> {
    /// A regular frame's length (saturating: a frame that long was never in memory).
    fn unit(&self) -> usize {
        (4 + IV_LEN + TAG_LEN).saturating_add(self.frame_length)
    }

    fn frames_per_group(&self) -> usize {
        (GROUP_BYTES / self.frame_length.max(1)).max(1)
    }

    fn sequence_number(&self, index: usize) -> Result<u32> {
        u32::try_from(index)
            .ok()
            .and_then(|i| self.first_sequence_number.checked_add(i))
            .ok_or(Error::TooManyFrames)
    }

    /// Seals one frame of `plaintext` into `unit` (its sequence number, IV, ciphertext, tag).
    fn seal_one(&self, index: usize, plaintext: &[u8], unit: &mut [u8]) -> Result<()> {
        let sequence_number = self.sequence_number(index)?;
        let iv = frame_iv(sequence_number);
        let (prefix, rest) = unit.split_at_mut(4 + IV_LEN);
        let (data, tag) = rest.split_at_mut(plaintext.len());
        let (number, iv_slot) = prefix.split_at_mut(4);
        number.copy_from_slice(&sequence_number.to_be_bytes());
        iv_slot.copy_from_slice(&iv);
        let aad = BodyAad::new(
            self.message_id,
            BodyPart::Regular,
            sequence_number,
            plaintext.len() as u64,
        );
        self.key.seal_into(iv, aad.as_bytes(), plaintext, data, tag)
    }

    /// Opens one frame `unit` into `out`; the frame number it failed on otherwise.
    fn open_one(&self, index: usize, unit: &[u8], out: &mut [u8]) -> Result<()> {
        let sequence_number = self.sequence_number(index)?;
        let fail = Error::FrameAuthentication { sequence_number };
        let iv: [u8; IV_LEN] = unit
            .get(4..4 + IV_LEN)
            .and_then(|iv| iv.try_into().ok())
            .ok_or(Error::Truncated)?;
        let ciphertext = unit
            .get(4 + IV_LEN..unit.len().saturating_sub(TAG_LEN))
            .ok_or(Error::Truncated)?;
        let tag = unit
            .get(unit.len().saturating_sub(TAG_LEN)..)
            .ok_or(Error::Truncated)?;
        let aad = BodyAad::new(
            self.message_id,
            BodyPart::Regular,
            sequence_number,
            ciphertext.len() as u64,
        );
        self.key
            .open(iv, aad.as_bytes(), ciphertext, tag, out)
            .map_err(|_| fail)
    }
}

/// Seals `plaintext` (a whole number of frames) as regular frames appended to `out`, and
/// feeds them to `hash` in order.
pub(crate) fn seal(
    run: &Run<'_>,
    threads: Threads,
    plaintext: &[u8],
    out: &mut Vec<u8>,
    hash: Option<&mut MessageHash>,
) -> Result<()> {
    let frame = run.frame_length;
    let count = plaintext.len() / frame.max(1);
    let unit = run.unit();
    let start = out.len();
    out.resize(start + count * unit, 0);
    let region = out.get_mut(start..).ok_or(Error::Crypto)?;
    let per_group = run.frames_per_group();
    let threads = threads.for_bytes(plaintext.len());
    let seal_group = |group: usize, units: &mut [u8], plain: &[u8]| -> Result<()> {
        for (j, (unit, plain)) in units.chunks_mut(unit).zip(plain.chunks(frame)).enumerate() {
            run.seal_one(group * per_group + j, plain, unit)?;
        }
        Ok(())
    };
    let groups = region
        .chunks_mut(per_group * unit)
        .zip(plaintext.chunks(per_group * frame))
        .enumerate();
    if threads == 1 {
        for (group, (units, plain)) in groups {
            seal_group(group, units, plain)?;
        }
        if let Some(hash) = hash {
            hash.update(region);
        }
        return Ok(());
    }
    let queue: Mutex<Vec<_>> = Mutex::new(groups.rev().collect());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let seal_group = &seal_group;
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel();
        // With a hash to keep, this thread hashes; otherwise it seals too.
        let workers = if hash.is_some() { threads } else { threads - 1 };
        for _ in 0..workers {
            let done = done.clone();
            let (queue, failure) = (&queue, &failure);
            scope.spawn(move || {
                work(queue, failure, |group, item| {
                    let (units, plain) = item;
                    seal_group(group, units, plain)?;
                    let units: &[u8] = units;
                    let _ = done.send((group, units));
                    Ok(())
                });
            });
        }
        drop(done);
        match hash {
            Some(hash) => {
                // In order, as groups finish.
                let mut next = 0;
                let mut waiting = BTreeMap::new();
                for (group, units) in finished {
                    waiting.insert(group, units);
                    while let Some(units) = waiting.remove(&next) {
                        hash.update(units);
                        next += 1;
                    }
                }
            }
            None => work(&queue, &failure, |group, item| {
                let (units, plain) = item;
                seal_group(group, units, plain)
            }),
        }
    });
    match failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        Some(error) => {
            out.truncate(start);
            Err(error)
        }
        None => Ok(()),
    }
}

/// Opens `units` (a whole number of regular frames, each `4 + IV + frame + tag` bytes, their
/// sequence numbers already checked) into plaintext appended to `out`, hashing them with
/// `hash` meanwhile. On any failure `out` is left as it was and the error names the first
/// frame that failed.
pub(crate) fn open(
    run: &Run<'_>,
    threads: Threads,
    units: &[u8],
    out: &mut Vec<u8>,
    hash: Option<&mut MessageHash>,
) -> Result<()> {
    let frame = run.frame_length;
    let unit = run.unit();
    let count = units.len() / unit;
    let start = out.len();
    out.resize(start + count * frame, 0);
    let region = out.get_mut(start..).ok_or(Error::Crypto)?;
    let per_group = run.frames_per_group();
    let threads = threads.for_bytes(units.len());
    let open_group = |group: usize, plain: &mut [u8], sealed: &[u8]| -> Result<()> {
        for (j, (plain, sealed)) in plain.chunks_mut(frame).zip(sealed.chunks(unit)).enumerate() {
            run.open_one(group * per_group + j, sealed, plain)?;
        }
        Ok(())
    };
    let groups = region
        .chunks_mut(per_group * frame)
        .zip(units.chunks(per_group * unit))
        .enumerate();
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    if threads == 1 {
        for (group, (plain, sealed)) in groups {
            if let Err(error) = open_group(group, plain, sealed) {
                *failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                break;
            }
        }
        if let Some(hash) = hash {
            hash.update(units);
        }
    } else {
        let queue: Mutex<Vec<_>> = Mutex::new(groups.rev().collect());
        let open_group = &open_group;
        std::thread::scope(|scope| {
            let workers = if hash.is_some() { threads } else { threads - 1 };
            for _ in 0..workers {
                let (queue, failure) = (&queue, &failure);
                scope.spawn(move || {
                    work(queue, failure, |group, item| {
                        let (plain, sealed) = item;
                        open_group(group, plain, sealed)
                    });
                });
            }
            match hash {
                // The ciphertext is at hand: hashed while the workers open it.
                Some(hash) => hash.update(units),
                None => work(&queue, &failure, |group, item| {
                    let (plain, sealed) = item;
                    open_group(group, plain, sealed)
                }),
            }
        });
    }
    match failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        Some(error) => {
            out.truncate(start);
            Err(error)
        }
        None => Ok(()),
    }
}

/// Takes groups from `queue` until it is empty or a group failed; keeps the failure of the
/// earliest group (the one the sequential path would have reported).
fn work<T>(
    queue: &Mutex<Vec<(usize, T)>>,
    failure: &Mutex<Option<Error>>,
    mut each: impl FnMut(usize, T) -> Result<()>,
) {
    loop {
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let Some((group, item)) = next else { return };
        if let Err(error) = each(group, item) {
            let mut failure = failure.lock().unwrap_or_else(PoisonError::into_inner);
            let earlier = match (&*failure, &error) {
                (None, _) => true,
                (
                    Some(Error::FrameAuthentication { sequence_number: a }),
                    Error::FrameAuthentication { sequence_number: b },
                ) => b < a,
                _ => false,
            };
            if earlier {
                *failure = Some(error);
            }
            // Nothing of a failed run is released: the rest need not be done.
            queue.lock().unwrap_or_else(PoisonError::into_inner).clear();
            return;
        }
    }
}
