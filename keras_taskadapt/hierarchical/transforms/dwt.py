"""Level-1 2-D discrete wavelet transform and its inverse as convolutions (seed 000 section 3.3.1).

Each channel is transformed on its own with the PyWavelets filter bank of the wavelet
(``bior4.4`` = CDF 9/7 as in JPEG 2000, the default; ``bior2.2`` = CDF 5/3; ``haar``; any
discrete PyWavelets wavelet works) and periodic extension, so the result equals
``pywt.dwt2(x, wavelet, mode="periodization", axes=(1, 2))``.

Channel layout of the ``H/2 x W/2 x 4C`` output, grouped by band: channel ``b * C + c`` is
sub-band ``b`` of input channel ``c``, with the bands in ``pywt.dwt2``'s order
:data:`SUBBANDS` = (``cA``, ``cH``, ``cV``, ``cD``):

* ``cA``: low-pass along height and width (LL, the half-resolution image);
* ``cH``: high-pass along height, low-pass along width (horizontal edges);
* ``cV``: low-pass along height, high-pass along width (vertical edges);
* ``cD``: high-pass along both (diagonal).

For RGB the first three channels are the LL image, twelve sub-bands in all.

Periodization in one dimension (checked against PyWavelets for every filter length): with
analysis filter ``h`` of even length ``F``, ``y[k] = sum_j h[j] x[(2k + F/2 - j) mod N]``,
a stride-2 correlation with the reversed filter over ``x`` extended periodically by
``F/2 - 1`` samples on the left and ``F/2 - 1`` on the right. Synthesis with filter ``g``
adds ``g[j] c[k]`` to ``x[(2k + j - F/2 + 1) mod N]``; :class:`InverseDWT2D` computes it as a
stride-1 periodic correlation on the coefficient grid giving the 2 x 2 output phases of
every position, then interleaves them (depth to space).
"""
import keras
import numpy as np
import pywt
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError

SUBBANDS = ("cA", "cH", "cV", "cD")
"""Sub-band order of the output channels (``pywt.dwt2``'s order)."""

_BAND_AXES = ((0, 0), (1, 0), (0, 1), (1, 1))
"""(height, width) filter of each band in :data:`SUBBANDS`: 0 low-pass, 1 high-pass."""


def _wavelet(name):
    try:
        wavelet = pywt.Wavelet(name)
    except (ValueError, TypeError):
        raise TaskAdaptError(
            f"wavelet {name!r} is not a discrete PyWavelets wavelet: use e.g. "
            "'bior4.4' (CDF 9/7), 'bior2.2' (CDF 5/3) or 'haar'"
        ) from None
    return wavelet


def _analysis_kernel(wavelet):
    """(F, F, 1, 4) correlation kernel of the four bands; periodic pad F/2 - 1 on each side."""
    taps = np.array([wavelet.dec_lo[::-1], wavelet.dec_hi[::-1]])  # (filter, F)
    pad = wavelet.dec_len // 2 - 1
    return _band_kernel(np.einsum("au,bv->uvab", taps, taps))[:, :, None, :], (pad, pad)


