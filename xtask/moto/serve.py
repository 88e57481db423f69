"""Runs moto's server for keyward's tests, with fixes applied in this process only.

Each change below says what moto (5.2.5) does and what this launcher does instead. Every change
replaces attributes of `moto.kms` (change 7: `moto.dynamodb`) before the server starts; the installed package is left
untouched.

1. Multi-Region key ids. moto writes the key id into a fixed 36-byte field of its ciphertext
   blobs. Multi-Region key ids ("mrk-" + a UUID) are 40 bytes long, so they are cut, and nothing
   encrypted under a multi-Region key can be decrypted again. The field is widened to 40 bytes,
   padded with NUL bytes that are removed on reading.

2. RSA encryption. moto's `Encrypt` and `Decrypt` ignore `EncryptionAlgorithm` and use AES-GCM
   with the key's symmetric material whatever the key, so nothing an RSA key's public key
   encrypted decrypts. Here, for `RSAES_OAEP_SHA_1` and `RSAES_OAEP_SHA_256` on an RSA key with
   usage ENCRYPT_DECRYPT, `Encrypt` is RSA-OAEP with the key's public key and `Decrypt` RSA-OAEP
   with its real private key (MGF1 with the OAEP hash, empty label): the ciphertext is the raw
   modulus-length OAEP block, the same as a local encryption with `GetPublicKey`'s key. Both
   answer `KeyId` (the key ARN) and `EncryptionAlgorithm`. Errors (HTTP 400):
   - an algorithm outside SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE:
     ValidationException; an RSAES `Decrypt` without `KeyId` (AWS KMS needs the key of an
     asymmetric ciphertext named): ValidationException;
   - an algorithm the key cannot do (an RSA key with SYMMETRIC_DEFAULT, a symmetric key with an
     RSAES algorithm, a key whose usage is not ENCRYPT_DECRYPT, SM2PKE on any key):
     InvalidKeyUsageException. `GenerateDataKey*` and `ReEncrypt`'s destination, which take
     symmetric keys only, answer it too for other keys;
   - an RSA ciphertext the named key does not decrypt under the algorithm (tampered, cut,
     the other OAEP hash): InvalidCiphertextException; IncorrectKeyException instead when
     another RSA key of the region decrypts it under that algorithm, the nearest this server
     comes to "the ciphertext is another key's" (an RSA ciphertext names no key);
   - a disabled key: DisabledException; a key pending deletion: KMSInvalidStateException;
   - not AWS KMS's documented answers but this server's choice: a non-empty `EncryptionContext`
     with an RSAES algorithm (RSA binds none) and a plaintext longer than OAEP allows for the
     key: ValidationException.
   Symmetric keys with SYMMETRIC_DEFAULT keep moto's behaviour, answers and errors unchanged
   (a wrong `KeyId` still answers AccessDeniedException there, not IncorrectKeyException).

3. DeriveSharedSecret. moto has none. The launcher adds `TrentService.DeriveSharedSecret`: ECDH
   of the key's real EC private key with the request's `PublicKey` (DER SubjectPublicKeyInfo),
   answering `SharedSecret` = the x-coordinate of the shared point, big-endian, as many bytes as
   the field, with `KeyId` (the key ARN), `KeyAgreementAlgorithm` "ECDH" and `KeyOrigin` (the
   key's origin). `KeyId` and `PublicKey` missing, a `KeyAgreementAlgorithm` other than "ECDH",
   a `Recipient` (Nitro Enclaves attestation, not supported here), or a public key that does
   not parse, is not EC, or lies on another curve than the key's: ValidationException. A key
   that is not ECC_NIST_P256/P384/P521 with usage KEY_AGREEMENT: InvalidKeyUsageException. An
   unknown key: NotFoundException. `DryRun` true answers DryRunOperationException (HTTP 412)
   once everything else passed; `GrantTokens` are accepted unchecked, as elsewhere in moto.

4. CreateKey. moto stores any `KeyUsage`, including none (then DescribeKey shows null) and
   pairs AWS KMS refuses. Here a missing `KeyUsage` is ENCRYPT_DECRYPT, as in AWS KMS, and the
   pair must be one AWS KMS allows, else ValidationException: SYMMETRIC_DEFAULT with
   ENCRYPT_DECRYPT; RSA_* with ENCRYPT_DECRYPT or SIGN_VERIFY; ECC_NIST_* with SIGN_VERIFY or
   KEY_AGREEMENT; ECC_SECG_P256K1 with SIGN_VERIFY; HMAC_* with GENERATE_VERIFY_MAC. SM2 (China
   Regions only) answers UnsupportedOperationException: moto would give an SM2 key an RSA-2048
   key pair. The usage is stored on the key, which DeriveSharedSecret and the checks of change 2
   read. moto's curves are right (P-256, P-384, P-521 keys lie on SECP256R1, SECP384R1,
   SECP521R1); symmetric and HMAC keys no longer get the RSA-2048 key pair moto made for them.

5. GetPublicKey and DescribeKey. moto's `GetPublicKey` names the key by id, lacks `KeySpec`,
   lists the algorithms of every usage (RSAES for ECC keys, ECDSA for key-agreement keys) and
   answers for symmetric keys with that stray RSA key. Here `KeyId` is the key ARN, `KeySpec`,
   `CustomerMasterKeySpec`, `KeyUsage` and `PublicKey` (DER SubjectPublicKeyInfo, as moto) come
   with only the algorithms of the key's usage: `EncryptionAlgorithms` (RSAES_OAEP_SHA_1,
   RSAES_OAEP_SHA_256) for ENCRYPT_DECRYPT, `SigningAlgorithms` for SIGN_VERIFY,
   `KeyAgreementAlgorithms` ["ECDH"] for KEY_AGREEMENT. A symmetric or HMAC key answers
   UnsupportedOperationException. DescribeKey's metadata lists the same algorithms.

6. With KEYWARD_MOTO_DETERMINISTIC_KEYS=1 in the environment, key material comes from moto's
   seedable generator (the one behind its key ids, seeded with `POST /moto-api/seed?a=N`)
   instead of os.urandom. A server restarted with the same seed and the same key creations then
   holds the same keys, as a real KMS keeps its keys through an outage of its endpoint; the
   fault tests stop and restart their own server this way. Symmetric keys take their 32 bytes
   from it; EC private keys a scalar drawn from it (redrawn while out of range); RSA keys two
   primes found by a Miller-Rabin search over it (e = 65537), which takes a few seconds for
   RSA_4096. Symmetric keys draw exactly what they drew before asymmetric keys were covered.
   Off by default.

7. DynamoDB TransactWriteItems. moto backs up every table a transaction writes with a deep
   copy of all its items before applying it, so N transactions on one table cost O(N^2): a key
   store with a thousand branch keys takes minutes to fill. Here a transaction of only Put,
   Delete and ConditionCheck operations (which replace or remove items, never change one in
   place) backs up each table's item maps alone, sharing the items; transactions with an Update
   keep moto's deep copy. The rollback on a failed condition is moto's, unchanged.

Still moto's: `ReEncrypt` takes symmetric keys only (an RSA source ciphertext does not decrypt,
an RSA destination is refused); no `GenerateDataKeyPair*`; `DryRun` is ignored outside
DeriveSharedSecret; no grant or key policy is checked by the operations added here; and
`DisableKey`/`EnableKey` take a bare key id, not an ARN. `xtask/moto/check_asymmetric.py URL` checks
changes 2 to 5 against a running server.

usage: python serve.py -H 127.0.0.1 -p PORT
"""

