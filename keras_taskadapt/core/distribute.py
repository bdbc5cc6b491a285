"""The ``tf.distribute`` strategy a run builds and trains its model under, by name.

``multiworker`` is TensorFlow's ``MultiWorkerMirroredStrategy``: one process per worker, the
cluster and the process's place in it read from ``TF_CONFIG``. Its collective ops must be
configured before TensorFlow runs its first op, so the command line creates it at start-up
(:func:`make_strategy` then returns that one). The worker that is the chief (task ``chief``,
or worker 0 of a cluster without one, :func:`is_chief`) writes the run folder; the others
write to a scratch folder of their own.
"""

STRATEGIES = ("default", "mirrored", "multiworker")
_CREATED = {}


def make_strategy(name="default"):
    """``default`` (one device), ``mirrored`` (all local GPUs, or the CPU), ``multiworker``
    (``MultiWorkerMirroredStrategy``, cluster from ``TF_CONFIG``; a single worker without it).
    A distributed strategy is created once per process."""
    import tensorflow as tf

    from keras_taskadapt.core.errors import TaskAdaptError

    if name == "default":
        return tf.distribute.get_strategy()
    if name not in STRATEGIES:
        raise TaskAdaptError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}",
                             parameter="strategy")
    if name not in _CREATED:
        if name == "mirrored":
            _CREATED[name] = tf.distribute.MirroredStrategy()
        else:
            _CREATED[name] = tf.distribute.MultiWorkerMirroredStrategy()
            patch_keras_for_several_workers()
    return _CREATED[name]


def patch_keras_for_several_workers():
    """Two fixes to Keras 3.15's TensorFlow trainer, without which ``fit`` fails under
    ``MultiWorkerMirroredStrategy`` with two or more workers (tensorflow/tensorflow#72388):

    - ``TensorFlowTrainer._maybe_symbolic_build`` builds the model's metrics from a first
      batch that it all-reduces as one nested structure with ``strategy.reduce``, which the
      strategy rejects ("Attempt to convert a value (PerReplica ...) to a Tensor"); building
      needs only the batch's shapes and types, so the local replica's part is taken instead;
    - ``reduce_per_replica`` averages the per-replica logs of a step (scalars) across workers
      with ``strategy.reduce("MEAN", value, axis=0)``, which a scalar has no axis for
      ("Invalid reduction dimension 0 for input with 0 dimensions"); the mean across replicas
      (``axis=None``) is what is meant.

    Nothing else of ``fit`` changes; a single process never runs this code.
    """
    import tensorflow as tf
    from keras import tree
    from keras.src.backend.tensorflow import trainer

    keras_reduce_per_replica = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return keras_reduce_per_replica(values, strategy, reduction)

    trainer.reduce_per_replica = reduce_per_replica

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self._distribute_strategy is None:
            return
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tree.map_structure(
                    lambda value: value.values[0] if isinstance(value, tf.distribute.DistributedValues) else value,
                    next(batches))
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build


def is_chief(strategy):
    """Whether this process writes the run's files: a single process always; in a cluster the
    ``chief`` task, or worker 0 when the cluster names no chief."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if not task_type:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def local_cluster(workers):
    """``TF_CONFIG`` values of a cluster of ``workers`` processes on 127.0.0.1 (free ports), one
    per worker: to try ``--strategy multiworker`` on one machine."""
    import json
    import socket

    sockets = [socket.socket() for _ in range(workers)]
    for handle in sockets:
        handle.bind(("127.0.0.1", 0))
    cluster = {"worker": [f"127.0.0.1:{handle.getsockname()[1]}" for handle in sockets]}
    for handle in sockets:
        handle.close()
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}) for index in range(workers)]


def worker_position():
    """``(workers, index)`` of this process in the multi-worker cluster it trains in, ``(1, 0)``
    outside one; the index is ``tf.distribute``'s input worker index (the chief first)."""
    strategy = _CREATED.get("multiworker")
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return 1, 0
    spec = resolver.cluster_spec()
    chiefs = len(spec.as_dict().get("chief", []))
    workers = chiefs + len(spec.as_dict().get("worker", []))
    return workers, 0 if resolver.task_type == "chief" else chiefs + int(resolver.task_id)


def replicas():
    """Replicas of the current ``tf.distribute`` strategy (1 without one)."""
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def local_inference(model):
    """``batch -> NumPy outputs`` of ``model`` in inference mode, for this process's batch alone.

    One compiled function, whatever strategy the model was built under. ``predict_on_batch``
    under a multi-worker strategy takes each worker's batch as its share of a global batch and
    returns the outputs of every worker's share; a loop that scores its own batches (decoded
    files, one batch at a time) wants the outputs of the batch it passed.
    """
    import keras
    import tensorflow as tf

    forward = tf.function(lambda inputs: model(inputs, training=False), reduce_retracing=True)
    return lambda inputs: keras.ops.convert_to_numpy(forward(inputs))
