"""TFLite export of a Keras 3 model: float32, dynamic-range and full-integer int8.

The model (functional, or a sub-model such as a sensor half) is exported with
``model.export(..., format="tf_saved_model")`` and converted with
``tf.lite.TFLiteConverter.from_saved_model``: the route that holds for Keras 3 models in
TF 2.21 (``from_keras_model`` takes the same route but prints the whole signature;
``from_concrete_functions`` on a Keras 3 call loses the weights: a 31 KB file for a
316 KB ResNet-8, with NaN outputs). Only TFLite builtin ops are allowed, never
SELECT_TF_OPS (Flex): a model that needs them fails with one line that names the ops.

Modes:

``float``    float32 weights and activations.
``dynamic``  dynamic-range quantization: int8 weights, float activations, no data needed.
``int8``     full-integer quantization: int8 weights and activations, int8 inputs and float
             outputs quantized to int8 (integer outputs stay as they are), calibrated on a
             representative data set drawn from a ``tf.data`` pipeline.

The artifact is loaded back with LiteRT and run on a batch before it is moved into place;
its report gives the size, the single-input latency on one CPU thread and the parity with
the Keras model (:func:`output_parity`).
"""

import tempfile

import numpy as np

from export.artifact import ArtifactReport, artifact_size, seconds_per_call, staged_artifact
from export.litert_runner import LiteRTModel
from export.savedmodel import sample_batch
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.registry import Registry

#: The conversions by name; each configures a ``tf.lite.TFLiteConverter``.
MODES = Registry("TFLite mode", parameter="mode")


@MODES.register("float", help="float32 weights and activations")
def _float_conversion(converter, representative):
    """Nothing to change: the converter writes float32."""


@MODES.register("dynamic", help="int8 weights, float activations, no data needed")
def _dynamic_range_conversion(converter, representative):
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]


@MODES.register("int8", help="full integer: int8 weights, activations and inputs (needs representative data)")
def _full_integer_conversion(converter, representative):
    import tensorflow as tf

    if representative is None:
        raise TaskAdaptError("int8 quantization needs representative data (a data set)", parameter="dataset")
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8


def representative_data(dataset, batches):
    """The converter's representative data: the inputs of the first ``batches`` elements.

    ``dataset`` is a batched ``tf.data`` pipeline of ``(inputs, labels[, weights])`` or of
    inputs alone; inputs are a tensor or ``{input name: tensor}``, cast to float32.
    """
    import tensorflow as tf

    def generate():
        for element in dataset.take(batches):
            inputs = element[0] if isinstance(element, tuple) else element
            if isinstance(inputs, dict):
                yield {name: tf.cast(values, tf.float32) for name, values in inputs.items()}
            else:
                yield [tf.cast(inputs, tf.float32)]

    return generate


def convert_to_tflite(model, mode="float", representative=None):
    """The ``.tflite`` bytes of a Keras model in ``mode`` (see the module docstring).

    ``representative`` (for ``int8``) is a generator function such as
    :func:`representative_data` returns.
    """
    import tensorflow as tf

    configure = MODES[mode]
    with tempfile.TemporaryDirectory(prefix="tflite-savedmodel-") as saved_model:
        model.export(saved_model, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        configure(converter, representative)
        try:
            return converter.convert()
        except Exception as error:
            if not hasattr(error, "errors"):  # only the converter's ConverterError lists failing ops
                raise
            ops = sorted({item.operator.name for item in error.errors if item.operator.name}) or ["?"]
            raise TaskAdaptError(f"TFLite builtins cannot run {', '.join(ops)} ({mode} conversion); "
                                 f"this export does not fall back to TensorFlow (Flex) ops") from None


def named_outputs(outputs):
    """Keras outputs keyed like the SavedModel signature: dict keys, else ``output_<i>``."""
    import keras

    if isinstance(outputs, dict):
        return {name: keras.ops.convert_to_numpy(values) for name, values in outputs.items()}
    flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {f"output_{index}": keras.ops.convert_to_numpy(values) for index, values in enumerate(flat)}


def is_integer_valued(values):
    return np.issubdtype(values.dtype, np.integer) or np.array_equal(values, np.rint(values))


def output_parity(expected, served):
    """Parity of LiteRT outputs with the Keras ones, both ``{name: array}``.

    ``max_abs_diff`` over all outputs; when every Keras output is integer-valued (quantized
    latents, DCT coefficients), also ``identical_fraction``: the share of outputs that equal
    the Keras ones once rounded to the nearest integer.
    """
    if set(expected) != set(served):
        raise RuntimeError(f"the TFLite outputs {sorted(served)} are not the Keras ones {sorted(expected)}")
    parity = {"max_abs_diff": max(float(np.max(np.abs(served[name].astype(np.float64) - expected[name]), initial=0.0))
                                  for name in expected)}
    if all(is_integer_valued(values) for values in expected.values()):
        identical = sum(int(np.sum(np.rint(served[name]) == expected[name])) for name in expected)
        parity["identical_fraction"] = identical / sum(values.size for values in expected.values())
    return parity


def first_of(batch):
    """The first input of a batch (an array or a dict of arrays), keeping the batch axis."""
    return {name: values[:1] for name, values in batch.items()} if isinstance(batch, dict) else batch[:1]


def tensor_contract(details, name):
    """What a program must feed or read at one tensor: dtype, shape and, for a quantized tensor,
    ``real = (value - zero_point) * scale``."""
    from export.litert_runner import quantization_of

    entry = {"name": name, "dtype": np.dtype(details["dtype"]).name, "shape": [int(side) for side in details["shape"]]}
    quantization = quantization_of(details)
    if quantization is not None:
        entry["scale"], entry["zero_point"] = quantization
        entry["real_value"] = "(value - zero_point) * scale"
    return entry


def tflite_contract(runner):
    """The signature's inputs and outputs of a :class:`LiteRTModel`, in signature order."""
    return {"signature_inputs": [tensor_contract(runner.input_details[name], name) for name in runner.input_names],
            "signature_outputs": [tensor_contract(runner.output_details[name], name) for name in runner.output_names]}


def export_tflite(model, path, *, mode="float", representative=None, batch=None, force=False, kind=None,
                  contract=None):
    """Convert ``model`` to ``.tflite`` at ``path`` in ``mode``, check it with LiteRT and report.

    ``batch`` (default: random pixels shaped like the input) is run through the artifact and
    the Keras model for the parity figures; the latency is that of one input on one thread.
    The report lands in ``<path>.report.json`` with ``kind`` (default ``tflite-<mode>``); its
    ``contract`` is the signature's tensors and ``contract``'s entries (the value conventions).
    """
    batch = sample_batch(model) if batch is None else batch
    expected = named_outputs(model(batch, training=False))
    with staged_artifact(path, force=force) as temporary:
        with open(temporary, "wb") as file:
            file.write(convert_to_tflite(model, mode, representative))
        runner = LiteRTModel(temporary, num_threads=1)
        parity = output_parity(expected, runner.run(batch))
        single = first_of(batch)
        latency = seconds_per_call(lambda: runner.run(single))
        report = ArtifactReport(artifact=path, kind=kind or f"tflite-{mode}", size_bytes=artifact_size(temporary),
                                latency_ms_per_input=1000.0 * latency, parity=parity,
                                contract={**tflite_contract(runner), **(contract or {})})
    report.write()
    return report
