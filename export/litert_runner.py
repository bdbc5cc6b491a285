"""Running a ``.tflite`` model with LiteRT (``ai-edge-litert``), the maintained TFLite runtime.

``tf.lite.Interpreter`` is deprecated and ``tflite-runtime`` does not work with NumPy 2, so every
``.tflite`` artifact here is loaded with :class:`ai_edge_litert.interpreter.Interpreter`.
"""

import os

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError


def quantization_of(details):
    """``(scale, zero_point)`` of a per-tensor quantized tensor, ``None`` for a float tensor."""
    parameters = details["quantization_parameters"]
    if not len(parameters["scales"]) or not np.issubdtype(details["dtype"], np.integer):
        return None
    return float(parameters["scales"][0]), int(parameters["zero_points"][0])


def quantize(values, details):
    """Values as the input tensor takes them: rounded to its integer grid when it is quantized."""
    dtype = details["dtype"]
    quantization = quantization_of(details)
    if quantization is None:
        return np.asarray(values, dtype)
    scale, zero_point = quantization
    limits = np.iinfo(dtype)
    return np.clip(np.rint(np.asarray(values, np.float32) / scale + zero_point), limits.min, limits.max).astype(dtype)


def dequantize(values, details):
    """An output tensor in real units: (q - zero_point) * scale when it is quantized."""
    quantization = quantization_of(details)
    if quantization is None:
        return values
    scale, zero_point = quantization
    return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


class LiteRTModel:
    """A ``.tflite`` model called on batches, in the units of the Keras model it came from.

    Args:
        model: a path to a ``.tflite`` file or its bytes.
        num_threads: CPU threads of the interpreter (default 1, the latency figures' setting).
        signature: the signature to run (default: the model's only or first one,
            ``serving_default`` for models converted from a SavedModel).

    Inputs are resized to each batch's size; float inputs of an integer-quantized tensor are
    quantized with its scale and zero point, and quantized outputs are dequantized.
    """

    def __init__(self, model, num_threads=1, signature=None):
        from ai_edge_litert.interpreter import Interpreter

        source = {"model_content": model} if isinstance(model, bytes) else {"model_path": os.fspath(model)}
        self.interpreter = Interpreter(num_threads=num_threads, **source)
        signatures = self.interpreter.get_signature_list()
        if not signatures:
            raise TaskAdaptError(f"{model if not isinstance(model, bytes) else 'the model'} has no signature to run")
        key = signature or next(iter(signatures))
        self.runner = self.interpreter.get_signature_runner(key)
        self.input_details = self.runner.get_input_details()
        self.output_details = self.runner.get_output_details()
        self.input_names = list(signatures[key]["inputs"])
        self.output_names = list(signatures[key]["outputs"])

    def run(self, batch):
        """Every output of one batch as ``{signature output name: array}``.

        ``batch`` is an array for a one-input model, or ``{input name: array}``.
        """
        if not isinstance(batch, dict):
            if len(self.input_names) != 1:
                raise ValueError(f"this model has inputs {self.input_names}; pass a dict of them")
            batch = {self.input_names[0]: batch}
        if set(batch) != set(self.input_names):
            raise ValueError(f"inputs {sorted(batch)} do not match the model's {sorted(self.input_names)}")
        outputs = self.runner(**{name: quantize(values, self.input_details[name]) for name, values in batch.items()})
        return {name: dequantize(values, self.output_details[name]) for name, values in outputs.items()}

    def predict(self, batch):
        """The model's output for ``batch``: an array, or a dict when it has several outputs."""
        outputs = self.run(batch)
        return outputs[self.output_names[0]] if len(outputs) == 1 else outputs
