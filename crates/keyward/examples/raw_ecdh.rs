//! Raw ECDH keyrings, as in the official examples: two parties with static key pairs write to
//! each other; a sender that holds only the recipient's public key (a fresh ephemeral key pair
//! per message); the recipient reading everything sent to its key (discovery).

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use keyward::materials::{EcdhCurve, RawEcdhKeyring};
use keyward::{Client, EncryptionContext, ErrorKind};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    // Stand-ins for keys from files (`keyward generate-key --ecdh p256 --public-output ...`).
    let curve = EcdhCurve::P256;
    let alice = curve.generate_private_key()?;
    let bob = curve.generate_private_key()?;
    let alice_public = curve.public_key_of(&alice)?;
    let bob_public = curve.public_key_of(&bob)?;
    let context = EncryptionContext::from([("purpose", "raw ecdh example")]);

    // Static keys: Alice writes to Bob, Bob's reciprocal keyring reads it and can answer.
    let alice_to_bob = Client::new(RawEcdhKeyring::static_keys(
        curve,
        &alice,
        bob_public.der(),
    )?);
    let bob_to_alice = Client::new(RawEcdhKeyring::static_keys(
        curve,
        &bob,
        alice_public.der(),
    )?);
    let letter = alice_to_bob.encrypt(b"hello Bob", &context).await?;
    assert_eq!(
        bob_to_alice.decrypt(&letter).await?.plaintext(),
        b"hello Bob"
    );
    let reply = bob_to_alice.encrypt(b"hello Alice", &context).await?;
    assert_eq!(
        alice_to_bob.decrypt(&reply).await?.plaintext(),
        b"hello Alice"
    );

    // Ephemeral: anyone with Bob's public key writes to him, and keeps nothing that reads it.
    let anyone = Client::new(RawEcdhKeyring::ephemeral(curve, bob_public.der())?);
    let note = anyone.encrypt(b"from a stranger", &context).await?;
    let refused = alice_to_bob.decrypt(&note).await.err();
    assert_eq!(refused.map(|e| e.kind()), Some(ErrorKind::NoMatchingKey));

    // Discovery: Bob's private key reads whatever was sent to him, by anyone.
    let bob_reads = Client::new(RawEcdhKeyring::discovery(curve, &bob)?);
    for message in [&letter, &note] {
        bob_reads.decrypt(message).await?;
    }
    println!(
        "P-256: static both ways, ephemeral to Bob, Bob's discovery read {} messages; \
         Alice cannot read the stranger's note",
        2
    );
    Ok(())
}
