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


#: The folder inside a SavedModel for files beside the graph (TensorFlow Serving's convention).
EXTRA_ASSETS = "assets.extra"


def export_savedmodel(model, path, *, force=False, batch=None, contract=None):
    """Export ``model`` to a SavedModel at ``path`` (endpoint ``serve``) and report on it.

    The artifact is reloaded with ``tf.saved_model.load`` and run on ``batch`` (by default a
    random pixel batch) before it is moved into place; the report gives the largest absolute
    difference from the Keras model's outputs. ``contract`` (what the input and output hold)
    goes into the report and, as ``assets.extra/contract.json``, into the SavedModel itself.
    """
    import os

    import tensorflow as tf

    from keras_taskadapt.core.files import write_json

    batch = sample_batch(model) if batch is None else np.asarray(batch, np.float32)
    expected = np.asarray(model(batch, training=False))
    with staged_artifact(path, force=force) as temporary:
        model.export(temporary, format="tf_saved_model", verbose=False)
        contract = {"input_shape": [None, *input_shape_of(model)], "input_dtype": "float32",
                    "signature": "serve", **(contract or {})}
        write_json(os.path.join(temporary, EXTRA_ASSETS, "contract.json"), contract)
        reloaded = tf.saved_model.load(temporary)
        served = reloaded.serve(tf.constant(batch)).numpy()
        latency = seconds_per_call(lambda: reloaded.serve(tf.constant(batch[:1])))
        report = ArtifactReport(
            artifact=path,
            kind="savedmodel",
            size_bytes=artifact_size(temporary),
            latency_ms_per_input=1000.0 * latency,
            parity={"max_abs_diff": float(np.max(np.abs(served - expected)))},
            contract=contract,
        )
    report.write()
    return report
