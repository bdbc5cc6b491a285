"""The TFRecord container format, read record by record with its checksums.

A TFRecord file is a sequence of slots::

    uint64 length | uint32 masked_crc32c(length) | byte data[length] | uint32 masked_crc32c(data)

TensorFlow's own reader reports damage only as "corrupted record at <offset>", without the
file or the record index, and cannot read past a bad checksum. This module walks the
framing itself so that damage is named precisely and the intact records around it can
still be read.
"""

import struct
from dataclasses import dataclass
from typing import Iterator, Optional

import google_crc32c

_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8


def masked_crc32c(data: bytes) -> int:
    """The CRC-32C of ``data`` masked as TFRecord (and LevelDB) store it."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


@dataclass(frozen=True)
class CorruptRecord:
    """One damaged slot: which file, which record (0-based), at which byte, and why."""

    path: str
    index: int
    offset: int
    reason: str
    rest_of_file_lost: bool

    def describe(self) -> str:
        tail = "; the rest of the file cannot be framed" if self.rest_of_file_lost else ""
        return f"{self.path}: record {self.index} (byte {self.offset}) is {self.reason}{tail}"


@dataclass(frozen=True)
class RecordScan:
    """What one slot of a file holds: the payload, or the damage found there."""

    index: int
    offset: int
    payload: Optional[bytes]
    damage: Optional[CorruptRecord]


def scan_file(path: str) -> Iterator[RecordScan]:
    """Yield every slot of a TFRecord file in order, checking both checksums.

    A bad data checksum damages one record and the walk goes on (the length was intact);
    a bad length checksum or a truncated slot ends the walk, since nothing after it can be
    framed.
    """
    with open(path, "rb") as handle:
        index = 0
        offset = 0
        while True:
            header = handle.read(_HEADER.size)
            if not header:
                return
            damage = None
            payload = None
            if len(header) < _HEADER.size:
                damage = "truncated (incomplete header)"
            else:
                length, length_crc = _HEADER.unpack(header)
                if masked_crc32c(header[:8]) != length_crc:
                    damage = "corrupt (length checksum mismatch)"
                else:
                    payload = handle.read(length)
                    footer = handle.read(_FOOTER.size)
                    if len(payload) < length or len(footer) < _FOOTER.size:
                        damage = "truncated (file ends inside the record)"
                    elif masked_crc32c(payload) != _FOOTER.unpack(footer)[0]:
                        yield RecordScan(
                            index, offset, None,
                            CorruptRecord(path, index, offset, "corrupt (data checksum mismatch)", False),
                        )
                        offset += _HEADER.size + length + _FOOTER.size
                        index += 1
                        continue
            if damage is not None:
                yield RecordScan(index, offset, None, CorruptRecord(path, index, offset, damage, True))
                return
            yield RecordScan(index, offset, payload, None)
            offset += _HEADER.size + len(payload) + _FOOTER.size
            index += 1


def count_records(path):
    """The number of slots in a file, from the lengths alone (no checksums; fast)."""
    count = 0
    with open(path, "rb") as handle:
        while True:
            header = handle.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return count
            length, _ = _HEADER.unpack(header)
            handle.seek(length + _FOOTER.size, 1)
            count += 1
