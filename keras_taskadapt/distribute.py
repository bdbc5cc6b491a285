"""``--strategy``: the ``tf.distribute`` strategy a task builds and trains its model under."""

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name="default"):
    """``default`` (one device), ``mirrored`` (all local GPUs, or the CPU), ``multiworker``
    (``MultiWorkerMirroredStrategy``, cluster from ``TF_CONFIG``; a single worker without it)."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")
