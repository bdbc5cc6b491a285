"""Latent truncation: fewer latent entries on a deployed auto-encoder (seed 000 sections 3.3.1-3.3.2).

Section 3.3.2 ("Manual Truncation on LDRs") removes the last entries of ``y`` (the last half
in section 3.4.2) and fine-tunes; section 3.3.1 ("Feature Map Pruning") removes the
bottleneck neurons of lowest discriminative power (eq. (3.6)) on the training set.
Removing entry ``i`` removes neuron ``i`` of the latent encoder's last dense layer, input
``i`` of the latent decoder and of the side branch, and step ``q_i`` of the quantizer: a
smaller model that computes what the original computes with those entries nullified.
"""
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.latent.quantizer import LatentQuantizer
from keras_taskadapt.hierarchical.models.parts import HierarchicalParts
from keras_taskadapt.hierarchical.pruning import ScatterAccumulator, highest_scoring, slice_channels

TRUNCATIONS = ("last", "discriminative")


def first_entries(latent_dim, count):
    """Indices kept when the last ``latent_dim - count`` entries are truncated."""
    if not 1 <= count <= latent_dim:
        raise TaskAdaptError(f"cannot keep {count} of {latent_dim} latent entries (keep 1 to {latent_dim})")
    return np.arange(count)


def latent_discriminative_power(latents, labels, num_classes):
    """``D`` of eq. (3.6) of every latent entry (a neuron: ``S_b / S_w``) on ``latents`` (N, dy)."""
    accumulator = ScatterAccumulator(num_classes)
    accumulator.update(latents, labels)
    return accumulator.scores()


def entries_to_keep(how, count, latent_dim, latents=None, labels=None, num_classes=None):
    """The entries a truncation of ``latent_dim`` entries to ``count`` keeps: the first ones
    (``"last"`` truncated) or the most discriminative ones on training ``latents`` and
    ``labels`` (``"discriminative"``)."""
    if how == "last":
        return first_entries(latent_dim, count)
    if how == "discriminative":
        return highest_scoring(latent_discriminative_power(latents, labels, num_classes), count)
    raise TaskAdaptError(f"truncation must be one of {TRUNCATIONS}, got {how!r}")


def truncate_latent(parts, keep):
    """:class:`HierarchicalParts` keeping only the latent entries ``keep`` (module docstring)."""
    latent_layer = parts.encoder.outputs[0]._keras_history.operation.name
    encoder = slice_channels(parts.encoder, {latent_layer: keep})
    kept = np.sort(np.asarray(keep))
    decoder = slice_channels(parts.decoder, {}, input_keep=kept)
    side_branch = None if parts.side_branch is None else slice_channels(parts.side_branch, {}, input_keep=kept)
    quantizer = None
    if parts.quantizer is not None:
        quantizer = LatentQuantizer.from_config(parts.quantizer.get_config())
        quantizer.build((None, kept.size))
        quantizer.set_step_sizes(np.asarray(parts.quantizer.step_sizes)[kept])
    return HierarchicalParts(encoder=encoder, decoder=decoder, side_branch=side_branch, quantizer=quantizer)
