"""The key gpg derives from a backup's passphrase, derived here so that gpg need not.

A backup's first packet (OpenPGP's symmetric-key packet) holds the salt and the iteration
count gpg used to turn the passphrase into the key (the "S2K", RFC 4880 section 3.7.1.3:
the salt and passphrase hashed over and over until `count` bytes went through the hash).
Verifying a new backup by `gpg -d` with the passphrase would make gpg derive that key a
second time, the slowest step of a small backup. Instead the key is derived here, with
hashlib, on its own thread from the moment gpg writes that packet, while the rest of the
archive is still being encrypted; the verification then gives gpg the key
(`--override-session-key-fd`) and gpg checks everything else as before: every byte
decrypted, its integrity check (MDC), every archive member read. A backup already on disk
(verify, restore) is read the same way, its key derived from its first packet
(`KeyDerivation.of_file`): hashlib's SHA-512 (OpenSSL) takes about 0.08 s where gpg's own
derivation takes 0.14 s here.

Nothing is taken on trust: a key derived wrongly decrypts nothing (gpg's integrity check
fails), and the caller then verifies with the passphrase the usual way; the packet the key
was derived from is compared with the one in the written file. Only the plain form gpg
writes for a backup (version 4, iterated and salted, no separately encrypted session key,
a cipher and hash listed below) is handled here; for anything else `read_packet` says None
and the passphrase is used. The key is a secret like the passphrase: memory only, handed to
gpg on its stdin.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from primetui.secrets import ENCODING

CIPHERS = {9: 32}
"""OpenPGP cipher number → key length in bytes: AES256, the only cipher backups use."""
HASHES = {8: "sha256", 9: "sha384", 10: "sha512"}
"""OpenPGP hash numbers → hashlib's names: the hashes whose one digest is a whole AES256 key
(backups use SHA512; a shorter hash needs several preloaded contexts, left to gpg)."""
PACKET_BYTES = 15
"""The plain packet's size: a 2-byte old-format header and a 13-byte body."""
_BLOCK = 1 << 20


@dataclass(frozen=True)
class KeyPacket:
    """A backup's symmetric-key packet in its plain form: how gpg derived the key."""

    raw: bytes
    cipher: int
    hash_name: str
    salt: bytes
    count: int


def read_packet(head: bytes) -> KeyPacket | None:
    """The symmetric-key packet at the start of `head` (at least 15 bytes); None otherwise."""
    if len(head) < PACKET_BYTES or head[0] != 0x8C or head[1] != PACKET_BYTES - 2:
        return None  # not an old-format tag-3 packet with a one-byte length of 13
    version, cipher, mode, hash_id = head[2], head[3], head[4], head[5]
    if version != 4 or mode != 3 or cipher not in CIPHERS or hash_id not in HASHES:
        return None
    coded = head[14]
    count = (16 + (coded & 15)) << ((coded >> 4) + 6)
    return KeyPacket(bytes(head[:PACKET_BYTES]), cipher, HASHES[hash_id], bytes(head[6:14]),
                     count)


def derive(packet: KeyPacket, passphrase: str) -> str:
    """The session key as gpg's `--override-session-key` reads it: `9:HEX`.

    The salt and passphrase are hashed repeatedly until `count` bytes went in (at least
    once); with AES256 and the hashes above one digest is the whole key (its first bytes).
    """
    data = packet.salt + passphrase.encode(ENCODING)
    digest = hashlib.new(packet.hash_name)
    if packet.count <= len(data):
        digest.update(data)
    else:
        block = data * (_BLOCK // len(data) + 1)  # a whole number of copies
        left = packet.count
        while left >= len(block):
            digest.update(block)  # hashlib lets other threads run during a long update
            left -= len(block)
        digest.update(block[:left])
    key = digest.digest()[:CIPHERS[packet.cipher]]
    return f"{packet.cipher}:{key.hex().upper()}"


class KeyDerivation:
    """Derives a backup's key on a thread of its own, from the packet gpg wrote first.

    `feed` takes the ciphertext's first bytes as they come (from gpg's reader thread) and
    starts the derivation once the packet is complete; `key` waits for it. When the packet
    is not the plain form, or nothing was fed, `key` is None.
    """

    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase
        self._head = b""
        self._thread: threading.Thread | None = None
        self.packet: KeyPacket | None = None
        self._key: str | None = None

    @classmethod
    def of_file(cls, path: Path, passphrase: str) -> KeyDerivation:
        """The derivation started from the first packet of the backup file at `path`.

        hashlib derives the key faster than gpg does (OpenSSL's SHA-512), so reading a
        backup that is already on disk (verify, restore) hands gpg this key too. A file
        that cannot be read here gives no key; gpg then says why.
        """
        derivation = cls(passphrase)
        try:
            with open(path, "rb") as file:
                derivation.feed(file.read(PACKET_BYTES))
        except OSError:
            pass
        return derivation

    def feed(self, chunk: bytes) -> None:
        """Look at the ciphertext's next bytes; cheap once the packet was seen."""
        if len(self._head) >= PACKET_BYTES:
            return
        self._head += bytes(chunk[:PACKET_BYTES - len(self._head)])
        if len(self._head) < PACKET_BYTES:
            return
        self.packet = read_packet(self._head)
        if self.packet is not None:
            self._thread = threading.Thread(target=self._run, name="backup-key", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self.packet is not None
        try:
            self._key = derive(self.packet, self._passphrase)
        except (ValueError, MemoryError):  # an unknown hash name, no memory for a block
            self._key = None  # the passphrase path verifies instead

    def key(self) -> str | None:
        """The key derived from `packet`, once done; None when there is none."""
        if self._thread is None:
            return None
        self._thread.join()
        return self._key
