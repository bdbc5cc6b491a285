"""The latent between sensor and server: quantization, rate control and entropy coding
(seed 000 sections 3.3.1-3.4, seeds 001 and 002).

- :class:`LatentQuantizer`: rounding with per-entry steps, uniform noise in training.
- :func:`entry_entropies`, :func:`entropy_scaled_steps`, :func:`total_entropy_bits`: the
  Gaussian entropies and the entropy-scaled steps ``q_i = s H(y_i)`` of eq. (3.8).
- :class:`LatentEntropyCoder`: per-entry models and range-coded bit streams (constriction);
  :func:`encode_image_stream`, :func:`decode_image_stream`: the per-image stream format.
- :class:`SplitCodec`: the deployed steps, coder, streams, sensor and server models;
  :func:`decode_streams`: the server side.
- :func:`entropy_accuracy_curve`, :func:`plot_rate_accuracy`: accuracy against total entropy
  and real bits (figures 3.7, 3.10).
- :func:`truncate_latent`, :func:`entries_to_keep`: fewer latent entries (last or least
  discriminative ones removed).
"""
from keras_taskadapt.hierarchical.latent.bitstream import FORMAT_VERSION, decode_image_stream, encode_image_stream
from keras_taskadapt.hierarchical.latent.entropy import (
    MIN_ENTROPY_BITS,
    entropy_scaled_steps,
    entry_entropies,
    gaussian_fit,
    rounded_gaussian_entropy,
    total_entropy_bits,
)
from keras_taskadapt.hierarchical.latent.entropy_coder import (
    MODELS,
    LatentEntropyCoder,
    bits_of_stream,
)
from keras_taskadapt.hierarchical.latent.quantizer import (
    SEED_NOISE,
    LatentQuantizer,
    quantize_latent,
)
from keras_taskadapt.hierarchical.latent.rate_curve import entropy_accuracy_curve, plot_rate_accuracy
from keras_taskadapt.hierarchical.latent.split_codec import (
    BitExactnessError,
    SplitCodec,
    decode_streams,
    latent_symbols,
)
from keras_taskadapt.hierarchical.latent.truncation import (
    TRUNCATIONS,
    entries_to_keep,
    first_entries,
    latent_discriminative_power,
    truncate_latent,
)

__all__ = [
    "FORMAT_VERSION",
    "SplitCodec",
    "decode_image_stream",
    "decode_streams",
    "encode_image_stream",
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
    "latent_symbols",
    "plot_rate_accuracy",
    "quantize_latent",
    "rounded_gaussian_entropy",
    "total_entropy_bits",
    "truncate_latent",
]
