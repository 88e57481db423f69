"""Checks the asymmetric KMS operations that xtask/moto/serve.py adds to moto, against a running
server: RSA-OAEP Encrypt/Decrypt, DeriveSharedSecret, GetPublicKey, CreateKey's key usages, and
their errors. It prints one line per check and exits 1 when any fails.

usage: python check_asymmetric.py http://127.0.0.1:PORT
"""

import base64
import os
import sys

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

REGION = "us-west-2"
OAEP = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}
CURVES = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
}

failures = []


def check(name, condition, detail=""):
    suffix = f": {detail}" if detail and not condition else ""
    print(f"{'ok  ' if condition else 'FAIL'} {name}{suffix}")
    if not condition:
        failures.append(name)


def error_of(call, **kwargs):
    """The error code and HTTP status `call` answers with, or (None, 200)."""
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


def check_error(name, expected, call, status=400, **kwargs):
    code, http = error_of(call, **kwargs)
    check(name, (code, http) == (expected, status), f"got {code} (HTTP {http})")


def oaep(algorithm):
    hash_algorithm = OAEP[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(hash_algorithm), algorithm=hash_algorithm, label=None)


def der(public_key):
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def main(endpoint):
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    kms = boto3.client("kms", region_name=REGION, endpoint_url=endpoint)

    def create(spec, usage):
        return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]

    symmetric = kms.create_key()["KeyMetadata"]
    check("CreateKey without KeyUsage is ENCRYPT_DECRYPT",
          symmetric["KeyUsage"] == "ENCRYPT_DECRYPT")

    # RSA: local encryption with GetPublicKey's key, KMS Encrypt, KMS Decrypt.
    rsa_keys = {}
    for spec, bits in (("RSA_2048", 2048), ("RSA_3072", 3072), ("RSA_4096", 4096)):
        meta = create(spec, "ENCRYPT_DECRYPT")
        arn = meta["Arn"]
        rsa_keys[spec] = arn
        public = kms.get_public_key(KeyId=meta["KeyId"])
        check(f"{spec} GetPublicKey KeyId is the ARN", public["KeyId"] == arn, public["KeyId"])
        check(f"{spec} GetPublicKey KeySpec/KeyUsage",
              (public.get("KeySpec"), public.get("KeyUsage")) == (spec, "ENCRYPT_DECRYPT"))
        check(f"{spec} GetPublicKey EncryptionAlgorithms",
              public.get("EncryptionAlgorithms") == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        check(f"{spec} GetPublicKey lists no other algorithms",
              "SigningAlgorithms" not in public and "KeyAgreementAlgorithms" not in public)
        key = serialization.load_der_public_key(public["PublicKey"])
        check(f"{spec} PublicKey is a {bits}-bit RSA SPKI",
              isinstance(key, rsa.RSAPublicKey) and key.key_size == bits)
        described = kms.describe_key(KeyId=arn)["KeyMetadata"]
        check(f"{spec} DescribeKey algorithms",
              described.get("EncryptionAlgorithms") == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
              and not described.get("SigningAlgorithms"))
        for algorithm in OAEP:
            plaintext = os.urandom(32)
            local = key.encrypt(plaintext, oaep(algorithm))
            answer = kms.decrypt(KeyId=arn, CiphertextBlob=local, EncryptionAlgorithm=algorithm)
            check(f"{spec} {algorithm} local encrypt -> KMS Decrypt",
                  answer["Plaintext"] == plaintext and answer["KeyId"] == arn
                  and answer["EncryptionAlgorithm"] == algorithm)
            encrypted = kms.encrypt(KeyId=arn, Plaintext=plaintext, EncryptionAlgorithm=algorithm)
            check(f"{spec} {algorithm} KMS Encrypt answers a modulus-length ciphertext",
                  len(encrypted["CiphertextBlob"]) == bits // 8
                  and encrypted["KeyId"] == arn
                  and encrypted["EncryptionAlgorithm"] == algorithm)
            answer = kms.decrypt(
                KeyId=arn, CiphertextBlob=encrypted["CiphertextBlob"], EncryptionAlgorithm=algorithm
            )
            check(f"{spec} {algorithm} KMS Encrypt -> KMS Decrypt",
                  answer["Plaintext"] == plaintext)

    # RSA errors.
    arn = rsa_keys["RSA_2048"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=arn)["PublicKey"])
    ciphertext = public.encrypt(b"secret", oaep("RSAES_OAEP_SHA_256"))
    check_error("RSA ciphertext with the other OAEP hash", "InvalidCiphertextException",
                kms.decrypt, KeyId=arn, CiphertextBlob=ciphertext,
                EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    tampered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
    check_error("tampered RSA ciphertext", "InvalidCiphertextException", kms.decrypt,
                KeyId=arn, CiphertextBlob=tampered, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    check_error("truncated RSA ciphertext", "InvalidCiphertextException", kms.decrypt,
                KeyId=arn, CiphertextBlob=ciphertext[:-1], EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    other = create("RSA_2048", "ENCRYPT_DECRYPT")["Arn"]
    check_error("RSA ciphertext decrypted under another RSA key", "IncorrectKeyException",
                kms.decrypt, KeyId=other, CiphertextBlob=ciphertext,
                EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    check_error("RSA Decrypt without KeyId", "ValidationException", kms.decrypt,
                CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    check_error("RSA key with SYMMETRIC_DEFAULT (Decrypt)", "InvalidKeyUsageException",
                kms.decrypt, KeyId=arn, CiphertextBlob=ciphertext)
    check_error("RSA key with SYMMETRIC_DEFAULT (Encrypt)", "InvalidKeyUsageException",
                kms.encrypt, KeyId=arn, Plaintext=b"x")
    check_error("RSA key in GenerateDataKey", "InvalidKeyUsageException",
                kms.generate_data_key, KeyId=arn, KeySpec="AES_256")
    check_error("symmetric key with RSAES (Encrypt)", "InvalidKeyUsageException", kms.encrypt,
                KeyId=symmetric["Arn"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    check_error("symmetric key with RSAES (Decrypt)", "InvalidKeyUsageException", kms.decrypt,
                KeyId=symmetric["Arn"], CiphertextBlob=ciphertext,
                EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    signing_rsa = create("RSA_2048", "SIGN_VERIFY")["Arn"]
    check_error("SIGN_VERIFY RSA key with RSAES", "InvalidKeyUsageException", kms.encrypt,
                KeyId=signing_rsa, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    check_error("RSA plaintext longer than OAEP allows", "ValidationException", kms.encrypt,
                KeyId=arn, Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    check_error("RSA Encrypt with an encryption context", "ValidationException", kms.encrypt,
                KeyId=arn, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256",
                EncryptionContext={"a": "b"})
    check_error("RSA Decrypt of an unknown key", "NotFoundException", kms.decrypt,
                KeyId="arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000",
                CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    kms.disable_key(KeyId=other.split(":key/")[1])  # moto takes a bare key id here
    check_error("RSA Decrypt with a disabled key", "DisabledException", kms.decrypt,
                KeyId=other, CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")

    # Symmetric keys keep moto's behaviour.
    sealed = kms.encrypt(KeyId=symmetric["Arn"], Plaintext=b"plain", EncryptionContext={"a": "b"})
    opened = kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"a": "b"})
    check("symmetric Encrypt -> Decrypt", opened["Plaintext"] == b"plain"
          and opened["KeyId"] == symmetric["Arn"])
    check_error("symmetric Decrypt under a wrong context", "InvalidCiphertextException",
                kms.decrypt, CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"a": "c"})
    second = kms.create_key()["KeyMetadata"]["Arn"]
    check_error("symmetric Decrypt naming another key (moto's code kept)", "AccessDeniedException",
                kms.decrypt, KeyId=second, CiphertextBlob=sealed["CiphertextBlob"],
                EncryptionContext={"a": "b"})
    mrk = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    sealed_mrk = kms.encrypt(KeyId=mrk, Plaintext=b"mrk")["CiphertextBlob"]
    check("multi-Region key Encrypt -> Decrypt (change 1 kept)",
          kms.decrypt(CiphertextBlob=sealed_mrk, KeyId=mrk)["Plaintext"] == b"mrk")
    data_key = kms.generate_data_key(KeyId=symmetric["Arn"], NumberOfBytes=32)
    check("symmetric GenerateDataKey -> Decrypt",
          kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]
          == data_key["Plaintext"])
    check_error("GetPublicKey of a symmetric key", "UnsupportedOperationException",
                kms.get_public_key, KeyId=symmetric["Arn"])
    check_error("an unknown EncryptionAlgorithm", "ValidationException", kms.encrypt,
                KeyId=symmetric["Arn"], Plaintext=b"x", EncryptionAlgorithm="RSAES_PKCS1")

    # ECDH: DeriveSharedSecret equals a local ECDH with GetPublicKey's key.
    ecdh_keys = {}
    for spec, curve in CURVES.items():
        meta = create(spec, "KEY_AGREEMENT")
        arn = meta["Arn"]
        ecdh_keys[spec] = arn
        check(f"{spec} CreateKey keeps KEY_AGREEMENT", meta["KeyUsage"] == "KEY_AGREEMENT")
        check(f"{spec} CreateKey lists ECDH only",
              meta.get("KeyAgreementAlgorithms") == ["ECDH"]
              and not meta.get("EncryptionAlgorithms") and not meta.get("SigningAlgorithms"))
        public = kms.get_public_key(KeyId=arn)
        check(f"{spec} GetPublicKey fields",
              public["KeyId"] == arn and public.get("KeySpec") == spec
              and public.get("KeyUsage") == "KEY_AGREEMENT"
              and public.get("KeyAgreementAlgorithms") == ["ECDH"]
              and "EncryptionAlgorithms" not in public and "SigningAlgorithms" not in public)
        kms_public = serialization.load_der_public_key(public["PublicKey"])
        check(f"{spec} PublicKey lies on {curve.name}",
              isinstance(kms_public, ec.EllipticCurvePublicKey)
              and kms_public.curve.name == curve.name)
        local = ec.generate_private_key(curve())
        answer = kms.derive_shared_secret(
            KeyId=arn, KeyAgreementAlgorithm="ECDH", PublicKey=der(local.public_key())
        )
        expected = local.exchange(ec.ECDH(), kms_public)
        check(f"{spec} DeriveSharedSecret equals local ECDH",
              answer["SharedSecret"] == expected
              and len(expected) == (curve.key_size + 7) // 8)
        check(f"{spec} DeriveSharedSecret answer fields",
              answer["KeyId"] == arn and answer["KeyAgreementAlgorithm"] == "ECDH"
              and answer["KeyOrigin"] == "AWS_KMS")
        by_alias = f"alias/check-{meta['KeyId']}"
        kms.create_alias(AliasName=by_alias, TargetKeyId=meta["KeyId"])
        answer = kms.derive_shared_secret(
            KeyId=by_alias, KeyAgreementAlgorithm="ECDH", PublicKey=der(local.public_key())
        )
        check(f"{spec} DeriveSharedSecret by alias", answer["SharedSecret"] == expected
              and answer["KeyId"] == arn)

    # ECDH errors.
    p256 = ecdh_keys["ECC_NIST_P256"]
    peer256 = der(ec.generate_private_key(ec.SECP256R1()).public_key())
    peer384 = der(ec.generate_private_key(ec.SECP384R1()).public_key())
    signing_ec = create("ECC_NIST_P256", "SIGN_VERIFY")
    check("SIGN_VERIFY EC key lists ECDSA only",
          signing_ec.get("SigningAlgorithms") == ["ECDSA_SHA_256"]
          and not signing_ec.get("EncryptionAlgorithms")
          and not signing_ec.get("KeyAgreementAlgorithms"))
    public = kms.get_public_key(KeyId=signing_ec["Arn"])
    check("SIGN_VERIFY GetPublicKey lists SigningAlgorithms only",
          public.get("SigningAlgorithms") == ["ECDSA_SHA_256"]
          and "EncryptionAlgorithms" not in public and "KeyAgreementAlgorithms" not in public)
    check_error("DeriveSharedSecret with a SIGN_VERIFY key", "InvalidKeyUsageException",
                kms.derive_shared_secret, KeyId=signing_ec["Arn"], KeyAgreementAlgorithm="ECDH",
                PublicKey=peer256)
    check_error("DeriveSharedSecret with an RSA key", "InvalidKeyUsageException",
                kms.derive_shared_secret, KeyId=rsa_keys["RSA_2048"],
                KeyAgreementAlgorithm="ECDH", PublicKey=peer256)
    check_error("DeriveSharedSecret with a symmetric key", "InvalidKeyUsageException",
                kms.derive_shared_secret, KeyId=symmetric["Arn"], KeyAgreementAlgorithm="ECDH",
                PublicKey=peer256)
    check_error("DeriveSharedSecret with a peer on another curve", "ValidationException",
                kms.derive_shared_secret, KeyId=p256, KeyAgreementAlgorithm="ECDH",
                PublicKey=peer384)
    check_error("DeriveSharedSecret with a garbage peer", "ValidationException",
                kms.derive_shared_secret, KeyId=p256, KeyAgreementAlgorithm="ECDH",
                PublicKey=b"\x30\x03garbage")
    rsa_peer = der(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    check_error("DeriveSharedSecret with an RSA peer", "ValidationException",
                kms.derive_shared_secret, KeyId=p256, KeyAgreementAlgorithm="ECDH",
                PublicKey=rsa_peer)
    check_error("DeriveSharedSecret with another algorithm", "ValidationException",
                kms.derive_shared_secret, KeyId=p256, KeyAgreementAlgorithm="ECDHE",
                PublicKey=peer256)
    signature = kms.sign(KeyId=signing_ec["Arn"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    check("SIGN_VERIFY EC key still signs and verifies (moto's code)",
          kms.verify(KeyId=signing_ec["Arn"], Message=b"m", Signature=signature["Signature"],
                     SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"])
    check_error("DeriveSharedSecret with an unknown key", "NotFoundException",
                kms.derive_shared_secret,
                KeyId="arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000",
                KeyAgreementAlgorithm="ECDH", PublicKey=peer256)
    check_error("DeriveSharedSecret DryRun", "DryRunOperationException",
                kms.derive_shared_secret, status=412, KeyId=p256, KeyAgreementAlgorithm="ECDH",
                PublicKey=peer256, DryRun=True)

    # CreateKey: pairs AWS KMS refuses.
    for spec, usage in (
        ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
        ("RSA_2048", "KEY_AGREEMENT"),
        ("SYMMETRIC_DEFAULT", "KEY_AGREEMENT"),
        ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
    ):
        check_error(f"CreateKey {spec} with {usage}", "ValidationException", kms.create_key,
                    KeySpec=spec, KeyUsage=usage)
    check_error("CreateKey SM2", "UnsupportedOperationException", kms.create_key,
                KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    hmac_key = create("HMAC_256", "GENERATE_VERIFY_MAC")
    check("HMAC key lists no encryption algorithms", not hmac_key.get("EncryptionAlgorithms"))
    check_error("GetPublicKey of an HMAC key", "UnsupportedOperationException",
                kms.get_public_key, KeyId=hmac_key["Arn"])

    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
