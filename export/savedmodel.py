"""SavedModel export with a ``serve`` signature, checked by reloading it."""

import numpy as np

from export.artifact import ArtifactReport, artifact_size, seconds_per_call, staged_artifact
from keras_taskadapt.core.errors import TaskAdaptError


def input_shape_of(model):
    """The shape of one input of ``model``: its ``Input``'s, or for a subclassed model the one it was built on."""
    inputs = getattr(model, "inputs", None)  # functional and sequential models
    if inputs:
        return tuple(inputs[0].shape[1:])
    build_shape = (model.get_build_config() or {}).get("input_shape")
    if build_shape is None:
        raise TaskAdaptError(f"model {model.name} has no known input shape; call it on a batch first")
    return tuple(build_shape[1:])


def sample_batch(model, batch_size=4, seed=0):
    """A batch of pixel-range values shaped like the model's input (0..255, float32)."""
    shape = (batch_size,) + input_shape_of(model)
    return np.random.default_rng(seed).uniform(0, 255, size=shape).astype(np.float32)


def export_savedmodel(model, path, *, force=False, batch=None):
    """Export ``model`` to a SavedModel at ``path`` (endpoint ``serve``) and report on it.

    The artifact is reloaded with ``tf.saved_model.load`` and run on ``batch`` (by default a
    random pixel batch) before it is moved into place; the report gives the largest absolute
    difference from the Keras model's outputs.
    """
    import tensorflow as tf

    batch = sample_batch(model) if batch is None else np.asarray(batch, np.float32)
    expected = np.asarray(model(batch, training=False))
    with staged_artifact(path, force=force) as temporary:
        model.export(temporary, format="tf_saved_model", verbose=False)
        reloaded = tf.saved_model.load(temporary)
        served = reloaded.serve(tf.constant(batch)).numpy()
        latency = seconds_per_call(lambda: reloaded.serve(tf.constant(batch[:1])))
        report = ArtifactReport(
            artifact=path,
            kind="savedmodel",
            size_bytes=artifact_size(temporary),
            latency_ms_per_input=1000.0 * latency,
            parity={"max_abs_diff": float(np.max(np.abs(served - expected)))},
        )
    report.write()
    return report
