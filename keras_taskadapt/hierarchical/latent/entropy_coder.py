"""Real bit streams of quantized latents: range coding with per-entry models (seed 000 section 3.4.1).

The seed measures the rate with an arithmetic coder whose cumulative distributions come
from histograms of the quantized latent ``y_hat`` on the training set. Here every latent
entry ``i`` gets a categorical model fitted on the training symbols and the symbols are
range-coded with the ``constriction`` package (its ``queue.RangeEncoder``, 32-bit words).

Models (``model=``):

* ``"histogram"``: the training histogram of the entry over its support ``[lo_i, hi_i]``
  (the training minimum and maximum), every support symbol with an extra count of 1/2
  (Krichevsky-Trofimov), so an unseen value inside the support stays codable;
* ``"gaussian"``: the quantized Gaussian of the entry's training mean and standard deviation
  over the same support, ``P(k) = Phi((k + 1/2 - mu) / sigma) - Phi((k - 1/2 - mu) / sigma)``.

Each model has one more symbol, the escape, with the probability of one training count
(histogram) or of the Gaussian tails outside the support: a value outside the support is
coded as the escape followed by the value itself as a signed 32-bit integer (two uniform
16-bit symbols), so every integer survives the round trip. Supports wider than
``max_alphabet - 1`` symbols are cut to a window around the training median.

A stream holds a batch of latents entry by entry (all images' entry 0, then entry 1, ...),
then the escaped values; :meth:`LatentEntropyCoder.decode` needs the number of images.
:meth:`LatentEntropyCoder.information_content` is the ideal size under the same models,
``sum -log2 P(symbol) + 32`` bits per escape, which the stream meets within the coder's
fixed-point precision and its final word.
"""
import constriction
import numpy as np
from scipy.special import ndtr

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import atomic_path

MODELS = ("histogram", "gaussian")
#: Largest alphabet of one entry's model, escape included.
MAX_ALPHABET = 4096
#: Bits of an escaped value: a signed 32-bit integer as two uniform 16-bit symbols.
ESCAPE_PAYLOAD_BITS = 32
_HALF_WORD = 1 << 16


