"""The networks of seed 000, section 5.4: ResNet, LSTM, GRU, Res-LSTM and Res-GRU.

All take raw 118-day windows, apply the fixed pre-processing of eqs. (5.1)-(5.2) and (5.4)
("we prepare model inputs the same way as discussed in section 5.1", section 5.4.1), and return
the n stations' EC scaled by eq. (5.5), like :mod:`keras_taskadapt.salinity.ann`.

Read as a sequence, the 18 features of the M inputs are 18 steps back in time: the current day,
the 7 days before it, then ten 11-day means reaching back to day n - 117. The recurrent layers
run over those 18 steps oldest first (``go_backwards``, the features being newest first).

- Res-LSTM / Res-GRU: the MLP main path of :func:`~keras_taskadapt.salinity.ann.dense_path`
  plus a thin recurrent shortcut (8n sigmoid neurons per step, an LSTM or GRU of n units over
  the 18 steps, one linear layer to n outputs), added before the Leaky ReLU output activation.
- ResNet: the same MLP with a linear skip connection from the features to the output,
  added at the same place, so the two differ only in the shortcut.
- LSTM / GRU: two recurrent layers of 8n and 2n units (the MLP's widths), a linear layer to n
  outputs and the Leaky ReLU.
"""
import keras

from keras_taskadapt.salinity.ann import (HIDDEN_PER_STATION, antecedent_features, dense_path,
                                          window_input)

SHORTCUTS = ("dense", "lstm", "gru")
CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def _steps(features):
    """Features ``(batch, M, 18)`` as a sequence ``(batch, 18, M)``, newest step first."""
    return keras.layers.Permute((2, 1), name="steps")(features)


def _recurrent_shortcut(features, cell, stations):
    steps = keras.layers.Dense(HIDDEN_PER_STATION[0] * stations, activation="sigmoid",
                               name="shortcut_hidden")(_steps(features))
    states = CELLS[cell](stations, return_sequences=True, go_backwards=True,
                         name=f"shortcut_{cell}")(steps)
    flat = keras.layers.Flatten(name="shortcut_flatten")(states)
    return keras.layers.Dense(stations, name="shortcut_output")(flat)


def residual_network(scalings, shortcut, name=None):
    """ResNet (``shortcut="dense"``), Res-LSTM (``"lstm"``) or Res-GRU (``"gru"``)."""
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut {shortcut!r} is not one of {SHORTCUTS}")
    windows = window_input(scalings)
    stations = len(scalings.targets[0])
    features = antecedent_features(windows, scalings)
    main = dense_path(features, stations)
    if shortcut == "dense":
        flat = keras.layers.Flatten(name="shortcut_flatten")(features)
        side = keras.layers.Dense(stations, name="shortcut_output")(flat)
    else:
        side = _recurrent_shortcut(features, shortcut, stations)
    joined = keras.layers.Add(name="residual_add")([main, side])
    scaled_ec = keras.layers.LeakyReLU(name="output_activation")(joined)
    return keras.Model(windows, scaled_ec,
                       name=name or ("resnet" if shortcut == "dense" else f"res_{shortcut}"))


def recurrent_network(scalings, cell, name=None):
    """Vanilla LSTM (``cell="lstm"``) or GRU (``"gru"``) over the 18 steps."""
    if cell not in CELLS:
        raise ValueError(f"cell {cell!r} is not one of {tuple(CELLS)}")
    windows = window_input(scalings)
    stations = len(scalings.targets[0])
    first, second = (width * stations for width in HIDDEN_PER_STATION)
    # go_backwards returns the states oldest step first; the second layer reads them forwards.
    x = CELLS[cell](first, return_sequences=True, go_backwards=True, name=f"{cell}1")(
        _steps(antecedent_features(windows, scalings)))
    x = CELLS[cell](second, name=f"{cell}2")(x)
    x = keras.layers.Dense(stations, name="output")(x)
    scaled_ec = keras.layers.LeakyReLU(name="output_activation")(x)
    return keras.Model(windows, scaled_ec, name=name or cell)