import base64
import json
import math
import os
import sys

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from moto.core.exceptions import JsonRESTError
from moto.kms import models, responses, utils
from moto.kms.exceptions import (
    InvalidCiphertextException,
    InvalidKeyUsageException,
    ValidationException,
)

# 1. Multi-Region key ids: a 40-byte key id field, NUL-padded.

utils.KEY_ID_LEN = 40
utils.HEADER_LEN = utils.KEY_ID_LEN + utils.IV_LEN + utils.TAG_LEN
utils.CIPHERTEXT_HEADER_FORMAT = f">{utils.KEY_ID_LEN}s{utils.IV_LEN}s{utils.TAG_LEN}s"

_read_blob = utils._deserialize_ciphertext_blob


def _read_blob_unpadded(ciphertext_blob):
    ciphertext = _read_blob(ciphertext_blob)
    return ciphertext._replace(key_id=ciphertext.key_id.rstrip("\0"))


utils._deserialize_ciphertext_blob = _read_blob_unpadded

# Shared by changes 2 to 5.

_RSA_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
_ECDH_SPECS = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")
_OAEP_HASHES = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}
_ENCRYPTION_ALGORITHMS = ("SYMMETRIC_DEFAULT", *_OAEP_HASHES, "SM2PKE")


def _error(code, message="", status=400):
    error = JsonRESTError(code, message)
    error.code = status
    return error


