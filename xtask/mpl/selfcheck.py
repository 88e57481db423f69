"""Checks xtask/mpl/cross.py and the moto launcher together, without keyward: the official AWS
Encryption SDK for Python with the official Material Providers Library encrypts and then
decrypts its own messages, on a moto server, for the AWS KMS RSA keyring (RSA_2048,
RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256) and the AWS KMS ECDH keyring (P-256, P-384, P-521;
the KmsPrivateKeyToStaticPublicKey scheme with and without the sender's public key given, and
KmsPublicKeyDiscovery on the recipient's key). A few cases must fail (discovery on the sender's
key, an RSA key that is not the one used, a context the message does not have), so that a
cross.py that reports everything as ok cannot pass.

usage: python selfcheck.py [--endpoint URL] [--python PATH] [--keep]

It runs with any Python that has boto3 (the moto venv or the MPL venv). Without --endpoint it
starts its own server (target/moto-venv/bin/python xtask/moto/serve.py on a free loopback
port) and stops it at the end; --python is the interpreter that runs cross.py (by default
target/mpl-venv/bin/python). The plan, the messages, the result and the server's log are
written to a temporary directory, removed when every case came out as expected unless --keep
is given, and kept (its path printed) otherwise. The exit status is 0 when every case came out
as expected.
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = "us-west-2"
CURVES = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")
COMMITTING = 0x0478  # AES-256-GCM, HKDF-SHA512, key commitment, no signature
COMMITTING_SIGNED = 0x0578  # the same, with ECDSA P-384
LEGACY = 0x0178  # AES-256-GCM, HKDF-SHA256, no commitment, no signature
POLICY = {
    COMMITTING: "REQUIRE_ENCRYPT_REQUIRE_DECRYPT",
    COMMITTING_SIGNED: "REQUIRE_ENCRYPT_REQUIRE_DECRYPT",
    LEGACY: "FORBID_ENCRYPT_ALLOW_DECRYPT",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(directory):
    port = free_port()
    log = open(os.path.join(directory, "moto.log"), "wb")
    server = subprocess.Popen(
        [
            os.path.join(ROOT, "target/moto-venv/bin/python"),
            os.path.join(ROOT, "xtask/moto/serve.py"),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"selfcheck: moto exited with {server.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
            return server, endpoint
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("selfcheck: moto did not answer within 60 s")


def pem(der):
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def create_key(kms, spec, usage):
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    public = kms.get_public_key(KeyId=arn)
    assert public["KeyId"] == arn, f"GetPublicKey answers KeyId {public['KeyId']!r}, not the ARN"
    return arn, public["PublicKey"]


def plan_cases(kms, directory):
    cases = []
    expected = {}
    context = {"tenant": "acme", "purpose": "selfcheck"}

    def pair(name, writer, reader, suite, expect_ok=True, read_context=None):
        """An encrypt case and the decrypt case that reads its message back."""
        path = os.path.join(directory, name.replace(" ", "_") + ".msg")
        plaintext = base64.b64encode(f"{name}: official SDK selfcheck".encode() * 7).decode()
        common = {"suite": suite, "commitment_policy": POLICY[suite], "plaintext_b64": plaintext,
                  "ciphertext_path": path}
        cases.append({"name": f"encrypt {name}", "action": "encrypt", "keyring": writer,
                      "context": context, **common})
        expected[f"encrypt {name}"] = True
        read(f"decrypt {name}", path, reader, common, expect_ok, read_context)

    def read(name, path, reader, common, expect_ok=True, read_context=None):
        cases.append({"name": name, "action": "decrypt", "keyring": reader,
                      "context": read_context or context, **{**common, "ciphertext_path": path}})
        expected[name] = expect_ok

    rsa_arn, rsa_public = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    other_rsa_arn, other_rsa_public = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    for algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        ring = {"type": "kms-rsa", "key_arn": rsa_arn, "public_key_pem": pem(rsa_public),
                "algorithm": algorithm}
        decrypt_only = {"type": "kms-rsa", "key_arn": rsa_arn, "algorithm": algorithm}
        for suite in (COMMITTING, LEGACY):
            pair(f"kms-rsa {algorithm} {suite:#06x}", ring, ring, suite)
        pair(f"kms-rsa {algorithm} no public key on decrypt", ring, decrypt_only, COMMITTING)
    # Must fail: another RSA key, and a context pair the message does not have.
    other = {"type": "kms-rsa", "key_arn": other_rsa_arn, "public_key_pem": pem(other_rsa_public),
             "algorithm": "RSAES_OAEP_SHA_256"}
    mine = {"type": "kms-rsa", "key_arn": rsa_arn, "public_key_pem": pem(rsa_public),
            "algorithm": "RSAES_OAEP_SHA_256"}
    pair("kms-rsa another key (must fail)", mine, other, COMMITTING, expect_ok=False)
    pair("kms-rsa context not in message (must fail)", mine, mine, COMMITTING, expect_ok=False,
         read_context={"tenant": "someone else"})

    for curve in CURVES:
        sender_arn, sender_public = create_key(kms, curve, "KEY_AGREEMENT")
        recipient_arn, recipient_public = create_key(kms, curve, "KEY_AGREEMENT")
        b64 = lambda der: base64.b64encode(der).decode("ascii")  # noqa: E731
        given = {"type": "kms-ecdh-static", "curve": curve, "sender_key_arn": sender_arn,
                 "sender_public_key_der_b64": b64(sender_public),
                 "recipient_public_key_der_b64": b64(recipient_public)}
        fetched = {k: v for k, v in given.items() if k != "sender_public_key_der_b64"}
        discovery = {"type": "kms-ecdh-discovery", "curve": curve,
                     "recipient_key_arn": recipient_arn}
        # The recipient's side as a static keyring: its key as the sender, the sender's public
        # key as the recipient (the MPL matches an EDK with the two keys either way round).
        swapped = {"type": "kms-ecdh-static", "curve": curve, "sender_key_arn": recipient_arn,
                   "recipient_public_key_der_b64": b64(sender_public)}
        wrong_discovery = {"type": "kms-ecdh-discovery", "curve": curve,
                           "recipient_key_arn": sender_arn}
        for label, writer, suite in (("sender public key given", given, COMMITTING),
                                     ("sender public key from KMS", fetched, COMMITTING_SIGNED),
                                     ("legacy suite", fetched, LEGACY)):
            name = f"kms-ecdh-static {curve} {label}"
            pair(name, writer, writer, suite)
            path = cases[-1]["ciphertext_path"]
            common = {k: cases[-1][k] for k in ("suite", "commitment_policy", "plaintext_b64")}
            read(f"decrypt {name} by discovery on the recipient", path, discovery, common)
            read(f"decrypt {name} by the recipient as a static keyring", path, swapped, common)
            if suite == COMMITTING:
                read(f"decrypt {name} by discovery on the sender (must fail)", path,
                     wrong_discovery, common, expect_ok=False)
        # The discovery scheme cannot encrypt.
        cases.append({"name": f"encrypt kms-ecdh-discovery {curve} (must fail)",
                      "action": "encrypt", "keyring": discovery, "suite": COMMITTING,
                      "commitment_policy": POLICY[COMMITTING], "context": context,
                      "plaintext_b64": "aGk=",
                      "ciphertext_path": os.path.join(directory, f"discovery-{curve}.msg")})
        expected[cases[-1]["name"]] = False
    return cases, expected


def main():
    parser = argparse.ArgumentParser(description="official SDK self-check of cross.py on moto")
    parser.add_argument("--endpoint")
    parser.add_argument("--python", default=os.path.join(ROOT, "target/mpl-venv/bin/python"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")

    server = None
    endpoint = args.endpoint
    directory = tempfile.mkdtemp(prefix="keyward-mpl-selfcheck-")
    passed = False
    try:
        if endpoint is None:
            server, endpoint = start_moto(directory)
        kms = boto3.client("kms", endpoint_url=endpoint, region_name=REGION)
        cases, expected = plan_cases(kms, directory)
        plan_path = os.path.join(directory, "plan.json")
        result_path = os.path.join(directory, "result.json")
        with open(plan_path, "w", encoding="utf-8") as out:
            json.dump({"endpoint": endpoint, "region": REGION, "cases": cases}, out, indent=1)
        started = time.monotonic()
        status = subprocess.run(
            [args.python, os.path.join(ROOT, "xtask/mpl/cross.py"), plan_path, result_path],
            stdin=subprocess.DEVNULL,
        ).returncode
        elapsed = time.monotonic() - started
        if status != 0:
            print(f"selfcheck: cross.py exited with {status}")
            return 1
        with open(result_path, encoding="utf-8") as source:
            results = json.load(source)["results"]
        assert [r["name"] for r in results] == [c["name"] for c in cases], "results out of order"
        wrong = 0
        for result in results:
            want = expected[result["name"]]
            good = result["ok"] == want
            wrong += not good
            calls = ", ".join(c["operation"] for c in result["kms_calls"]) or "no KMS call"
            verdict = "ok" if good else "WRONG"
            outcome = "ok" if result["ok"] else "failed: " + " ".join(result["error"].split())[:160]
            print(f"{verdict:5} {result['name']}: {outcome} [{calls}]")
        print(f"selfcheck: {len(results)} cases in {elapsed:.1f} s,"
              f" {len(results) - wrong} as expected, {wrong} not")
        passed = wrong == 0
        return 0 if passed else 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if passed and not args.keep:
            for name in os.listdir(directory):
                os.remove(os.path.join(directory, name))
            os.rmdir(directory)
        else:
            print(f"selfcheck: plan, messages, result and server log kept in {directory}")


if __name__ == "__main__":
    sys.exit(main())
