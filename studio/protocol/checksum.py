"""The checksum every upload part carries: XXH3-128 of the part's bytes, as 32 lowercase hex digits.

It only has to catch bytes damaged or mixed up on the way, so that a bad part is refused at once and
sent again alone; that the content is what it claims to be is proven by the blob's SHA-256, checked
over the whole upload. XXH3 runs at memory speed (about twelve times SHA-256 here), so both ends hash
each byte once with SHA-256 and not twice.
"""

from __future__ import annotations

import xxhash

from studio.protocol.ids import HEX32_PATTERN

PART_CHECKSUM_PATTERN = HEX32_PATTERN


def part_checksum(data: bytes | bytearray | memoryview = b"") -> xxhash.xxh3_128:
    """A running part checksum (update() with more bytes, hexdigest() for the header value)."""
    return xxhash.xxh3_128(data)