def _usage(key):
    return key.key_usage or "ENCRYPT_DECRYPT"


def _require_usable(key, algorithm):
    """InvalidKeyUsageException unless `key` encrypts and decrypts with `algorithm`."""
    if _usage(key) != "ENCRYPT_DECRYPT":
        raise InvalidKeyUsageException()
    if algorithm == "SYMMETRIC_DEFAULT" and key.key_spec == "SYMMETRIC_DEFAULT":
        return
    if algorithm in _OAEP_HASHES and key.key_spec in _RSA_SPECS:
        return
    raise InvalidKeyUsageException()


def _require_enabled(key):
    if key.key_state == "Disabled":
        raise _error("DisabledException", f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        raise _error("KMSInvalidStateException", f"{key.arn} is {key.key_state}.")


def _require_param(response, name):
    value = response._get_param(name)
    if value is None or (isinstance(value, (str, bytes)) and not value):
        raise ValidationException(
            f"1 validation error detected: Value null at '{name}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return value


def _require_algorithm(algorithm):
    if algorithm not in _ENCRYPTION_ALGORITHMS:
        raise ValidationException(
            f"1 validation error detected: Value '{algorithm}' at 'encryptionAlgorithm' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            f"{list(_ENCRYPTION_ALGORITHMS)}"
        )


def _require_no_context(response):
    if response._get_param("EncryptionContext"):
        raise ValidationException(
            "EncryptionContext is not supported with asymmetric encryption algorithms"
        )


def _oaep(algorithm):
    hash_algorithm = _OAEP_HASHES[algorithm]()
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hash_algorithm), algorithm=hash_algorithm, label=None
    )


# 2. RSA encryption: backend.

_symmetric_encrypt = models.KmsBackend.encrypt
_symmetric_decrypt = models.KmsBackend.decrypt


def _encrypt_symmetric_only(self, key_id, plaintext, encryption_context):
    # moto's own encryption, behind Encrypt, GenerateDataKey* and ReEncrypt.
    key = self.keys.get(self.any_id_to_key_id(key_id))
    if key is not None:
        _require_usable(key, "SYMMETRIC_DEFAULT")
    return _symmetric_encrypt(self, key_id, plaintext, encryption_context)


def _decrypt_symmetric_only(self, ciphertext_blob, encryption_context, key_id=None):
    if key_id is not None:
        key = self.keys.get(self.any_id_to_key_id(key_id))
        if key is not None:
            _require_usable(key, "SYMMETRIC_DEFAULT")
    return _symmetric_decrypt(self, ciphertext_blob, encryption_context, key_id)


def _encrypt_rsa(self, key_id, plaintext, algorithm):
    key = self.describe_key(key_id)
    _require_usable(key, algorithm)
    _require_enabled(key)
    try:
        public_key = key.private_key.private_key.public_key()
        return public_key.encrypt(plaintext, _oaep(algorithm)), key.arn
    except ValueError:
        raise ValidationException(
            f"Plaintext is too long for {key.key_spec} with {algorithm}"
        )


def _oaep_decrypt(key, ciphertext_blob, algorithm):
    try:
        return key.private_key.private_key.decrypt(ciphertext_blob, _oaep(algorithm))
    except ValueError:
        return None


def _decrypt_rsa(self, key_id, ciphertext_blob, algorithm):
    key = self.describe_key(key_id)
    _require_usable(key, algorithm)
    _require_enabled(key)
    plaintext = _oaep_decrypt(key, ciphertext_blob, algorithm)
    if plaintext is not None:
        return plaintext, key.arn
    # RSA ciphertexts do not name their key: look for the region's key that made it.
    for other in list(self.keys.values()):
        if (
            other.id != key.id
            and other.key_spec == key.key_spec
            and _usage(other) == "ENCRYPT_DECRYPT"
            and _oaep_decrypt(other, ciphertext_blob, algorithm) is not None
        ):
            raise _error(
                "IncorrectKeyException",
                "The key ID in the request does not identify a KMS key that can perform "
                "this operation.",
            )
    raise InvalidCiphertextException()


