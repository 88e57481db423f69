//! Just enough PEM and DER to load RSA keys (PKCS #8 and PKCS #1 private keys, SPKI and
//! PKCS #1 public keys) and EC keys (PKCS #8 or SEC 1 private keys, SPKI public keys).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// An RSA private key as PKCS #8 DER.
pub(crate) fn private_key_der(pem: &str) -> Result<Zeroizing<Vec<u8>>> {
    let (label, der) = decode(pem, "RSA private")?;
    match label.as_str() {
        "PRIVATE KEY" => Ok(der),
        "RSA PRIVATE KEY" => {
            let mut inner = Zeroizing::new(Vec::with_capacity(der.len() + 32));
            inner.extend_from_slice(&[0x02, 0x01, 0x00]);
            inner.extend_from_slice(RSA_ALGORITHM_IDENTIFIER);
            tlv(0x04, &der, &mut inner);
            let mut out = Zeroizing::new(Vec::with_capacity(inner.len() + 8));
            tlv(0x30, &inner, &mut out);
            Ok(out)
        }
        _ => Err(Error::InvalidKey {
            kind: "RSA private",
            reason: "expected a PRIVATE KEY or RSA PRIVATE KEY PEM block",
        }),
    }
}

/// An RSA public key as SubjectPublicKeyInfo DER, from a `PUBLIC KEY` or `RSA PUBLIC KEY`
/// PEM block.
///
/// # Errors
/// [`Error::InvalidKey`] for anything else.
pub fn public_key_der(pem: &str) -> Result<Vec<u8>> {
    let (label, der) = decode(pem, "RSA public")?;
    match label.as_str() {
        "PUBLIC KEY" => Ok(der.to_vec()),
        "RSA PUBLIC KEY" => {
            let mut bits = Vec::with_capacity(der.len() + 1);
            bits.push(0);
            bits.extend_from_slice(&der);
            let mut inner = RSA_ALGORITHM_IDENTIFIER.to_vec();
            tlv(0x03, &bits, &mut inner);
            let mut out = Vec::with_capacity(inner.len() + 8);
            tlv(0x30, &inner, &mut out);
            Ok(out)
        }
        _ => Err(Error::InvalidKey {
            kind: "RSA public",
            reason: "expected a PUBLIC KEY or RSA PUBLIC KEY PEM block",
        }),
    }
}

/// The DER of a `PRIVATE KEY` (PKCS #8) or `EC PRIVATE KEY` (SEC 1) PEM block.
pub(crate) fn private_key_der_of(pem: &str, kind: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    let (label, der) = decode(pem, kind)?;
    match label.as_str() {
        "PRIVATE KEY" | "EC PRIVATE KEY" => Ok(der),
        _ => Err(Error::InvalidKey {
            kind,
            reason: "expected a PRIVATE KEY or EC PRIVATE KEY PEM block",
        }),
    }
}

/// The DER of a `PUBLIC KEY` (SubjectPublicKeyInfo) PEM block.
pub(crate) fn public_key_der_of(pem: &str, kind: &'static str) -> Result<Vec<u8>> {
    let (label, der) = decode(pem, kind)?;
    if label != "PUBLIC KEY" {
        return Err(Error::InvalidKey {
            kind,
            reason: "expected a PUBLIC KEY PEM block",
        });
    }
    Ok(der.to_vec())
}

fn decode(pem: &str, kind: &'static str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let invalid = |reason| Error::InvalidKey { kind, reason };
    let mut lines = pem.lines().map(str::trim).filter(|l| !l.is_empty());
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or(invalid("no PEM BEGIN line"))?
        .to_owned();
    let mut body = Zeroizing::new(String::new());
    let mut ended = false;
    for line in lines {
        if line == format!("-----END {label}-----") {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(invalid("no matching PEM END line"));
    }
    let der = BASE64
        .decode(body.as_bytes())
        .map_err(|_| invalid("the PEM body is not base64"))?;
    Ok((label, Zeroizing::new(der)))
}

/// Appends a DER tag-length-value.
fn tlv(tag: u8, value: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    match u8::try_from(value.len()) {
        Ok(len) if len < 0x80 => out.push(len),
        _ => {
            let bytes = value.len().to_be_bytes();
            let significant: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | u8::try_from(significant.len()).unwrap_or(8));
            out.extend_from_slice(&significant);
        }
    }
    out.extend_from_slice(value);
}

/// `SEQUENCE { OID rsaEncryption, NULL }`.
const RSA_ALGORITHM_IDENTIFIER: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
