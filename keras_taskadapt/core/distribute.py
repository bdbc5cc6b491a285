"""The ``tf.distribute`` strategy a run builds and trains its model under, by name."""

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name="default"):
    """``default`` (one device), ``mirrored`` (all local GPUs, or the CPU), ``multiworker``
    (``MultiWorkerMirroredStrategy``, cluster from ``TF_CONFIG``; a single worker without it)."""
    import tensorflow as tf

    from keras_taskadapt.core.errors import TaskAdaptError

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise TaskAdaptError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}", parameter="strategy")


def replicas():
    """Replicas of the current ``tf.distribute`` strategy (1 without one)."""
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync
