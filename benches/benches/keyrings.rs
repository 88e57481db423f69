//! One keyring's work per message, beside the raw AES keyring in the same run: `on_encrypt`
//! (generate and wrap a data key) and `on_decrypt` (unwrap it) of suite 0x0478 materials, for
//! raw RSA (OAEP-SHA256, 3072 bits) and raw ECDH (each scheme on P-256, and static keys on
//! P-384 and P-521).

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use base64::Engine as _;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use keyward::materials::{
    DecryptionMaterials, EcdhCurve, EncryptionMaterials, Keyring, RawAesKeyring, RawEcdhKeyring,
    RawRsaKeyring, RsaPadding, WrappingKey,
};
use keyward::{AlgorithmSuite, EncryptionContext};

const SUITE: AlgorithmSuite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

/// A benchmark's name, the keyring that writes, the keyring that reads.
type Pair = (String, Box<dyn Keyring>, Box<dyn Keyring>);

fn keyrings() -> Vec<Pair> {
    let aes =
        || RawAesKeyring::new("bench", "aes-256", WrappingKey::new(vec![0x42; 32])).expect("aes");
    let rsa_key = PrivateDecryptingKey::generate(KeySize::Rsa3072).expect("rsa");
    let rsa = RawRsaKeyring::builder("bench", "rsa-3072", RsaPadding::OaepSha256)
        .private_key_pem(&pem("PRIVATE KEY", rsa_key.as_der().expect("der").as_ref()))
        .public_key_pem(&pem(
            "PUBLIC KEY",
            rsa_key.public_key().as_der().expect("der").as_ref(),
        ))
        .build()
        .expect("rsa keyring");
    let rsa = Arc::new(rsa);
    let mut out: Vec<Pair> = vec![
        ("raw-aes-256".to_owned(), Box::new(aes()), Box::new(aes())),
        (
            "raw-rsa-3072-oaep".to_owned(),
            Box::new(Arc::clone(&rsa)),
            Box::new(rsa),
        ),
    ];
    for curve in [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521] {
        let sender = curve.generate_private_key().expect("key");
        let recipient = curve.generate_private_key().expect("key");
        let recipient_public = curve.public_key_of(&recipient).expect("public key");
        let name = format!("{curve:?}").to_lowercase();
        let static_keys = RawEcdhKeyring::static_keys(curve, &sender, recipient_public.der())
            .expect("static keyring");
        out.push((
            format!("raw-ecdh-static-{name}"),
            Box::new(static_keys.clone()),
            Box::new(static_keys),
        ));
        if curve == EcdhCurve::P256 {
            out.push((
                format!("raw-ecdh-ephemeral-to-discovery-{name}"),
                Box::new(
                    RawEcdhKeyring::ephemeral(curve, recipient_public.der()).expect("ephemeral"),
                ),
                Box::new(RawEcdhKeyring::discovery(curve, &recipient).expect("discovery")),
            ));
        }
    }
    out
}

fn keyring_work(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let context = EncryptionContext::from([("purpose", "bench"), ("tenant", "acme")]);
    let fresh = || EncryptionMaterials::new(SUITE, context.clone(), BTreeSet::new(), None);
    let mut group = c.benchmark_group("keyring");
    for (name, writer, reader) in keyrings() {
        group.bench_function(BenchmarkId::new("on_encrypt", &name), |b| {
            b.iter(|| runtime.block_on(writer.on_encrypt(black_box(fresh()))))
        });
        let materials = runtime
            .block_on(writer.on_encrypt(fresh()))
            .expect("encrypt");
        let edks = materials.encrypted_data_keys().to_vec();
        group.bench_function(BenchmarkId::new("on_decrypt", &name), |b| {
            b.iter(|| {
                let empty = DecryptionMaterials::new(SUITE, context.clone(), BTreeSet::new(), None);
                runtime
                    .block_on(reader.on_decrypt(empty, black_box(&edks)))
                    .expect("decrypt")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, keyring_work);
criterion_main!(benches);
