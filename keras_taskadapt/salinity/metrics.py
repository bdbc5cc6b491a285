"""Salinity metrics of seed 000, tables 5.2-5.3, and the masked MSE training loss.

Every metric takes ``y_true`` and ``y_pred`` of shape ``(samples,)`` or ``(samples, S)`` and
returns one value per station (a float for 1-D input). Targets that are NaN (missing EC) are
left out, station by station; where a metric is undefined (no target; a constant target for
r^2, RSR and NSE; targets summing to 0 for the bias) it is NaN.

Table 5.2, with O the target (DSM2 or observed) and A the model, sums over the samples:

- MSE ``= mean (O - A)^2`` (the table prints the sum; the name and section 5.3.1 mean the mean);
- r^2: the squared Pearson correlation of O and A (the table's
  ``(sum (O - mean O)(A - mean A) / (T sigma_O sigma_A))^2`` with population sigmas; the
  absolute value the table prints inside the sum would make it no correlation, so it is left out);
- percent bias ``= 100 sum (A - O) / sum O``;
- RSR ``= sqrt(sum (O - A)^2) / sqrt(sum (O - mean O)^2)``;
- NSE ``= 1 - sum (O - A)^2 / sum (O - mean O)^2``.

Table 5.3's NMSE is the MSE of the outputs scaled to [0.1, 0.9] by eq. (5.5) (section 5.5.1).
"""
import keras
import numpy as np

RANGES = {"0-75": (0.0, 0.75), "75-95": (0.75, 0.95), "95-100": (0.95, 1.0)}
"""Salinity ranges of figure 5.10 as quantiles of the target at each station."""


def _by_station(y):
    """``y`` as float64 ``(samples, stations)``."""
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(len(y), -1)


def _columns(y_true, y_pred):
    """(target, prediction) of each station with the missing targets removed, and whether
    the input was 1-D (one station)."""
    one_station = np.ndim(y_true) == 1
    y_true, y_pred = _by_station(y_true), _by_station(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"targets {y_true.shape} and predictions {y_pred.shape} differ in shape")
    kept = [(y_true[~np.isnan(y_true[:, s]), s], y_pred[~np.isnan(y_true[:, s]), s])
            for s in range(y_true.shape[1])]
    return kept, one_station


def _per_station(formula):
    """Make ``formula(target, prediction) -> float`` a masked, per-station metric."""
    def metric(y_true, y_pred):
        kept, one_station = _columns(y_true, y_pred)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.array([formula(o, a) if o.size else np.nan for o, a in kept])
        values[~np.isfinite(values)] = np.nan          # undefined (0 / 0, x / 0) is NaN
        return float(values[0]) if one_station else values
    metric.__name__, metric.__doc__ = formula.__name__, formula.__doc__
    return metric


@_per_station
def mse(o, a):
    """Mean squared error (table 5.2), per station, missing targets left out."""
    return np.mean((o - a) ** 2)


@_per_station
def r2(o, a):
    """Squared correlation coefficient r^2 (table 5.2), per station."""
    do, da = o - o.mean(), a - a.mean()
    return np.sum(do * da) ** 2 / (np.sum(do ** 2) * np.sum(da ** 2))


@_per_station
def percent_bias(o, a):
    """Percent bias (table 5.2): 100 sum(A - O) / sum(O), per station."""
    return 100.0 * np.sum(a - o) / np.sum(o)


@_per_station
def rsr(o, a):
    """RMSE-observations standard deviation ratio (table 5.2), per station."""
    return np.sqrt(np.sum((o - a) ** 2)) / np.sqrt(np.sum((o - o.mean()) ** 2))


@_per_station
def nse(o, a):
    """Nash-Sutcliffe efficiency (table 5.2), per station."""
    return 1.0 - np.sum((o - a) ** 2) / np.sum((o - o.mean()) ** 2)


def nmse(y_true, y_pred, scaling):
    """NMSE of table 5.3: the MSE of targets and predictions both scaled to [0.1, 0.9] by
    eq. (5.5) with the output scaling fitted on the training split (a
    :class:`~keras_taskadapt.salinity.scaling.MinMaxScaling`), per station."""
    return mse(keras.ops.convert_to_numpy(scaling(np.asarray(y_true, dtype=np.float32))),
               keras.ops.convert_to_numpy(scaling(np.asarray(y_pred, dtype=np.float32))))


def station_metrics(y_true, y_pred, stations, scaling=None):
    """``{station: {mse, nmse, r2, bias_pct, rsr, nse}}`` (``nmse`` only with ``scaling``)."""
    y_true, y_pred = _by_station(y_true), _by_station(y_pred)
    columns = {"mse": mse(y_true, y_pred), "r2": r2(y_true, y_pred),
               "bias_pct": percent_bias(y_true, y_pred), "rsr": rsr(y_true, y_pred),
               "nse": nse(y_true, y_pred)}
    if scaling is not None:
        columns["nmse"] = nmse(y_true, y_pred, scaling)
    return {station: {name: float(values[s]) for name, values in columns.items()}
            for s, station in enumerate(stations)}


def range_metrics(y_true, y_pred, stations):
    """Metrics per station and salinity range (figure 5.10): the samples whose target lies in
    the lowest 75%, the 75-95% or the highest 5% of that station's targets.

    Returns ``{station: {"0-75" | "75-95" | "95-100": {mse, r2, bias_pct, rsr, nse}}}``; a
    sample belongs to the range ``(q_low, q_high]`` of the target quantiles (the lowest range
    includes its minimum).
    """
    y_true, y_pred = _by_station(y_true), _by_station(y_pred)
    result = {}
    for s, station in enumerate(stations):
        target = y_true[:, s]
        result[station] = {}
        for name, (q_low, q_high) in RANGES.items():
            low, high = (np.nanquantile(target, q) for q in (q_low, q_high))
            inside = (target <= high) & ((target > low) | (q_low == 0.0))
            result[station][name] = station_metrics(target[inside], y_pred[inside, s],
                                                    [station])[station]
    return result


@keras.saving.register_keras_serializable(package="keras_taskadapt")
def masked_mse(y_true, y_pred):
    """MSE training loss (section 5.3.1) that ignores NaN targets.

    Per sample, the mean squared error over the stations whose target is present (0 for a
    sample with none); missing targets add nothing to the loss and nothing to its gradient.
    Without missing targets it equals ``keras.losses.mean_squared_error``.
    """
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.logical_not(keras.ops.isnan(y_true))
    error = keras.ops.where(present, y_true - y_pred, 0.0)
    count = keras.ops.sum(keras.ops.cast(present, y_pred.dtype), axis=-1)
    return keras.ops.sum(keras.ops.square(error), axis=-1) / keras.ops.maximum(count, 1.0)


def median_metrics(stations, keys=("r2", "bias_pct", "rsr", "nse")):
    """``median_<key>`` over the stations of ``{station: metrics}`` (NaN stations left out)."""
    return {f"median_{key}": float(np.nanmedian([metrics[key] for metrics in stations.values()])) for key in keys}
