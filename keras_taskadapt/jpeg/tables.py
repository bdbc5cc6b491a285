"""Standard JPEG quantization tables and libjpeg's quality scaling.

Seed 000, section 2.2.1: the encoder divides each 8x8 DCT block element-wise by a
quantization table ("Q-table") and rounds; JPEG suggests one table for luminance and one
for chrominance (ITU-T T.81 Annex K, tables K.1 and K.2). Section 2.3.2 uses three tables,
one per Y, Cb, Cr component, which baseline JPEG allows (Annex A.3.4, B.2.2).

All tables here are in natural row-major order (row = vertical frequency, column =
horizontal frequency), the order of ``jpeg_add_quant_table``, cjpeg ``-qtables`` text and
Pillow's ``qtables=`` / ``Image.quantization``; the zigzag order exists only inside files.
"""
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError

#: ITU-T T.81 Annex K, table K.1 (luminance), natural order.
LUMINANCE_TABLE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.int64,
)

#: ITU-T T.81 Annex K, table K.2 (chrominance), natural order.
CHROMINANCE_TABLE = np.array(
    [
        [17, 18, 24, 47, 99, 99, 99, 99],
        [18, 21, 26, 66, 99, 99, 99, 99],
        [24, 26, 56, 99, 99, 99, 99, 99],
        [47, 66, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
    ],
    dtype=np.int64,
)

#: Largest table entry a baseline (8-bit precision) JPEG file can carry.
BASELINE_MAX = 255


def quality_scaling(quality):
    """libjpeg's ``jpeg_quality_scaling``: quality 1..100 to a percentage of Annex K."""
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise TaskAdaptError(f"JPEG quality must be an integer from 1 to 100, got {quality!r}")
    quality = int(quality)
    return 5000 // quality if quality < 50 else 200 - 2 * quality


def standard_qtables(quality):
    """The three tables (Y, Cb, Cr) libjpeg and Pillow use at ``quality``, shape (3, 8, 8).

    Follows libjpeg's ``jpeg_set_quality(cinfo, quality, force_baseline=TRUE)``: each
    Annex K entry becomes ``(entry * scaling + 50) // 100`` clipped to 1..255. Cb and Cr
    share the chrominance table, as in section 2.2.1 ("two Q-tables").
    """
    scaling = quality_scaling(quality)
    base = np.stack([LUMINANCE_TABLE, CHROMINANCE_TABLE, CHROMINANCE_TABLE])
    return np.clip((base * scaling + 50) // 100, 1, BASELINE_MAX)


def as_qtables(tables, what="quantization tables"):
    """``tables`` as a float (3, 8, 8) array, or a one-line :class:`TaskAdaptError`."""
    array = np.asarray(tables)
    if array.shape != (3, 8, 8) or not np.issubdtype(array.dtype, np.number):
        raise TaskAdaptError(
            f"{what} must be numbers shaped (3, 8, 8) for Y, Cb, Cr, got shape {array.shape}"
        )
    array = array.astype(np.float64)
    if np.isnan(array).any() or (array <= 0).any():
        raise TaskAdaptError(f"{what} must be positive numbers (inf discards a coefficient)")
    return array


def clip_to_baseline(tables):
    """Round ``tables`` to integers in the baseline range 1..255 (section 2.3.2 export).

    Learned tables Q = S / q may be fractional, below 1, above 255, or infinite (q = 0
    discards a coefficient); a baseline file stores 8-bit entries. Returns the int64
    (3, 8, 8) tables and the number of entries that had to be clipped (rounded value
    outside 1..255).
    """
    rounded = np.round(as_qtables(tables))
    clipped = int(np.count_nonzero((rounded < 1) | (rounded > BASELINE_MAX)))
    return np.clip(rounded, 1, BASELINE_MAX).astype(np.int64), clipped


def as_baseline_qtables(tables):
    """``tables`` checked to be integers in 1..255, as int64 (3, 8, 8), else TaskAdaptError."""
    array = as_qtables(tables)
    if (array != np.round(array)).any() or array.min() < 1 or array.max() > BASELINE_MAX:
        raise TaskAdaptError(
            "baseline JPEG tables must be integers from 1 to 255; "
            "round and clip learned tables with clip_to_baseline() first"
        )
    return array.astype(np.int64)
