"""The STL and MTL ANNs of seed 000, sections 5.2-5.3 (figures 5.4-5.7).

Every network here takes raw 118-day windows ``(batch, 118, M)`` in physical units and returns
the EC of its stations scaled to [0.1, 0.9] by eq. (5.5); the scalings are fitted on the
training split (:class:`~keras_taskadapt.salinity.fitted_scalings.EmulatorScalings`) and live
inside the network. :func:`keras_taskadapt.salinity.emulator.physical_emulator` appends the
inverse of eq. (5.5), so the saved emulator returns EC in physical units.

- STL ANN (figure 5.4): the fixed pre-processing of eqs. (5.1)-(5.2), eq. (5.4), then 8 and 2
  sigmoid neurons and one linear output neuron, one network per station (the CalSim ANNs'
  output neuron is linear; the seed names no other).
- 3-MTL (figure 5.5): the same pre-processing, then 8n and 2n sigmoid neurons and n outputs
  with a Leaky ReLU, one network for all n stations ("3" layers: two hidden, one output).
- 4-MTL-P / 4-MTL-R (figures 5.6-5.7): a fourth, trainable pre-processing layer (eq. 5.3) on the
  raw inputs scaled per input by eq. (5.4), initialised to eqs. (5.1)-(5.2) ("P") or at random
  ("R"), then the 3-MTL layers. By default one 118 x 18 filter bank with 18 biases is shared by
  all inputs (``filter_bank="shared"``: the seed's 16,962 parameters for 12 stations);
  ``"per-input"`` gives every input its own bank, eq. (5.3) as written.
"""
import keras

from keras_taskadapt.salinity.antecedent import WINDOW_DAYS
from keras_taskadapt.salinity.preprocessing_layers import (AntecedentConvolution,
                                                           AntecedentInitializer)

HIDDEN_PER_STATION = (8, 2)
"""Sigmoid neurons per station in the two hidden layers (figures 5.4-5.5)."""

PREPROCESSING = ("fixed", "P", "R")
"""Fixed eqs. (5.1)-(5.2); trainable eq. (5.3) initialised to them ("P") or at random ("R")."""

FILTER_BANKS = ("shared", "per-input")
"""The trainable pre-processing's banks: one for all inputs (with bias), or one per input."""

_RANDOM_PREPROCESSING = "glorot_uniform"


def window_input(scalings):
    """The raw-window input ``(batch, 118, M)``."""
    return keras.Input(shape=(WINDOW_DAYS, len(scalings.raw[0].reshape(-1))), name="windows")


def antecedent_features(windows, scalings, preprocessing="fixed", filter_bank="shared"):
    """Scaled features ``(batch, M, 18)`` of the raw ``windows``.

    ``"fixed"``: the frozen pre-processing of eqs. (5.1)-(5.2), then eq. (5.4) per input and
    feature. ``"P"``/``"R"``: eq. (5.4) per input on the raw days, then the trainable eq. (5.3)
    initialised to eqs. (5.1)-(5.2) or at random, with one ``filter_bank`` for all inputs or
    one per input (:data:`FILTER_BANKS`); before training "P" gives exactly the fixed
    pre-processing of the scaled inputs (every "P" filter sums to 1, the bias starts at 0).
    """
    if preprocessing == "fixed":
        features = AntecedentConvolution(trainable=False, name="antecedent")(windows)
        return scalings.feature_layer(name="feature_scaling")(features)
    if preprocessing not in PREPROCESSING:
        raise ValueError(f"pre-processing {preprocessing!r} is not one of {PREPROCESSING}")
    if filter_bank not in FILTER_BANKS:
        raise ValueError(f"filter bank {filter_bank!r} is not one of {FILTER_BANKS}")
    initializer = AntecedentInitializer() if preprocessing == "P" else _RANDOM_PREPROCESSING
    shared = filter_bank == "shared"
    scaled = scalings.raw_layer(name="input_scaling")(windows)
    return AntecedentConvolution(kernel_initializer=initializer, shared=shared, use_bias=shared,
                                 name="trainable_preprocessing")(scaled)


def dense_path(features, stations):
    """The MLP of figures 5.4-5.5 up to the output activation: flatten, 8n and 2n sigmoid
    neurons, n linear output neurons (``n = stations``)."""
    x = keras.layers.Flatten(name="flatten")(features)
    for layer, width in enumerate(HIDDEN_PER_STATION, start=1):
        x = keras.layers.Dense(width * stations, activation="sigmoid", name=f"hidden{layer}")(x)
    return keras.layers.Dense(stations, name="output")(x)


def stl_network(scalings, name="stl"):
    """STL ANN (figure 5.4) for one station: 8-2-1 on the fixed pre-processing."""
    windows = window_input(scalings)
    scaled_ec = dense_path(antecedent_features(windows, scalings), 1)
    return keras.Model(windows, scaled_ec, name=name)


def mtl_network(scalings, preprocessing="fixed", filter_bank="shared", name=None):
    """3-MTL (``preprocessing="fixed"``, figure 5.5) or 4-MTL-P / 4-MTL-R (``"P"``/``"R"``,
    figure 5.6, with ``filter_bank``): 8n-2n-n with a Leaky ReLU output for all ``n`` stations
    of ``scalings``."""
    windows = window_input(scalings)
    stations = len(scalings.targets[0])
    features = antecedent_features(windows, scalings, preprocessing, filter_bank)
    pre_activation = dense_path(features, stations)
    scaled_ec = keras.layers.LeakyReLU(name="output_activation")(pre_activation)
    default = "mtl3" if preprocessing == "fixed" else f"mtl4_{preprocessing.lower()}"
    return keras.Model(windows, scaled_ec, name=name or default)
