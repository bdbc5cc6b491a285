"""The sensor's side of the per-image bit stream, in NumPy alone (seed 000 section 3.4.1).

A camera that runs the int8 sensor with LiteRT has NumPy and little else: no TensorFlow, no
``constriction``. This module writes the stream of :mod:`keras_taskadapt.hierarchical.latent.bitstream`
(format version 1) from the symbols the sensor outputs and the coder file
``entropy_coder.npz``, byte for byte the stream the package writes, so the server decodes it
with :func:`~keras_taskadapt.hierarchical.latent.decode_streams`. It imports NumPy only and
nothing of the package: ``export split-ae`` copies it into the deployment folder beside
``sensor.tflite``, for the device to import from there.

It reimplements two parts of ``constriction`` 0.5 (MIT/Apache-2.0,
``src/stream/model/categorical.rs`` and ``src/stream/queue.rs``), as the package's
:class:`~keras_taskadapt.hierarchical.latent.LatentEntropyCoder` uses them:

* the "fast" quantization of a categorical model to 24-bit fixed point: with ``n`` symbols and
  the running float64 sum ``c_i`` of the probabilities before symbol ``i``, the left cumulative
  of symbol ``i`` is ``trunc(c_i (2^24 - n) / sum(p)) + i`` (every symbol at least 1);
* the queue range coder with 32-bit words, a 64-bit state and 24-bit probabilities: each
  symbol narrows ``range`` to ``(range >> 24) * probability`` at ``lower + (range >> 24) *
  left``; a word is emitted when ``range`` falls below ``2^32``, held back while a carry may
  still reach it (the "inverted" situation); sealing writes the word of ``lower + 2^32 - 1``
  and a zero word when that point shares its top word with ``lower + range``.

The escape payload (a value outside an entry's support) is two symbols of a uniform model of
``2^16`` symbols, 256 fixed-point units each, as in the package's coder.
"""

import numpy as np

FORMAT_VERSION = 1
PRECISION = 24
WORD_BITS = 32
_STATE_MASK = (1 << 64) - 1
_WORD_MASK = (1 << WORD_BITS) - 1
_HALF_WORD = 1 << 16


def load_models(path):
    """``(lowest symbols, fixed-point CDFs)`` of a coder file (``entropy_coder.npz``).

    The probabilities are normalised as the package normalises them when it loads the file,
    so that the CDFs are the ones the server's decoder builds.
    """
    with np.load(path) as arrays:
        lowest, sizes, flat = arrays["lowest"], arrays["sizes"], arrays["probabilities"]
    rows = np.split(flat.astype(np.float64), np.cumsum(sizes)[:-1])
    return lowest.astype(np.int64), [quantized_cdf(row / np.sum(row)) for row in rows]


def quantized_cdf(probabilities):
    """The ``n + 1`` left cumulatives (the last ``2^24``) of ``constriction``'s fast quantization."""
    probabilities = np.asarray(probabilities, np.float64)
    running = np.cumsum(probabilities)  # sequential float64 sums, as constriction's loop
    scale = float((1 << PRECISION) - probabilities.size) / running[-1]
    before = np.concatenate([[0.0], running[:-1]])
    left = [int(value * scale) + index for index, value in enumerate(before)]
    return left + [1 << PRECISION]


class RangeEncoder:
    """``constriction``'s queue range encoder (32-bit words, 64-bit state, 24-bit precision)."""

    def __init__(self):
        self.words = []
        self.lower = 0
        self.range = _STATE_MASK
        self.inverted = None  # (held-back words, first held-back word) while a carry may reach them

    def encode(self, left, probability):
        """Code one symbol of fixed-point ``left`` cumulative and ``probability``."""
        scale = self.range >> PRECISION
        self.range = scale * probability
        new_lower = (self.lower + scale * left) & _STATE_MASK
        if self.inverted is not None and ((new_lower + self.range) & _STATE_MASK) > new_lower:
            held, first = self.inverted
            carried = new_lower < self.lower
            self.words.append((first + 1) & _WORD_MASK if carried else first)
            self.words.extend([0 if carried else _WORD_MASK] * (held - 1))
            self.inverted = None
        self.lower = new_lower
        if self.range < 1 << (64 - WORD_BITS):
            self.range <<= WORD_BITS
            lower_word = self.lower >> (64 - WORD_BITS)
            self.lower = (self.lower << WORD_BITS) & _STATE_MASK
            if self.inverted is not None:
                self.inverted = (self.inverted[0] + 1, self.inverted[1])
            elif ((self.lower + self.range) & _STATE_MASK) > self.lower:
                self.words.append(lower_word)
            else:
                self.inverted = (1, lower_word)

    def sealed_words(self):
        """The words written so far and the words that end the stream."""
        if self.range == _STATE_MASK:  # nothing encoded
            return list(self.words)
        point = (self.lower + (1 << (64 - WORD_BITS)) - 1) & _STATE_MASK
        words = list(self.words)
        if self.inverted is not None:
            held, first = self.inverted
            if point >= self.lower:
                words += [first] + [_WORD_MASK] * (held - 1)
            else:
                words += [(first + 1) & _WORD_MASK] + [0] * (held - 1)
        point_word = point >> (64 - WORD_BITS)
        words.append(point_word)
        if ((self.lower + self.range) & _STATE_MASK) >> (64 - WORD_BITS) == point_word:
            words.append(0)
        return words


def image_stream(models, symbols):
    """The stream (bytes) of one image's integer ``symbols`` (``dy`` values) under ``models``
    (:func:`load_models`): entry by entry, then the escaped values, as the package writes it."""
    lowest, cdfs = models
    symbols = np.asarray(symbols).reshape(-1).astype(np.int64)
    if symbols.size != lowest.size:
        raise ValueError(f"expected {lowest.size} latent symbols, got {symbols.size}")
    encoder = RangeEncoder()
    escaped = []
    for symbol, low, cdf in zip(symbols.tolist(), lowest.tolist(), cdfs):
        index, escape = symbol - low, len(cdf) - 2
        if not 0 <= index < escape:
            index = escape
            escaped.append(symbol)
        encoder.encode(cdf[index], cdf[index + 1] - cdf[index])
    uniform = (1 << PRECISION) // _HALF_WORD
    for value in escaped:
        if not -(2**31) <= value < 2**31:
            raise ValueError("a latent symbol does not fit in 32 bits")
        for half in divmod(value + 2**31, _HALF_WORD):
            encoder.encode(half * uniform, uniform)
    payload = np.asarray(encoder.sealed_words(), dtype="<u4").tobytes().rstrip(b"\0")
    return bytes([FORMAT_VERSION]) + payload
