"""Checking TFRecord files and naming the damaged records."""

import glob as globlib
import os
from dataclasses import dataclass, field

from tfrecords_tools.errors import TFRecordError
from tfrecords_tools.framing import CorruptRecord, scan_file


class CorruptRecordError(TFRecordError):
    """A TFRecord file holds a truncated or corrupt record; the message names file and index."""

    def __init__(self, damage: CorruptRecord):
        super().__init__(damage.describe())
        self.damage = damage


@dataclass
class VerifyReport:
    """Per-file record counts and every damaged record found."""

    intact: dict = field(default_factory=dict)
    damaged: list = field(default_factory=list)

    @property
    def damaged_files(self):
        return sorted({damage.path for damage in self.damaged})

    @property
    def skipped(self):
        """Damaged slots found; a truncation or a bad length counts one (nothing after it can be framed)."""
        return len(self.damaged)


#: Endings of the side files written beside shards (``labels.txt``, ``metrics.json``, ...),
#: which a glob such as ``shards/*`` catches but which hold no records.
SIDE_FILE_ENDINGS = (".txt", ".json", ".csv", ".md", ".png")


def expand_glob(pattern):
    """The sorted record files matching a glob (or a comma-separated list of globs), side files
    (:data:`SIDE_FILE_ENDINGS`) and folders passed over; a clear error if none is left."""
    files = sorted({path for part in pattern.split(",") for path in globlib.glob(part.strip())
                    if os.path.isfile(path) and not path.lower().endswith(SIDE_FILE_ENDINGS)})
    if not files:
        raise TFRecordError(f"no TFRecord files match {pattern!r}")
    return files


def verify_files(files, *, strict=True):
    """Walk every record of ``files`` checking checksums and framing.

    With ``strict`` the first damaged record raises :class:`CorruptRecordError`; otherwise all
    damage is collected in the returned :class:`VerifyReport`.
    """
    report = VerifyReport()
    for path in files:
        intact = 0
        for slot in scan_file(path):
            if slot.damage is None:
                intact += 1
            elif strict:
                raise CorruptRecordError(slot.damage)
            else:
                report.damaged.append(slot.damage)
        report.intact[path] = intact
    return report
