"""The router's assignment hash, for computing a unit's bucket outside the router (docs/router.md, Assignment).

bucket = MurmurHash3_x86_32(UTF-8 bytes of ``salt + ":" + unit``, seed 0) mod 10000. The hash is the ``mmh3``
package's (the reference implementation); what is learnloop's own is the key: its exact bytes.
"""

from __future__ import annotations

import mmh3

BUCKETS = 10_000
"""Buckets are 0 to 9999: an arm's share is counted in basis points of them."""


def utf8(text: str) -> bytes:
    """The UTF-8 bytes of ``text`` as the router (and WHATWG ``TextEncoder``) writes them.

    A Python string can hold lone surrogates (``json.loads('"\\ud800"')`` makes one); ``str.encode`` refuses them.
    Here a surrogate pair held as two code points is joined into one character and an unpaired surrogate becomes
    U+FFFD (EF BF BD), as in JavaScript, so that the same unit gets the same bucket in every language.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        units = text.encode("utf-16-le", "surrogatepass")
        return units.decode("utf-16-le", "replace").encode("utf-8")


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit of ``data`` as an unsigned 32-bit integer."""
    return int(mmh3.hash(data, seed, signed=False))


def bucket_of(salt: str, unit: str) -> int:
    """The bucket of ``unit`` under an experiment's ``salt``, in [0, 10000)."""
    return murmur3_x86_32(utf8(f"{salt}:{unit}")) % BUCKETS
