"""What a saved emulator takes and gives, recorded inside the model.

A Delta emulator takes the raw 118-day windows of named input columns and returns EC at named
stations, possibly ``lead`` days ahead (section 5.4.1). :class:`EmulatorSignature` is an
identity layer whose config carries those names and the lead, so a ``.keras`` file (or an
exported model's config) says how to feed it; ``evaluate salinity`` reads it back with
:func:`read_signature`.
"""
import keras

from keras_taskadapt.core.errors import TaskAdaptError


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class EmulatorSignature(keras.layers.Layer):
    """Identity on the raw input windows; ``inputs``, ``stations`` and ``lead`` in its config."""

    def __init__(self, inputs, stations, lead, **kwargs):
        super().__init__(**kwargs)
        self.inputs, self.stations, self.lead = tuple(inputs), tuple(stations), int(lead)

    def call(self, windows):
        return windows

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "inputs": list(self.inputs),
                "stations": list(self.stations), "lead": self.lead}


def find_signature(model):
    """The :class:`EmulatorSignature` layer of ``model`` (``None`` when it has none)."""
    return next((layer for layer in getattr(model, "layers", ()) if isinstance(layer, EmulatorSignature)), None)


def read_signature(model, path="the model"):
    """The :class:`EmulatorSignature` of ``model``; a :class:`TaskAdaptError` if it has none."""
    signature = find_signature(model)
    if signature is not None:
        return signature
    raise TaskAdaptError(f"{path} is not a salinity emulator (it records no input and station "
                         f"columns); train one with `keras-taskadapt train salinity`", parameter="model")


def emulator_contract(model):
    """What a served emulator takes and gives (``None`` for a model that is no emulator)."""
    signature = find_signature(model)
    if signature is None:
        return None
    days = model.input.shape[1]
    return {
        "input": f"windows: float32 (N, {days}, {len(signature.inputs)}), the raw daily values of the {days} days "
                 f"n-{days - 1} .. n, oldest first, one column per input in the order of 'inputs', in the units "
                 "of the training files (no scaling: the model scales inside)",
        "inputs": list(signature.inputs),
        "output": f"EC (N, {len(signature.stations)}) in physical units on day n + lead, one column per station "
                  "in the order of 'stations'",
        "stations": list(signature.stations),
        "lead": signature.lead,
        "window_days": days,
    }


def load_emulator(path):
    """``(emulator, its signature)`` of the ``.keras`` file at ``path``; one
    :class:`TaskAdaptError` for a missing file, a file Keras cannot read and a model of another task."""
    from keras_taskadapt.core.keras_file import load_model

    model = load_model(path, keras.Model, "a salinity emulator (written by train salinity)")
    return model, read_signature(model, path)
