"""A deployable Delta emulator: raw input windows in, EC in physical units out.

:func:`physical_emulator` joins the trained networks (one MTL or Res-RNN network, or one STL
network per station) behind an :class:`~keras_taskadapt.salinity.signature.EmulatorSignature`
and ends them in the inverse of eq. (5.5), fitted on the training split (seed 000, section
5.3.1). Nothing outside the model is needed to use it: the input scalings sit inside the
networks, the output unscaling at the end.
"""
import keras

from keras_taskadapt.salinity.ann import window_input
from keras_taskadapt.salinity.scaling import MinMaxScaling, MinMaxUnscaling
from keras_taskadapt.salinity.signature import EmulatorSignature


def physical_emulator(networks, scalings, inputs, stations, lead, name="salinity_emulator"):
    """One model from ``networks`` (their scaled outputs concatenated in ``stations`` order)
    with the input columns ``inputs``, the EC columns ``stations`` and the ``lead`` recorded."""
    windows = window_input(scalings)
    signed = EmulatorSignature(inputs, stations, lead, name="signature")(windows)
    scaled = [network(signed) for network in networks]
    if len(scaled) > 1:
        scaled = [keras.layers.Concatenate(name="stations")(scaled)]
    ec = scalings.target_unscaling(name="ec")(scaled[0])
    return keras.Model(windows, ec, name=name)


def output_scaling(emulator):
    """Eq. (5.5) with the emulator's own output range (the NMSE of table 5.3 needs it)."""
    unscaling = [layer for layer in emulator.layers if isinstance(layer, MinMaxUnscaling)][-1]
    return MinMaxScaling(unscaling.minimum, unscaling.maximum, unscaling.low, unscaling.high)
