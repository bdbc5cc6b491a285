"""Min-max scaling to [0.1, 0.9] (seed 000, section 5.3.1, eqs. 5.4-5.5) as Keras layers.

The minimum and maximum are fitted on the training split only and stored in the layer config,
so a saved model can start with :class:`MinMaxScaling` (raw inputs in) and end with
:class:`MinMaxUnscaling` (EC out in physical units). NaN stays NaN in both directions.
"""
import keras
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError

LOW, HIGH = 0.1, 0.9


class _MinMaxRange(keras.layers.Layer):
    """Shared parameters of the two directions: per-feature ``minimum`` and ``maximum``.

    They broadcast against a batch: shape ``(M, 18)`` for the features of eqs. (5.1)-(5.2)
    (eq. 5.4 scales each i-th value of each input m on its own), ``(1, M)`` for raw
    118-day windows, ``(S,)`` for the station targets (eq. 5.5).
    """

    def __init__(self, minimum, maximum, low=LOW, high=HIGH, **kwargs):
        super().__init__(**kwargs)
        self.minimum = np.asarray(minimum, dtype=np.float64)
        self.maximum = np.asarray(maximum, dtype=np.float64)
        if self.minimum.shape != self.maximum.shape:
            raise ValueError(f"minimum {self.minimum.shape} and maximum "
                             f"{self.maximum.shape} differ in shape")
        self.low, self.high = float(low), float(high)
        span = self.maximum - self.minimum
        # A feature constant on the training split maps to `low` rather than dividing by 0.
        self._span = np.where(span > 0, span, 1.0)

    @classmethod
    def fit(cls, x, axis=0, **kwargs):
        """Fit on the training samples ``x``, reducing over ``axis`` (which must include 0,
        the sample axis; ``axis=(0, 1)`` gives one range per input of raw windows).
        NaN values are ignored."""
        x = np.asarray(x, dtype=np.float64)
        axes = tuple(np.atleast_1d(axis))
        if 0 not in axes:
            raise ValueError(f"axis {axis} must include the sample axis 0")
        empty = ~np.isfinite(x).any(axis=axes)
        if empty.any():
            raise TaskAdaptError(f"cannot fit the [0.1, 0.9] scaling: feature "
                                 f"{np.argwhere(empty)[0].tolist()} has no value in the training split")
        minimum = np.nanmin(x, axis=axes, keepdims=True)[0]
        maximum = np.nanmax(x, axis=axes, keepdims=True)[0]
        return cls(minimum, maximum, **kwargs)

    def _constants(self):
        """``(minimum, span / (high - low))`` as tensors of the compute dtype."""
        return (keras.ops.convert_to_tensor(self.minimum, dtype=self.compute_dtype),
                keras.ops.convert_to_tensor(self._span / (self.high - self.low),
                                            dtype=self.compute_dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "minimum": self.minimum.tolist(),
                "maximum": self.maximum.tolist(), "low": self.low, "high": self.high}


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class MinMaxScaling(_MinMaxRange):
    """Eqs. (5.4)-(5.5): ``(x - min) / (max - min) * (high - low) + low``."""

    def call(self, x):
        minimum, step = self._constants()
        return (x - minimum) / step + self.low

    def inverse(self, **kwargs):
        """The :class:`MinMaxUnscaling` with the same parameters."""
        return MinMaxUnscaling(self.minimum, self.maximum, self.low, self.high, **kwargs)


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class MinMaxUnscaling(_MinMaxRange):
    """Inverse of eqs. (5.4)-(5.5): ``(y - low) / (high - low) * (max - min) + min``."""

    def call(self, y):
        minimum, step = self._constants()
        return (y - self.low) * step + minimum
