"""The [0.1, 0.9] ranges an emulator fits on its training split (seed 000, eqs. 5.4-5.5).

Three ranges, all from the training samples only:

- ``raw``: per input over every day of the 118-day windows, for the inputs of the trainable
  pre-processing (eq. 5.3) and nothing else;
- ``features``: per input and feature of the fixed pre-processing (eq. 5.4: "the i-th daily
  value of the m-th input variable" is scaled on its own);
- ``targets``: per station (eq. 5.5); the networks learn the scaled EC and the emulators end in
  the inverse, so their outputs are in physical units.

Each call of a ``*_layer`` method gives a new layer with those ranges, so one fit can serve
several networks (one per station for STL).
"""
from dataclasses import dataclass

import keras
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError

from keras_taskadapt.salinity.scaling import MinMaxScaling


@dataclass(frozen=True)
class EmulatorScalings:
    """``(minimum, maximum)`` arrays of the three ranges (see the module docstring)."""

    raw: tuple
    features: tuple
    targets: tuple

    @classmethod
    def fit(cls, train):
        """Fit on the training :class:`~keras_taskadapt.salinity.antecedent.Windows` (which
        must hold ``raw`` windows); NaN targets are ignored, but every station needs one."""
        unobserved = np.flatnonzero(np.isnan(train.targets).all(axis=0))
        if unobserved.size:
            first, last = train.target_dates.min(), train.target_dates.max()
            raise TaskAdaptError(f"station '{train.stations[unobserved[0]]}' has no observation in the training "
                                 f"split ({first} .. {last}); leave it out with --stations")

        def extremes(values, axis=0):
            layer = MinMaxScaling.fit(values, axis=axis)
            return layer.minimum, layer.maximum
        return cls(raw=extremes(train.raw, axis=(0, 1)), features=extremes(train.features),
                   targets=extremes(train.targets))

    def raw_layer(self, name=None):
        """Eq. (5.4) per input, for raw windows ``(batch, T, M)``."""
        return MinMaxScaling(*self.raw, name=name)

    def feature_layer(self, name=None):
        """Eq. (5.4) per input and feature, for features ``(batch, M, Tr)``."""
        return MinMaxScaling(*self.features, name=name)

    def target_layer(self, stations=slice(None), name=None):
        """Eq. (5.5) for the stations at index ``stations``."""
        return MinMaxScaling(self.targets[0][stations], self.targets[1][stations], name=name)

    def target_unscaling(self, stations=slice(None), name=None):
        """The inverse of eq. (5.5): scaled outputs to EC in physical units."""
        return self.target_layer(stations).inverse(name=name)

    def scale_targets(self, targets):
        """EC ``(samples, S)`` scaled by eq. (5.5), NaN kept (the training targets)."""
        scaled = self.target_layer()(np.asarray(targets, dtype=np.float32))
        return keras.ops.convert_to_numpy(scaled)
