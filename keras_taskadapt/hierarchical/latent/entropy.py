"""Gaussian entropies of latent entries and entropy-scaled quantization (seed 000 eq. (3.8)).

Section 3.3.2 models every latent entry ``y_i`` as Gaussian on the training set and gives
it the quantization step ``q_i = s H(y_i)`` (eq. (3.8)); the transmitted symbol is
``round(y_i / q_i)`` and one scalar ``s`` sets the rate of a deployed encoder. Section 3.4.2
reports the "total entropy" of the quantized latent, again assuming Gaussian entries,
evaluated on the test set.

``H`` here is the entropy in bits of the *rounded* Gaussian,
``H(round(Y)) = -sum_k p_k log2 p_k`` with ``p_k = P(k - 1/2 <= Y < k + 1/2)``: what the
entry costs at unit step, which is what the trained encoder transmits, and never negative
(the differential entropy ``1/2 log2(2 pi e sigma^2)``, which it approaches as ``sigma``
grows, is negative for ``sigma < 0.242`` and would give negative steps). An entry
that is nearly constant after rounding has ``H`` near 0 and would get a vanishing step, so
``H`` is floored at ``min_entropy`` in eq. (3.8).
"""
import numbers

import numpy as np
from scipy.special import ndtr

from keras_taskadapt.core.errors import TaskAdaptError

#: Floor of ``H(y_i)`` in eq. (3.8), bits.
MIN_ENTROPY_BITS = 0.1
#: From this standard deviation on, ``H = h + log2(e) / (24 sigma^2)`` (the differential entropy
#: ``h`` and its first correction for unit bins; the next term is below 1e-12 bits).
_DIFFERENTIAL_STD = 1000.0
#: Half-width of the summed range, in standard deviations.
_TAIL_STDS = 12.0


def gaussian_fit(latents):
    """Mean and standard deviation of every entry (last axis) of ``latents`` (N, dy), float64."""
    values = np.asarray(latents, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2:
        raise TaskAdaptError(f"latents must be a matrix of at least 2 rows (samples, entries), got shape "
                             f"{values.shape}")
    return values.mean(axis=0), values.std(axis=0)


def rounded_gaussian_entropy(mean, std):
    """Entropy in bits of ``round(Y)``, ``Y ~ N(mean, std^2)``, element-wise (module docstring)."""
    mean, std = np.broadcast_arrays(np.asarray(mean, np.float64), np.asarray(std, np.float64))
    flat_mean, flat_std = mean.reshape(-1), std.reshape(-1)
    entropy = np.zeros(flat_mean.shape)
    wide = flat_std >= _DIFFERENTIAL_STD
    entropy[wide] = 0.5 * np.log2(2.0 * np.pi * np.e * flat_std[wide] ** 2) + np.log2(np.e) / (24 * flat_std[wide] ** 2)
    for index in np.flatnonzero((flat_std > 0) & ~wide):
        entropy[index] = _rounded_entropy(flat_mean[index], flat_std[index])
    return entropy.reshape(mean.shape)


def _rounded_entropy(mean, std):
    symbols = np.arange(np.floor(mean - _TAIL_STDS * std) - 1, np.ceil(mean + _TAIL_STDS * std) + 2)
    lower = (symbols - 0.5 - mean) / std
    upper = (symbols + 0.5 - mean) / std
    # Differences of the far tail taken on the side where they do not cancel.
    mass = np.where(lower > 0, ndtr(-lower) - ndtr(-upper), ndtr(upper) - ndtr(lower))
    mass = mass[mass > 0]
    return float(-(mass * np.log2(mass)).sum()) + 0.0  # no -0.0 for a certain symbol


def entry_entropies(latents):
    """``H(y_i)`` of every entry of training latents ``(N, dy)`` under its Gaussian fit, bits."""
    return rounded_gaussian_entropy(*gaussian_fit(latents))


def entropy_scaled_steps(entropies, scale, min_entropy=MIN_ENTROPY_BITS):
    """Quantization steps ``q_i = s * max(H(y_i), min_entropy)`` of eq. (3.8)."""
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
        raise TaskAdaptError(f"the quantization scale s must be a positive number, got {scale!r}")
    if not min_entropy > 0:
        raise TaskAdaptError(f"min_entropy must be positive, got {min_entropy!r}")
    return float(scale) * np.maximum(np.asarray(entropies, np.float64), min_entropy)


def total_entropy_bits(latents, step_sizes=1.0):
    """Total entropy of ``round(y / q)`` (section 3.4.2): the sum over entries of the rounded
    Gaussian entropy of ``y_i / q_i``, the Gaussian fitted on ``latents`` (N, dy)."""
    return float(entry_entropies(np.asarray(latents, np.float64) / np.asarray(step_sizes, np.float64)).sum())
