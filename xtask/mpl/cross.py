"""Runs the official AWS Encryption SDK for Python (4.x) with the official AWS Cryptographic
Material Providers Library (MPL) on a plan of encrypt and decrypt cases, against a KMS endpoint
given in the plan (a local moto server in keyward's tests). keyward's Rust tests write the plan,
run this script in the venv that xtask/mpl/requirements.txt pins, and read the result, so that
messages written by one implementation are read by the other.

usage: python cross.py PLAN.json RESULT.json

PLAN.json:
    {"endpoint": "http://127.0.0.1:PORT", "region": "us-west-2",
     "cases": [{
        "name": "...",
        "action": "encrypt" | "decrypt",
        "keyring": one of
            {"type": "kms-rsa", "key_arn": ARN, "algorithm": "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256",
             "public_key_pem": PEM (needed to encrypt; passed on decrypt too when present)}
            {"type": "kms-ecdh-static", "curve": "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521",
             "sender_key_arn": ARN, "recipient_public_key_der_b64": B64,
             "sender_public_key_der_b64": B64 (optional: without it the MPL asks KMS GetPublicKey)}
            {"type": "kms-ecdh-discovery", "curve": ..., "recipient_key_arn": ARN}
        "suite": algorithm suite id as an integer (0x0478 = 1144),
        "commitment_policy": "REQUIRE_ENCRYPT_REQUIRE_DECRYPT" | "REQUIRE_ENCRYPT_ALLOW_DECRYPT"
                             | "FORBID_ENCRYPT_ALLOW_DECRYPT",
        "context": {"k": "v", ...},
        "plaintext_b64": B64 (encrypt: what to encrypt; decrypt: the plaintext expected),
        "ciphertext_path": "/abs/path" (encrypt: where the message is written; decrypt: the
                                        message read)}]}

"suite" is the suite to encrypt with and, on decrypt, the suite the message must have (optional
there); "context" is the encryption context on encrypt and, on decrypt, pairs that the
message's context must contain.

RESULT.json:
    {"results": [{"name": ..., "ok": true | false,
                  "error": "ExceptionType: message" (only when ok is false),
                  "kms_calls": [{"operation": "GetPublicKey", "key_id": ...}, ...] (the KMS
                               requests the case made, keyring creation included, in order),
                  "seconds": wall time of the case}]}

A decrypt case is ok when the message decrypts to the expected plaintext and its encryption
context contains every pair of the case's context. Every case runs, whatever the ones before it
did. The exit status is 0 when the plan ran, failed cases included, and 2 when it could not run
at all (unreadable plan, the official libraries missing, no result written).

AWS credentials are set to dummy values when the environment has none, since the KMS endpoint
is a local one.
"""

import base64
import json
import logging
import os
import sys
import time

KEYRING_TYPES = ("kms-rsa", "kms-ecdh-static", "kms-ecdh-discovery")


class CaseError(Exception):
    """A case that is malformed or whose outcome is not the expected one."""


def describe(error, depth=0):
    """The exception's type and message, with the errors it wraps (the MPL nests them)."""
    text = f"{type(error).__name__}: {getattr(error, 'message', None) or error}"
    nested = getattr(error, "list", None)
    if isinstance(nested, list) and nested and depth < 4:
        text += " [" + "; ".join(describe(inner, depth + 1) for inner in nested) + "]"
    obj = getattr(error, "obj", None)
    if isinstance(obj, BaseException) and depth < 4:
        text += " (" + describe(obj, depth + 1) + ")"
    # What it was raised from or during; the MPL's internal retry marker (an empty
    # SmithyRetryException under each of its errors) says nothing and is skipped.
    cause = error.__cause__ or error.__context__
    while cause is not None and type(cause).__name__ == "SmithyRetryException":
        cause = cause.__cause__ or cause.__context__
    if cause is not None and depth < 4 and not isinstance(error, CaseError):
        text += " <- " + describe(cause, depth + 1)
    return text


