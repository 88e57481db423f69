"""Runs moto's server for keyward's tests, with one fix applied in this process only.

moto (5.2.5) writes the key id into a fixed 36-byte field of its ciphertext blobs. Multi-Region
key ids ("mrk-" + a UUID) are 40 bytes long, so they are cut, and nothing encrypted under a
multi-Region key can be decrypted again. The fix widens the field to 40 bytes, padded with NUL
bytes that are removed on reading. Nothing else of moto's behaviour changes, and the installed
package is left untouched.

With KEYWARD_MOTO_DETERMINISTIC_KEYS=1 in the environment, a second change: a KMS key's
material comes from moto's seedable generator (the one behind its key ids, seeded with
`POST /moto-api/seed?a=N`) instead of os.urandom. A server restarted with the same seed and the
same key creations then holds the same keys, as a real KMS keeps its keys through an outage of
its endpoint; the fault tests stop and restart their own server this way. Off by default.

usage: python serve.py -H 127.0.0.1 -p PORT
"""

import os
import sys

from moto.kms import models, utils

utils.KEY_ID_LEN = 40
utils.HEADER_LEN = utils.KEY_ID_LEN + utils.IV_LEN + utils.TAG_LEN
utils.CIPHERTEXT_HEADER_FORMAT = f">{utils.KEY_ID_LEN}s{utils.IV_LEN}s{utils.TAG_LEN}s"

_read_blob = utils._deserialize_ciphertext_blob


def _read_blob_unpadded(ciphertext_blob):
    ciphertext = _read_blob(ciphertext_blob)
    return ciphertext._replace(key_id=ciphertext.key_id.rstrip("\0"))


utils._deserialize_ciphertext_blob = _read_blob_unpadded

if os.environ.get("KEYWARD_MOTO_DETERMINISTIC_KEYS") == "1":
    from moto.moto_api._internal import mock_random

    def _seeded_master_key():
        return mock_random.getrandbits(8 * utils.MASTER_KEY_LEN).to_bytes(
            utils.MASTER_KEY_LEN, "big"
        )

    utils.generate_master_key = _seeded_master_key
    models.generate_master_key = _seeded_master_key

from moto.server import main  # noqa: E402  (after the fix, on purpose)

if __name__ == "__main__":
    main(sys.argv[1:])
