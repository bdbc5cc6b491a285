"""The emulator configurations of seed 000, chapter 5, by their command-line names.

Tables 5.3-5.4 (section 5.5.1): STL-LM, STL-Adam, 3-MTL, 4-MTL-R, 4-MTL-P. Section 5.5.2: MLP,
ResNet, LSTM, GRU, Res-LSTM, Res-GRU. Each names the Adam recipe it trains with by default
(:mod:`keras_taskadapt.salinity.recipes`; LM: its own 150-epoch loop). All stop early on the
validation MSE (section 5.4.3).
"""
from collections.abc import Callable
from dataclasses import dataclass

from keras_taskadapt.salinity.ann import mtl_network, stl_network
from keras_taskadapt.salinity.recurrent import recurrent_network, residual_network

OPTIMIZERS = ("adam", "lm")


@dataclass(frozen=True)
class Configuration:
    """``networks(scalings, stations, **options)`` builds the list of networks to train: one
    per station when ``per_station`` (STL), else one for all stations; ``options`` are the
    network options the configuration takes (``network_options``: ``filter_bank`` for the
    trainable pre-processing). ``schedule`` names the default Adam recipe (LM has its own
    damping: ``"lm"``)."""

    label: str
    networks: Callable
    optimizer: str
    schedule: str
    per_station: bool = False
    network_options: tuple = ()


def _per_station(scalings, stations):
    return [stl_network(scalings, name=f"stl_{station}") for station in stations]


def _single(build, *args):
    return lambda scalings, stations, **options: [build(scalings, *args, **options)]


CONFIGURATIONS = {
    "stl": Configuration("STL-Adam", _per_station, "adam", "cosine", per_station=True),
    "stl-lm": Configuration("STL-LM", _per_station, "lm", "lm", per_station=True),
    "mtl": Configuration("3-MTL", _single(mtl_network, "fixed"), "adam", "cosine"),
    "mtl-conv-p": Configuration("4-MTL-P", _single(mtl_network, "P"), "adam", "cosine",
                                network_options=("filter_bank",)),
    "mtl-conv-r": Configuration("4-MTL-R", _single(mtl_network, "R"), "adam", "cosine",
                                network_options=("filter_bank",)),
    "mlp": Configuration("MLP", _single(mtl_network, "fixed"), "adam", "constant"),
    "resnet": Configuration("ResNet", _single(residual_network, "dense"), "adam", "constant"),
    "lstm": Configuration("LSTM", _single(recurrent_network, "lstm"), "adam", "constant"),
    "gru": Configuration("GRU", _single(recurrent_network, "gru"), "adam", "constant"),
    "res-lstm": Configuration("Res-LSTM", _single(residual_network, "lstm"), "adam", "constant"),
    "res-gru": Configuration("Res-GRU", _single(residual_network, "gru"), "adam", "constant"),
}
"""``--model`` name: configuration. ``mlp`` is the 3-MTL network trained as in section 5.4.3."""