models.KmsBackend.encrypt = _encrypt_symmetric_only
models.KmsBackend.decrypt = _decrypt_symmetric_only
models.KmsBackend.encrypt_rsa = _encrypt_rsa
models.KmsBackend.decrypt_rsa = _decrypt_rsa

# 2. RSA encryption: requests.

_symmetric_encrypt_response = responses.KmsResponse.encrypt
_symmetric_decrypt_response = responses.KmsResponse.decrypt


def _encrypt_response(self):
    algorithm = self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    _require_algorithm(algorithm)
    if algorithm == "SYMMETRIC_DEFAULT":
        return _symmetric_encrypt_response(self)
    key_id = _require_param(self, "KeyId")
    plaintext = _require_param(self, "Plaintext")
    _require_no_context(self)
    self._validate_key_id(key_id)
    if len(plaintext) > 4096:
        raise ValidationException(
            "1 validation error detected: Value at 'plaintext' failed to satisfy "
            "constraint: Member must have length less than or equal to 4096"
        )
    ciphertext_blob, arn = self.kms_backend.encrypt_rsa(key_id, plaintext, algorithm)
    return json.dumps(
        {
            "CiphertextBlob": base64.b64encode(ciphertext_blob).decode("ascii"),
            "KeyId": arn,
            "EncryptionAlgorithm": algorithm,
        }
    )


def _decrypt_response(self):
    algorithm = self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    _require_algorithm(algorithm)
    if algorithm == "SYMMETRIC_DEFAULT":
        return _symmetric_decrypt_response(self)
    ciphertext_blob = _require_param(self, "CiphertextBlob")
    # AWS KMS needs the key of an asymmetric ciphertext named: the ciphertext does not.
    key_id = _require_param(self, "KeyId")
    _require_no_context(self)
    self._validate_key_id(key_id)
    plaintext, arn = self.kms_backend.decrypt_rsa(key_id, ciphertext_blob, algorithm)
    return json.dumps(
        {
            "KeyId": arn,
            "Plaintext": base64.b64encode(plaintext).decode("ascii"),
            "EncryptionAlgorithm": algorithm,
        }
    )


responses.KmsResponse.encrypt = _encrypt_response
responses.KmsResponse.decrypt = _decrypt_response

# 3. DeriveSharedSecret.


