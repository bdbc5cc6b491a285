"""Scoring an emulator on windows (seed 000, tables 5.2-5.3, figure 5.10).

The emulator's physical-unit predictions against the EC targets, station by station, missing
targets left out: MSE, NMSE (both sides scaled by the emulator's own eq. 5.5 range, table 5.3),
r^2, percent bias, RSR and NSE (table 5.2), also per salinity range (figure 5.10).
"""
from dataclasses import dataclass

import numpy as np

from keras_taskadapt.salinity.emulator import output_scaling
from keras_taskadapt.salinity.metrics import median_metrics, range_metrics, station_metrics

PREDICT_BATCH = 4096


@dataclass(frozen=True)
class Evaluation:
    """``predictions`` ``(samples, S)`` in physical units; ``stations``:
    ``{station: {mse, nmse, r2, bias_pct, rsr, nse}}``; ``ranges``:
    ``{station: {range: {mse, r2, bias_pct, rsr, nse}}}``."""

    predictions: np.ndarray
    stations: dict
    ranges: dict

    @property
    def mean_nmse(self):
        """Mean NMSE over the stations (the bottom line of table 5.3)."""
        return float(np.nanmean([metrics["nmse"] for metrics in self.stations.values()]))


def evaluate_emulator(model, windows):
    """Score ``model`` (raw windows in, EC out) on ``windows`` (which must hold ``raw``)."""
    predictions = np.asarray(model.predict(windows.raw, batch_size=PREDICT_BATCH, verbose=0),
                             dtype=np.float64)
    return Evaluation(
        predictions=predictions,
        stations=station_metrics(windows.targets, predictions, windows.stations,
                                 scaling=output_scaling(model)),
        ranges=range_metrics(windows.targets, predictions, windows.stations))


def data_metrics(emulator, windows):
    """metrics.json keys of an emulator scored on ``windows`` (``stations``, ``mean_nmse``, the
    medians over the stations ``median_r2``, ``median_bias_pct``, ``median_rsr`` and
    ``median_nse``, ``inference_us_per_day``, the dropped windows, ``test_samples``) and the
    :class:`Evaluation`."""
    from keras_taskadapt.salinity.training import inference_seconds_per_sample

    tested = evaluate_emulator(emulator, windows)
    return {
        "stations": tested.stations, "mean_nmse": tested.mean_nmse, **median_metrics(tested.stations),
        "inference_us_per_day": 1e6 * inference_seconds_per_sample(emulator, windows.raw),
        "dropped_missing_input": windows.dropped_missing_input,
        "dropped_missing_target": windows.dropped_missing_target,
        "test_samples": len(windows),
    }, tested


def emulator_metrics(emulator, train, test, windows):
    """metrics.json keys of a trained emulator: :func:`data_metrics` on ``test`` (dropped counts
    of all ``windows``), ``train_mean_nmse``, ``train_samples``; and the test and training
    :class:`Evaluation`."""
    metrics, tested = data_metrics(emulator, test)
    trained = evaluate_emulator(emulator, train)
    metrics.update(dropped_missing_input=windows.dropped_missing_input,
                   dropped_missing_target=windows.dropped_missing_target,
                   train_mean_nmse=trained.mean_nmse, train_samples=len(train))
    return metrics, tested, trained
