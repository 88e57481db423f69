//! The cost of what attackers send beside honest input of the same size, in one run: an
//! N-MiB header that declares 65,535 encrypted data keys of 64 KiB (it never ends), streamed in
//! 64 KiB pieces, against decrypting a valid N-MiB message (suite 0x0478, 4 KiB frames) fed
//! the same way, for N = 8, 32 and 128.
//!
//! - `hostile_header/unlimited`: no header limit, so the scanner takes all N MiB and the
//!   stream then ends (`Truncated`): the linear cost of scanning, per byte like the honest
//!   decrypt's (the ratio must stay flat as N grows; re-parsing made it grow with N).
//! - `hostile_header/default_limit`: the streams' default 1 MiB limit refuses it
//!   (`HeaderTooLong`) after 1 MiB whatever N.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, DecryptOptions, Decryptor, EncryptParams, EncryptedDataKey,
    EncryptionContext, Encryptor, Error,
};

const MIB: usize = 1 << 20;
const SIZES: [usize; 3] = [8, 32, 128];
const PIECE: usize = 64 << 10;

fn hostile_header(len: usize) -> Vec<u8> {
    let mut out = vec![2];
    out.extend_from_slice(&0x0478u16.to_be_bytes());
    out.extend_from_slice(&[7; 32]);
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&u16::MAX.to_be_bytes());
    while out.len() < len {
        out.extend_from_slice(&[0, 1, b'p', 0, 0]);
        out.extend_from_slice(&u16::MAX.to_be_bytes());
        out.resize(out.len() + usize::from(u16::MAX), 0xab);
    }
    out.truncate(len);
    out
}

fn options() -> DecryptOptions {
    DecryptOptions::new().commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
}

/// Streams a hostile header until the decryptor refuses it.
fn reject(bytes: &[u8], options: DecryptOptions) -> Error {
    let mut decryptor = Decryptor::new(options);
    for piece in bytes.chunks(PIECE) {
        let mut input = piece;
        match decryptor.read_header(&mut input) {
            Ok(None) => {}
            Ok(Some(_)) => panic!("a hostile header completed"),
            Err(error) => return error,
        }
    }
    Error::Truncated
}

/// Streams a valid message through the decryptor.
fn decrypt(message: &[u8], key: &[u8], out: &mut Vec<u8>) {
    let mut decryptor = Decryptor::new(options());
    let mut started = false;
    for piece in message.chunks(PIECE) {
        let mut input = piece;
        if !started {
            if decryptor
                .read_header(&mut input)
                .expect("a valid header")
                .is_none()
            {
                continue;
            }
            decryptor
                .begin_body(key, &EncryptionContext::new(), None)
                .expect("the header authenticates");
            started = true;
        }
        decryptor.decrypt(&mut input, out).expect("a valid body");
        out.clear();
    }
    decryptor.finish().expect("a complete message");
}

fn hostile(c: &mut Criterion) {
    let key = [0x42u8; 32];
    let edks = vec![EncryptedDataKey::new("bench", b"key".to_vec(), vec![7; 48]).expect("EDK")];
    let mut group = c.benchmark_group("hostile_input");
    group.sample_size(10);
    for mib in SIZES {
        let len = mib * MIB;
        group.throughput(Throughput::Bytes(len as u64));
        let header = hostile_header(len);
        let plaintext = vec![0x5a; len - 512];
        let mut message = Vec::with_capacity(len + len / 64);
        let mut encryptor = Encryptor::start(
            EncryptParams::new(AlgorithmSuite::Aes256GcmHkdfSha512Commit, &key, &edks),
            &mut message,
        )
        .expect("encryptor");
        encryptor.update(&plaintext, &mut message).expect("encrypt");
        encryptor.finish(&mut message).expect("finish");
        group.bench_with_input(
            BenchmarkId::new("hostile_header/unlimited", len),
            &header,
            |b, header| {
                b.iter(|| {
                    let error = reject(black_box(header), options());
                    assert!(matches!(error, Error::Truncated));
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("hostile_header/default_limit", len),
            &header,
            |b, header| {
                b.iter(|| {
                    let error = reject(black_box(header), options().max_header_len(MIB));
                    assert!(matches!(error, Error::HeaderTooLong { .. }));
                });
            },
        );
        let mut out = Vec::with_capacity(2 * PIECE);
        group.bench_with_input(
            BenchmarkId::new("valid_message", message.len()),
            &message,
            |b, message| b.iter(|| decrypt(black_box(message), &key, &mut out)),
        );
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
