"""Discriminative power, structured pruning and complexity counts (seed 000 sections 3.2.6, 3.3.1, table 3.1).

- :class:`ScatterAccumulator`, :func:`layer_discriminative_power`: Fisher's
  ``trace(S_w^-1 S_b)`` per filter or neuron, eqs. (3.4)-(3.6); :func:`plot_best_filter_power`.
- :func:`slice_channels`, :func:`prune_lowest`, :func:`highest_scoring`: a smaller rebuilt
  model without the lowest-scoring filters (:class:`ChannelGroups` ties residual channels).
- :func:`count_params`, :func:`count_flops`: the complexity columns of table 3.1.
"""
from keras_taskadapt.hierarchical.pruning.channel_groups import ChannelGroups
from keras_taskadapt.hierarchical.pruning.complexity import count_flops, count_params, deployed_complexity
from keras_taskadapt.hierarchical.pruning.discriminative_power import (
    ScatterAccumulator,
    fisher_scores,
    layer_discriminative_power,
    plot_best_filter_power,
)
from keras_taskadapt.hierarchical.pruning.structured import (
    highest_scoring,
    prune_lowest,
    slice_channels,
)

__all__ = [
    "ChannelGroups",
    "deployed_complexity",
    "ScatterAccumulator",
    "count_flops",
    "count_params",
    "fisher_scores",
    "highest_scoring",
    "layer_discriminative_power",
    "plot_best_filter_power",
    "prune_lowest",
    "slice_channels",
]
