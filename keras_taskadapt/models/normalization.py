"""Batch normalisation that computes the statistics of the global batch.

Under a ``tf.distribute`` strategy with several replicas (``--strategy mirrored`` with several
GPUs, ``multiworker`` with several workers), every replica sees its share of the global
batch; a plain ``BatchNormalization`` would normalise with the share's mean and variance, so
the training step would differ from the one on a single device. Built under such a strategy,
the layer is ``synchronized``: the statistics are reduced across replicas, and the step is
that of the global batch. It is synchronized under every distributed strategy, one replica
included, so that one and several workers compute the moments the same way (a synchronized
layer computes the variance as E[x^2] - E[x]^2). Without a strategy nothing changes.
"""

from keras import layers


def batch_normalization(name, momentum=0.9, **kwargs):
    """``keras.layers.BatchNormalization``, synchronized across replicas under a distributed strategy."""
    import tensorflow as tf

    return layers.BatchNormalization(momentum=momentum, synchronized=tf.distribute.has_strategy(), name=name,
                                     **kwargs)