def field(mapping, key, kind=str):
    if key not in mapping:
        raise CaseError(f"missing field {key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise CaseError(f"field {key!r} is not a {kind.__name__}")
    return value


def b64(mapping, key):
    return base64.b64decode(field(mapping, key), validate=True)


class Runner:
    def __init__(self, plan):
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(name, "testing")
        import boto3
        import aws_encryption_sdk

        # The SDK logs a traceback ("Error on closing") for every message it fails to read;
        # the failure is in the result already.
        logging.getLogger("aws_encryption_sdk").setLevel(logging.CRITICAL)
        from aws_encryption_sdk.identifiers import Algorithm
        from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
        from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
        from aws_cryptographic_material_providers.mpl import models

        self.esdk = aws_encryption_sdk
        self.algorithm = Algorithm
        self.models = models
        self.mpl = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
        self.kms = boto3.client(
            "kms",
            endpoint_url=field(plan, "endpoint"),
            region_name=field(plan, "region"),
        )
        self.calls = []
        self.kms.meta.events.register("before-parameter-build.kms", self._record)

    def _record(self, params, model, **_):
        call = {"operation": model.name}
        if "KeyId" in params:
            call["key_id"] = params["KeyId"]
        if "EncryptionAlgorithm" in params:
            call["encryption_algorithm"] = params["EncryptionAlgorithm"]
        self.calls.append(call)

    def keyring(self, spec):
        m = self.models
        kind = field(spec, "type")
        if kind == "kms-rsa":
            pem = spec.get("public_key_pem")
            return self.mpl.create_aws_kms_rsa_keyring(
                input=m.CreateAwsKmsRsaKeyringInput(
                    kms_key_id=field(spec, "key_arn"),
                    encryption_algorithm=field(spec, "algorithm"),
                    public_key=pem.encode("utf-8") if pem is not None else None,
                    kms_client=self.kms,
                )
            )
        if kind == "kms-ecdh-static":
            sender_public = (
                b64(spec, "sender_public_key_der_b64")
                if spec.get("sender_public_key_der_b64") is not None
                else None
            )
            scheme = m.KmsEcdhStaticConfigurationsKmsPrivateKeyToStaticPublicKey(
                m.KmsPrivateKeyToStaticPublicKeyInput(
                    sender_kms_identifier=field(spec, "sender_key_arn"),
                    sender_public_key=sender_public,
                    recipient_public_key=b64(spec, "recipient_public_key_der_b64"),
                )
            )
        elif kind == "kms-ecdh-discovery":
            scheme = m.KmsEcdhStaticConfigurationsKmsPublicKeyDiscovery(
                m.KmsPublicKeyDiscoveryInput(
                    recipient_kms_identifier=field(spec, "recipient_key_arn"),
                )
            )
        else:
            raise CaseError(f"unknown keyring type {kind!r}; known: {', '.join(KEYRING_TYPES)}")
        return self.mpl.create_aws_kms_ecdh_keyring(
            input=m.CreateAwsKmsEcdhKeyringInput(
                key_agreement_scheme=scheme,
                curve_spec=field(spec, "curve"),
                kms_client=self.kms,
            )
        )

    def client(self, case):
        policy_name = field(case, "commitment_policy")
        try:
            policy = self.esdk.CommitmentPolicy[policy_name]
        except KeyError:
            raise CaseError(f"unknown commitment policy {policy_name!r}") from None
        return self.esdk.EncryptionSDKClient(commitment_policy=policy)

    def run(self, case):
        action = field(case, "action")
        if action not in ("encrypt", "decrypt"):
            raise CaseError(f"unknown action {action!r}")
        context = field(case, "context", dict)
        for key, value in context.items():
            if not isinstance(value, str):
                raise CaseError(f"context value of {key!r} is not a string")
        plaintext = b64(case, "plaintext_b64")
        path = field(case, "ciphertext_path")
        client = self.client(case)
        keyring = self.keyring(field(case, "keyring", dict))

        if action == "encrypt":
            suite_id = field(case, "suite", int)
            try:
                suite = self.algorithm.get_by_id(suite_id)
            except KeyError:
                raise CaseError(f"unknown algorithm suite id {suite_id:#06x}") from None
            message, header = client.encrypt(
                source=plaintext,
                keyring=keyring,
                encryption_context=context,
                algorithm=suite,
            )
            if header.algorithm.algorithm_id != suite_id:
                raise CaseError(
                    f"message written with suite {header.algorithm.algorithm_id:#06x},"
                    f" not {suite_id:#06x}"
                )
            directory = os.path.dirname(path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            with open(path, "wb") as out:
                out.write(message)
            return

        with open(path, "rb") as source:
            message = source.read()
        decrypted, header = client.decrypt(source=message, keyring=keyring)
        suite_id = case.get("suite")
        if suite_id is not None and header.algorithm.algorithm_id != suite_id:
            raise CaseError(
                f"message read with suite {header.algorithm.algorithm_id:#06x},"
                f" not {suite_id:#06x}"
            )
        if decrypted != plaintext:
            raise CaseError(
                f"decrypted {len(decrypted)} bytes that differ from the"
                f" {len(plaintext)} expected"
            )
        found = header.encryption_context
        for key, value in context.items():
            if key not in found:
                raise CaseError(f"encryption context lacks {key!r}")
            if found[key] != value:
                raise CaseError(f"encryption context has {key!r}={found[key]!r}, not {value!r}")


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    plan_path, result_path = argv[1], argv[2]
    try:
        with open(plan_path, encoding="utf-8") as source:
            plan = json.load(source)
        cases = field(plan, "cases", list)
        runner = Runner(plan)
    except Exception as error:  # the plan cannot run at all
        print(f"cross.py: cannot run {plan_path}: {describe(error)}", file=sys.stderr)
        return 2

    results = []
    for index, case in enumerate(cases):
        name = case.get("name", f"case {index}") if isinstance(case, dict) else f"case {index}"
        started = time.monotonic()
        runner.calls = []
        try:
            if not isinstance(case, dict):
                raise CaseError("a case is not an object")
            runner.run(case)
            results.append({"name": name, "ok": True})
        except Exception as error:
            results.append({"name": name, "ok": False, "error": describe(error)})
        results[-1]["kms_calls"] = runner.calls
        results[-1]["seconds"] = round(time.monotonic() - started, 3)

    try:
        temporary = result_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump({"results": results}, out, indent=1)
            out.write("\n")
        os.replace(temporary, result_path)
    except OSError as error:
        print(f"cross.py: cannot write {result_path}: {describe(error)}", file=sys.stderr)
        return 2

    failed = [r for r in results if not r["ok"]]
    for result in failed:
        one_line = " ".join(result["error"].split())
        print(f"cross.py: {result['name']}: {one_line}", file=sys.stderr)
    print(
        f"cross.py: {len(results)} cases, {len(results) - len(failed)} ok, {len(failed)} not ok",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
