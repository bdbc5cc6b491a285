"""The latent between sensor and server: quantization, rate control and entropy coding
(seed 000 sections 3.3.1-3.4, seeds 001 and 002).

- :class:`LatentQuantizer`: rounding with per-entry steps, uniform noise in training.
- :func:`entry_entropies`, :func:`entropy_scaled_steps`, :func:`total_entropy_bits`: the
  Gaussian entropies and the entropy-scaled steps ``q_i = s H(y_i)`` of eq. (3.8).
- :class:`LatentEntropyCoder`: per-entry models and range-coded bit streams (constriction).
- :func:`latent_rate`, :func:`entropy_accuracy_curve`, :func:`plot_rate_accuracy`: accuracy
  against total entropy and real bits (figures 3.7, 3.10).
- :func:`truncate_latent`, :func:`entries_to_keep`: fewer latent entries (last or least
  discriminative ones removed).
"""
from keras_taskadapt.latent.entropy import (
    MIN_ENTROPY_BITS,
    entropy_scaled_steps,
    entry_entropies,
    gaussian_fit,
    rounded_gaussian_entropy,
    total_entropy_bits,
)
from keras_taskadapt.latent.entropy_coder import (
    MODELS,
    LatentEntropyCoder,
    bits_of_stream,
)
from keras_taskadapt.latent.quantizer import (
    SEED_NOISE,
    LatentQuantizer,
    quantize_latent,
)
from keras_taskadapt.latent.rate_curve import (
    BitExactnessError,
    entropy_accuracy_curve,
    latent_rate,
    latent_symbols,
    plot_rate_accuracy,
)
from keras_taskadapt.latent.truncation import (
    TRUNCATIONS,
    entries_to_keep,
    first_entries,
    latent_discriminative_power,
    truncate_latent,
)

__all__ = [
    "MIN_ENTROPY_BITS",
    "MODELS",
    "SEED_NOISE",
    "TRUNCATIONS",
    "BitExactnessError",
    "LatentEntropyCoder",
    "LatentQuantizer",
    "bits_of_stream",
    "entries_to_keep",
    "entropy_accuracy_curve",
    "entropy_scaled_steps",
    "entry_entropies",
    "first_entries",
    "gaussian_fit",
    "latent_discriminative_power",
    "latent_rate",
    "latent_symbols",
    "plot_rate_accuracy",
    "quantize_latent",
    "rounded_gaussian_entropy",
    "total_entropy_bits",
    "truncate_latent",
]