def _derive_shared_secret(self, key_id, public_key_der):
    key = self.describe_key(key_id)
    if _usage(key) != "KEY_AGREEMENT" or key.key_spec not in _ECDH_SPECS:
        raise InvalidKeyUsageException()
    _require_enabled(key)
    private_key = key.private_key.private_key
    try:
        peer = serialization.load_der_public_key(public_key_der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        peer = None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or (
        peer.curve.name != private_key.curve.name
    ):
        raise ValidationException(
            f"PublicKey is not a valid {key.key_spec} public key "
            "(DER-encoded X.509 SubjectPublicKeyInfo)"
        )
    return key, private_key.exchange(ec.ECDH(), peer)


def _derive_shared_secret_response(self):
    key_id = _require_param(self, "KeyId")
    algorithm = _require_param(self, "KeyAgreementAlgorithm")
    if algorithm != "ECDH":
        raise ValidationException(
            f"1 validation error detected: Value '{algorithm}' at 'keyAgreementAlgorithm' "
            "failed to satisfy constraint: Member must satisfy enum value set: [ECDH]"
        )
    encoded = _require_param(self, "PublicKey")
    if self._get_param("Recipient"):
        raise ValidationException("Recipient is not supported by this local KMS")
    try:
        public_key_der = base64.b64decode(encoded, validate=True)
    except (ValueError, TypeError):
        raise ValidationException("PublicKey is not valid base64")
    self._validate_key_id(key_id)
    key, secret = self.kms_backend.derive_shared_secret(key_id, public_key_der)
    if self._get_param("DryRun"):
        raise _error(
            "DryRunOperationException",
            "The request would have succeeded, but the DryRun parameter was set.",
            status=412,
        )
    return json.dumps(
        {
            "KeyId": key.arn,
            "SharedSecret": base64.b64encode(secret).decode("ascii"),
            "KeyAgreementAlgorithm": "ECDH",
            "KeyOrigin": key.origin,
        }
    )


models.KmsBackend.derive_shared_secret = _derive_shared_secret
responses.KmsResponse.derive_shared_secret = _derive_shared_secret_response

# 4. CreateKey: AWS KMS's default usage and usage/spec pairs; no key pair for secret keys.

_USAGES = {
    "SYMMETRIC_DEFAULT": ("ENCRYPT_DECRYPT",),
    **{spec: ("ENCRYPT_DECRYPT", "SIGN_VERIFY") for spec in _RSA_SPECS},
    **{spec: ("SIGN_VERIFY", "KEY_AGREEMENT") for spec in _ECDH_SPECS},
    "ECC_SECG_P256K1": ("SIGN_VERIFY",),
    **{spec: ("GENERATE_VERIFY_MAC",) for spec in utils.KeySpec.hmac_key_specs()},
}
_create_key = models.KmsBackend.create_key


def _create_key_checked(self, policy, key_usage, key_spec, description, tags, *args, **kw):
    key_usage = key_usage or "ENCRYPT_DECRYPT"
    spec = key_spec or "SYMMETRIC_DEFAULT"
    if spec == "SM2":
        raise _error(
            "UnsupportedOperationException", "SM2 keys are not supported by this local KMS"
        )
    allowed = _USAGES.get(spec)
    if allowed is not None and key_usage not in allowed:
        raise ValidationException(
            f"KeyUsage {key_usage} is not compatible with KeySpec {spec}; "
            f"it takes {' or '.join(allowed)}"
        )
    return _create_key(self, policy, key_usage, key_spec, description, tags, *args, **kw)


models.KmsBackend.create_key = _create_key_checked

_generate_private_key = utils.generate_private_key


def _key_pair_if_asymmetric(key_spec):
    if key_spec in _USAGES and key_spec not in _RSA_SPECS and not key_spec.startswith("ECC"):
        return None  # moto made an unused RSA-2048 pair for symmetric and HMAC keys
    return _generate_private_key(key_spec)


models.generate_private_key = _key_pair_if_asymmetric

# 5. GetPublicKey and DescribeKey: the ARN, the key spec, the algorithms of the key's usage.

_signing_algorithms = models.Key.signing_algorithms.fget


def _encryption_algorithms(key):
    if _usage(key) != "ENCRYPT_DECRYPT":
        return None
    if key.key_spec == "SYMMETRIC_DEFAULT":
        return ["SYMMETRIC_DEFAULT"]
    if key.key_spec in _RSA_SPECS:
        return list(_OAEP_HASHES)
    return None


def _signing_algorithms_of_usage(key):
    return _signing_algorithms(key) if _usage(key) == "SIGN_VERIFY" else None


def _key_agreement_algorithms(key):
    return ["ECDH"] if _usage(key) == "KEY_AGREEMENT" else None


models.Key.encryption_algorithms = property(_encryption_algorithms)
models.Key.signing_algorithms = property(_signing_algorithms_of_usage)
models.Key.key_agreement_algorithms = property(_key_agreement_algorithms)

_key_to_dict = models.Key.to_dict


def _key_to_dict_with_agreement(self):
    key_dict = _key_to_dict(self)
    if self.key_agreement_algorithms:
        key_dict["KeyMetadata"]["KeyAgreementAlgorithms"] = self.key_agreement_algorithms
    return key_dict


models.Key.to_dict = _key_to_dict_with_agreement


def _get_public_key_response(self):
    key_id = _require_param(self, "KeyId")
    self._validate_key_id(key_id)
    key = self.kms_backend.describe_key(key_id)
    if key.private_key is None:
        raise _error(
            "UnsupportedOperationException",
            f"{key.arn} key usage is {_usage(key)} and key spec is {key.key_spec}: "
            "GetPublicKey takes asymmetric keys only",
        )
    answer = {
        "KeyId": key.arn,
        "PublicKey": base64.b64encode(key.private_key.public_key()).decode("ascii"),
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "KeyUsage": _usage(key),
        "EncryptionAlgorithms": key.encryption_algorithms,
        "SigningAlgorithms": key.signing_algorithms,
        "KeyAgreementAlgorithms": key.key_agreement_algorithms,
    }
    return json.dumps({name: value for name, value in answer.items() if value is not None})


responses.KmsResponse.get_public_key = _get_public_key_response

# 6. Deterministic key material.

if os.environ.get("KEYWARD_MOTO_DETERMINISTIC_KEYS") == "1":
    from moto.moto_api._internal import mock_random

    def _seeded_master_key():
        return mock_random.getrandbits(8 * utils.MASTER_KEY_LEN).to_bytes(
            utils.MASTER_KEY_LEN, "big"
        )

    utils.generate_master_key = _seeded_master_key
    models.generate_master_key = _seeded_master_key

    # The odd primes below 20000, multiplied: one gcd rules out most composites.
    _SMALL_PRIMES = math.prod(
        p for p in range(3, 20000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2))
    )

    def _probably_prime(n, rounds=8):
        # Eight Miller-Rabin rounds: for random candidates of 1024 bits or more the chance of
        # a composite passing is far below 2^-100.
        if math.gcd(n, _SMALL_PRIMES) != 1:
            return False
        d, s = n - 1, 0
        while d % 2 == 0:
            d, s = d // 2, s + 1
        for _ in range(rounds):
            x = pow(mock_random.randrange(2, n - 1), d, n)
            if x in (1, n - 1):
                continue
            for _ in range(s - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    def _seeded_prime(bits, e):
        while True:
            # The two top bits set, so that two such primes make a modulus of 2 * bits bits.
            candidate = mock_random.getrandbits(bits) | (3 << (bits - 2)) | 1
            if candidate % e != 1 and _probably_prime(candidate):
                return candidate

    def _seeded_rsa_key(key_size, e=65537):
        p = _seeded_prime(key_size // 2, e)
        q = _seeded_prime(key_size // 2, e)
        while q == p:
            q = _seeded_prime(key_size // 2, e)
        d = rsa.rsa_recover_private_exponent(e, p, q)
        return rsa.RSAPrivateNumbers(
            p=p,
            q=q,
            d=d,
            dmp1=rsa.rsa_crt_dmp1(d, p),
            dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=rsa.RSAPublicNumbers(e, p * q),
        ).private_key()

    def _seeded_ec_key(curve):
        while True:
            scalar = mock_random.getrandbits(curve.key_size)
            try:
                return ec.derive_private_key(scalar, curve)
            except ValueError:
                continue  # zero, or not below the group order: draw again

    class _SeededRSAPrivateKey(utils.RSAPrivateKey):
        def __init__(self, key_size):  # moto's own __init__ would generate a random pair
            self.key_size = key_size
            self.private_key = _seeded_rsa_key(key_size)

    def _seeded_key_pair(key_spec):
        if key_spec in _RSA_SPECS:
            return _SeededRSAPrivateKey(int(key_spec[len("RSA_"):]))
        key_pair = _key_pair_if_asymmetric(key_spec)
        if isinstance(key_pair, utils.ECDSAPrivateKey):
            key_pair.private_key = _seeded_ec_key(key_pair.private_key.curve)
        return key_pair

    models.generate_private_key = _seeded_key_pair

# 7. DynamoDB TransactWriteItems: a backup of the item maps, not of every item.

import copy as _copy  # noqa: E402
import threading as _threading  # noqa: E402
import types as _types  # noqa: E402
from collections import defaultdict as _defaultdict  # noqa: E402

import moto.dynamodb.models as _ddb_models  # noqa: E402
from moto.dynamodb.models.table import Table as _Table  # noqa: E402

_item_map_backup = _threading.local()


def _backup_deepcopy(obj, memo=None):
    if getattr(_item_map_backup, "on", False) and isinstance(obj, _Table):
        backup = _copy.copy(obj)
        backup.items = _defaultdict(
            dict,
            {key: dict(value) if isinstance(value, dict) else value
             for key, value in obj.items.items()},
        )
        return backup
    return _copy.deepcopy(obj, memo)


_copy_for_dynamodb = _types.ModuleType("copy")
_copy_for_dynamodb.__dict__.update(_copy.__dict__)
_copy_for_dynamodb.deepcopy = _backup_deepcopy
_ddb_models.copy = _copy_for_dynamodb
_transact_write_items = _ddb_models.DynamoDBBackend.transact_write_items


def _transact_write_items_replacing(self, transact_items):
    replacing = all("Update" not in item for item in transact_items)
    _item_map_backup.on = replacing
    try:
        return _transact_write_items(self, transact_items)
    finally:
        _item_map_backup.on = False


_ddb_models.DynamoDBBackend.transact_write_items = _transact_write_items_replacing

from moto.server import main  # noqa: E402  (after the fixes, on purpose)

if __name__ == "__main__":
    main(sys.argv[1:])