def _synthesis_kernel(wavelet):
    """(U, U, 4 bands, 4 phases) correlation kernel on the coefficient grid, and its padding.

    Output sample ``2q + p`` of a 1-D synthesis is ``sum_delta g[2 delta + p + t] c[q - delta]``
    with ``t = F/2 - 1``; tap ``u = left - delta`` of phase ``p`` holds that coefficient.
    """
    length = wavelet.rec_len
    shift = length // 2 - 1
    terms = [
        (p, j, (j - p - shift) // 2)
        for p in (0, 1)
        for j in range(length)
        if (j - p - shift) % 2 == 0
    ]
    left = max(delta for _, _, delta in terms)
    right = -min(delta for _, _, delta in terms)
    taps = np.zeros((2, 2, left + right + 1))  # (filter, phase, tap)
    for band, filt in enumerate((wavelet.rec_lo, wavelet.rec_hi)):
        for p, j, delta in terms:
            taps[band, p, left - delta] = filt[j]
    kernel = _band_kernel(np.einsum("apu,bqv->uvpqab", taps, taps))  # (U, U, 2, 2, 4)
    size = kernel.shape[0]
    return np.moveaxis(kernel.reshape(size, size, 4, 4), 2, 3), (left, right)


def _band_kernel(outer):
    """Select the bands of :data:`SUBBANDS` from the last two (height, width filter) axes."""
    return np.stack([outer[..., a, b] for a, b in _BAND_AXES], axis=-1)


def _periodic_pad(x, left, right):
    """Extend axes 1 and 2 of ``x`` periodically (any size, even smaller than the pad)."""
    for axis in (1, 2):
        size = ops.shape(x)[axis]
        x = ops.take(x, ops.mod(ops.arange(size + left + right) - left, size), axis=axis)
    return x


class _WaveletLayer(keras.layers.Layer):
    def __init__(self, wavelet="bior4.4", **kwargs):
        super().__init__(**kwargs)
        self.wavelet = str(wavelet)
        self._kernel, self._pad = self._make_kernel(_wavelet(self.wavelet))

    @property
    def band_kernel(self):
        """The filter bank as a convolution kernel (NumPy; the DWT's is ``(F, F, 1, 4)``, one
        output channel per band)."""
        return self._kernel

    @property
    def periodic_padding(self):
        """``(left, right)`` samples of periodic extension before the convolution."""
        return self._pad

    def _check_rank(self, input_shape):
        if len(input_shape) != 4:
            raise TaskAdaptError(
                f"{type(self).__name__} expects images (batch, height, width, channels), "
                f"got shape {tuple(input_shape)}"
            )

    def get_config(self):
        config = super().get_config()
        config["wavelet"] = self.wavelet
        return config


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class DWT2D(_WaveletLayer):
    """Level-1 2-D DWT of every channel: (B, H, W, C) -> (B, H/2, W/2, 4C) (section 3.3.1).

    Strided convolution with the PyWavelets filter bank of ``wavelet`` and periodic extension;
    equals ``pywt.dwt2(x, wavelet, mode="periodization", axes=(1, 2))`` with the channels
    grouped by band (module docstring). Height and width must be even.
    """

    _make_kernel = staticmethod(_analysis_kernel)

    def build(self, input_shape):
        self._check_rank(input_shape)
        odd = [side for side in input_shape[1:3] if side is not None and side % 2]
        if odd:
            raise TaskAdaptError(
                f"DWT2D needs even image height and width, got {input_shape[1]}x{input_shape[2]}"
            )

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        batch, height, width, channels = ops.shape(x)
        x = ops.reshape(ops.transpose(x, (0, 3, 1, 2)), (-1, height, width, 1))
        kernel = ops.convert_to_tensor(self._kernel, dtype=self.compute_dtype)
        y = ops.conv(_periodic_pad(x, *self._pad), kernel, strides=2)  # (B*C, H/2, W/2, 4)
        y = ops.reshape(y, (batch, channels, height // 2, width // 2, 4))
        y = ops.transpose(y, (0, 2, 3, 4, 1))
        return ops.reshape(y, (batch, height // 2, width // 2, 4 * channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        half = [None if side is None else side // 2 for side in (height, width)]
        return (batch, *half, None if channels is None else 4 * channels)


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class InverseDWT2D(_WaveletLayer):
    """Inverse of :class:`DWT2D`: (B, h, w, 4C) sub-bands -> (B, 2h, 2w, C) images.

    Equals ``pywt.idwt2((cA, (cH, cV, cD)), wavelet, mode="periodization", axes=(1, 2))``
    for the band-grouped channel layout of :class:`DWT2D`.
    """

    _make_kernel = staticmethod(_synthesis_kernel)

    def build(self, input_shape):
        self._check_rank(input_shape)
        if input_shape[-1] is None or input_shape[-1] % 4:
            raise TaskAdaptError(
                f"InverseDWT2D needs 4 sub-bands per channel (channels a multiple of 4), "
                f"got {input_shape[-1]}"
            )

    def call(self, inputs):
        y = ops.cast(inputs, self.compute_dtype)
        batch, height, width, bands = ops.shape(y)
        channels = bands // 4
        y = ops.transpose(ops.reshape(y, (batch, height, width, 4, channels)), (0, 4, 1, 2, 3))
        y = ops.reshape(y, (-1, height, width, 4))
        kernel = ops.convert_to_tensor(self._kernel, dtype=self.compute_dtype)
        x = ops.conv(_periodic_pad(y, *self._pad), kernel)  # (B*C, h, w, 4 phases)
        x = ops.transpose(ops.reshape(x, (-1, height, width, 2, 2)), (0, 1, 3, 2, 4))
        x = ops.reshape(x, (batch, channels, 2 * height, 2 * width))
        return ops.transpose(x, (0, 2, 3, 1))

    def compute_output_shape(self, input_shape):
        batch, height, width, bands = input_shape
        double = [None if side is None else 2 * side for side in (height, width)]
        return (batch, *double, bands // 4)
