//! The primitives behind the backend choice (docs/dependencies.md): AWS-LC's HKDF and SHA-2
//! beside the RustCrypto `hkdf` and `sha2` crates, and ECDSA P-384 key generation, signing
//! and verification in AWS-LC.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;

use aws_lc_rs::{digest, hkdf, rand, signature};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use signature::KeyPair as _;

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The committing derivation of a v2 message: one extract, two expands.
fn hkdf_sha512(c: &mut Criterion) {
    let mut group = c.benchmark_group("hkdf-sha512-commit");
    let (ikm, salt) = ([1u8; 32], [2u8; 32]);
    group.bench_function("aws-lc", |b| {
        b.iter(|| {
            let prk = hkdf::Salt::new(hkdf::HKDF_SHA512, &salt).extract(&ikm);
            let (mut key, mut commit) = ([0u8; 32], [0u8; 32]);
            prk.expand(&[b"\x05\x78", b"DERIVEKEY"], Len(32))
                .and_then(|o| o.fill(&mut key))
                .expect("expand");
            prk.expand(&[b"COMMITKEY"], Len(32))
                .and_then(|o| o.fill(&mut commit))
                .expect("expand");
            black_box((key, commit))
        });
    });
    group.bench_function("rustcrypto", |b| {
        b.iter(|| {
            let kdf = ::hkdf::Hkdf::<sha2::Sha512>::new(Some(&salt), &ikm);
            let (mut key, mut commit) = ([0u8; 32], [0u8; 32]);
            kdf.expand_multi_info(&[b"\x05\x78", b"DERIVEKEY"], &mut key)
                .expect("expand");
            kdf.expand(b"COMMITKEY", &mut commit).expect("expand");
            black_box((key, commit))
        });
    });
    group.finish();
}

/// SHA-384 over a message body, as the footer signature needs.
fn sha384(c: &mut Criterion) {
    use sha2::Digest as _;
    let mut group = c.benchmark_group("sha384");
    let data = vec![0x5a; 1 << 20];
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function(BenchmarkId::new("aws-lc", data.len()), |b| {
        b.iter(|| black_box(digest::digest(&digest::SHA384, &data)));
    });
    group.bench_function(BenchmarkId::new("rustcrypto", data.len()), |b| {
        b.iter(|| black_box(sha2::Sha384::digest(&data)));
    });
    group.finish();
}

fn ecdsa_p384(c: &mut Criterion) {
    let mut group = c.benchmark_group("ecdsa-p384");
    group.bench_function("generate", |b| {
        b.iter(|| {
            black_box(
                signature::EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_ASN1_SIGNING)
                    .expect("generate"),
            )
        });
    });
    let pair = signature::EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_ASN1_SIGNING)
        .expect("generate");
    let rng = rand::SystemRandom::new();
    group.bench_function("sign", |b| {
        b.iter(|| black_box(pair.sign(&rng, b"message").expect("sign")));
    });
    let signed = pair.sign(&rng, b"message").expect("sign");
    let public = signature::UnparsedPublicKey::new(
        &signature::ECDSA_P384_SHA384_ASN1,
        pair.public_key().as_ref().to_vec(),
    );
    group.bench_function("verify", |b| {
        b.iter(|| public.verify(b"message", signed.as_ref()).expect("verify"));
    });
    group.finish();
}

criterion_group!(benches, hkdf_sha512, sha384, ecdsa_p384);
criterion_main!(benches);
