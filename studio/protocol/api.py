"""HTTP paths, headers and limits of protocol version 1, so client and server name them once."""

from __future__ import annotations

PREFIX = "/v1"

HEALTH = PREFIX + "/health"
ACCOUNTS = PREFIX + "/accounts"
ACCOUNT = PREFIX + "/accounts/{username}"
TOKENS = PREFIX + "/tokens"
CURRENT_TOKEN = PREFIX + "/tokens/current"
ME = PREFIX + "/me"
DEVICES = PREFIX + "/devices"
DEVICE = PREFIX + "/devices/{device_id}"
SPACES = PREFIX + "/spaces"
SPACE = PREFIX + "/spaces/{space_id}"
MEMBERS = PREFIX + "/spaces/{space_id}/members"
MEMBER = PREFIX + "/spaces/{space_id}/members/{username}"
CHANGES = PREFIX + "/spaces/{space_id}/changes"
CHANGES_HELD = PREFIX + "/spaces/{space_id}/changes/held"
FEED = PREFIX + "/spaces/{space_id}/feed"
RECORD = PREFIX + "/spaces/{space_id}/records/{kind}/{record_id}"
CLIENT_MARK = PREFIX + "/spaces/{space_id}/clients/{client_id}"
SEARCH = PREFIX + "/search"
NEGOTIATE = PREFIX + "/blobs/negotiate"
BLOB = PREFIX + "/blobs/{sha256}"
BLOB_VERIFY = PREFIX + "/blobs/{sha256}/verify"
UPLOAD = PREFIX + "/uploads/{session_id}"
UPLOAD_PART = PREFIX + "/uploads/{session_id}/parts/{number}"
UPLOAD_COMPLETE = PREFIX + "/uploads/{session_id}/complete"
CA = PREFIX + "/ca"
CERTIFICATES = PREFIX + "/certificates"
CERTIFICATE = PREFIX + "/certificates/{serial}"
CRL = PREFIX + "/ca/crl"
OPENAPI = "/openapi.json"

PART_CHECKSUM_HEADER = "X-Part-XXH128"  # see studio.protocol.checksum
PART_SIZE = 32 * 1024 * 1024
"""The part size a server gives new upload sessions (each session records its own, and clients follow
the size in the session's answer). See docs/decisions.md, "Upload parts of 32 MiB"."""
MAX_PARTS = 10_000

FEED_DEFAULT_LIMIT = 500
FEED_MAX_LIMIT = 1000
SEARCH_MAX_LIMIT = 200
MAX_CHANGES_PER_PUSH = 500
MAX_OPS_PER_CHANGE = 5000
MAX_BLOBS_PER_NEGOTIATION = 1000
MAX_JSON_DEPTH = 32


def part_count(size: int, part_size: int = PART_SIZE) -> int:
    """Number of parts of a blob: at least one, so an empty blob is uploaded as one empty part."""
    return max(1, -(-size // part_size))


def part_length(size: int, number: int, part_size: int = PART_SIZE) -> int:
    """Exact byte length of part `number` (1-based) of a blob of `size` bytes."""
    count = part_count(size, part_size)
    if not 1 <= number <= count:
        raise ValueError(f"part {number} is outside 1..{count}")
    return part_size if number < count else size - part_size * (count - 1)


def certificate_record_proof(serial: str, device_id: str) -> bytes:
    """What a device signs with a certificate's key to have the server record that certificate as its own
    (`PUT CERTIFICATE`): the serial and the device, so one proof serves one device and one certificate."""
    return f"remix-studio record-certificate\n{serial}\n{device_id}\n".encode("ascii")