class LatentEntropyCoder:
    """Per-entry categorical models of integer latents and their range coder (module docstring).

    Args:
        lowest: ``(dy,)`` the symbol of index 0 of each entry's model.
        probabilities: ``dy`` arrays, each entry's support probabilities then its escape's.
    """

    def __init__(self, lowest, probabilities):
        self.lowest = np.asarray(lowest, dtype=np.int64)
        self.probabilities = [np.asarray(row, dtype=np.float64) / np.sum(row) for row in probabilities]
        if len(self.probabilities) != self.lowest.shape[0] or min(row.size for row in self.probabilities) < 2:
            raise TaskAdaptError("a latent entropy coder needs one model of at least 2 symbols per entry")
        self._models = [constriction.stream.model.Categorical(row, perfect=False) for row in self.probabilities]

    @classmethod
    def fit(cls, symbols, model="histogram", max_alphabet=MAX_ALPHABET):
        """Models of every entry fitted on training ``symbols`` (N, dy) integers."""
        if model not in MODELS:
            raise TaskAdaptError(f"entropy model must be one of {MODELS}, got {model!r}")
        symbols = _as_symbols(symbols)
        lowest, rows = [], []
        for column in symbols.T:
            low, high = _support(column, max_alphabet)
            support = np.arange(low, high + 1)
            if model == "histogram":
                inside = column[(column >= low) & (column <= high)]
                counts = np.bincount(inside - low, minlength=support.size) + 0.5
                rows.append(np.append(counts, 1.0))
            else:
                mean, std = column.mean(), max(column.std(), 1e-6)
                mass = ndtr((support + 0.5 - mean) / std) - ndtr((support - 0.5 - mean) / std)
                rows.append(np.append(mass, max(1.0 - mass.sum(), 1e-12)))
            lowest.append(low)
        return cls(lowest, rows)

    @property
    def latent_dim(self):
        return self.lowest.shape[0]

    def _split(self, symbols):
        """Alphabet indices (N, dy) with escapes, and the escaped values in stream order."""
        symbols = _as_symbols(symbols, self.latent_dim)
        indices = symbols - self.lowest
        escape = np.array([row.size - 1 for row in self.probabilities])
        outside = (indices < 0) | (indices >= escape)
        escaped = symbols.T[outside.T]  # entry by entry, as the stream
        if escaped.size and (escaped.min() < -(2**31) or escaped.max() >= 2**31):
            raise TaskAdaptError("a latent symbol does not fit in 32 bits")
        return np.where(outside, escape, indices), escaped

    def encode(self, symbols):
        """One range-coded stream (uint32 words) of integer latents ``symbols`` (N, dy)."""
        indices, escaped = self._split(symbols)
        encoder = constriction.stream.queue.RangeEncoder()
        for entry, model in enumerate(self._models):
            encoder.encode(indices[:, entry].astype(np.int32), model)
        if escaped.size:
            unsigned = (escaped + 2**31).astype(np.uint64)
            halves = np.stack([unsigned // _HALF_WORD, unsigned % _HALF_WORD], axis=1).reshape(-1)
            encoder.encode(halves.astype(np.int32), constriction.stream.model.Uniform(_HALF_WORD))
        return encoder.get_compressed()

    def decode(self, words, count):
        """The ``(count, dy)`` int64 symbols of a stream written by :meth:`encode`."""
        decoder = constriction.stream.queue.RangeDecoder(np.asarray(words, dtype=np.uint32))
        indices = np.stack([decoder.decode(model, int(count)) for model in self._models], axis=1).astype(np.int64)
        escape = np.array([row.size - 1 for row in self.probabilities])
        outside = indices == escape
        symbols = indices + self.lowest
        if outside.any():
            halves = decoder.decode(constriction.stream.model.Uniform(_HALF_WORD), 2 * int(outside.sum()))
            halves = halves.astype(np.int64).reshape(-1, 2)
            transposed = symbols.T.copy()
            transposed[outside.T] = halves[:, 0] * _HALF_WORD + halves[:, 1] - 2**31
            symbols = transposed.T
        return symbols

    def information_content(self, symbols):
        """Ideal size in bits of ``symbols`` under these models (escape payloads included)."""
        indices, escaped = self._split(symbols)
        bits = sum(-np.log2(row[indices[:, entry]]).sum() for entry, row in enumerate(self.probabilities))
        return float(bits + ESCAPE_PAYLOAD_BITS * escaped.size)

    def save(self, path, step_sizes=None):
        """The models (and the quantization ``step_sizes`` they were fitted at) as an ``.npz`` file."""
        sizes = np.array([row.size for row in self.probabilities])
        arrays = {"lowest": self.lowest, "sizes": sizes, "probabilities": np.concatenate(self.probabilities)}
        if step_sizes is not None:
            arrays["step_sizes"] = np.asarray(step_sizes, np.float32)
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load_with_steps(cls, path):
        """``(coder, step sizes or None)`` of a file written by :meth:`save`."""
        try:
            with np.load(path) as arrays:
                lowest, sizes, flat = arrays["lowest"], arrays["sizes"], arrays["probabilities"]
                steps = arrays["step_sizes"] if "step_sizes" in arrays.files else None
        except (OSError, KeyError, ValueError) as error:
            raise TaskAdaptError(f"{path}: not a latent entropy coder file ({error})") from None
        return cls(lowest, np.split(flat, np.cumsum(sizes)[:-1])), steps

    @classmethod
    def load(cls, path):
        """A coder written by :meth:`save`."""
        return cls.load_with_steps(path)[0]


def bits_of_stream(words):
    """Size in bits of a stream of 32-bit words."""
    return 32 * int(np.asarray(words).size)


def _as_symbols(symbols, latent_dim=None):
    values = np.asarray(symbols)
    if values.ndim != 2 or values.shape[0] == 0 or (latent_dim is not None and values.shape[1] != latent_dim):
        expected = f"(images, {latent_dim})" if latent_dim is not None else "(images, entries)"
        raise TaskAdaptError(f"latent symbols must have shape {expected}, got {values.shape}")
    rounded = np.round(values)
    if not np.array_equal(rounded, values):
        raise TaskAdaptError("latent symbols must be integers (quantize the latent first)")
    return rounded.astype(np.int64)


def _support(column, max_alphabet):
    """``[lo, hi]`` of the training values, cut to ``max_alphabet - 1`` symbols around the median."""
    low, high = int(column.min()), int(column.max())
    width = max_alphabet - 1
    if high - low + 1 > width:
        low = int(np.median(column)) - width // 2
        high = low + width - 1
    return low, high
