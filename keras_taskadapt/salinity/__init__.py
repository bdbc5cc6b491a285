"""Delta salinity emulators (seed 000, chapter 5): data, pre-processing, scaling, metrics.

Read DWR CalSim-ANN CSV files (:func:`read_salinity_csv`), cut them into 118-day windows with
the antecedent features of eqs. (5.1)-(5.2) (:func:`make_windows`), split them
(:func:`random_split`, :func:`chronological_split`, :func:`case_split`), scale to [0.1, 0.9]
by eqs. (5.4)-(5.5) (:class:`MinMaxScaling`, :class:`MinMaxUnscaling`) and score them with the
metrics of tables 5.2-5.3, ignoring missing targets (:func:`masked_mse` for training).
"""
from keras_taskadapt.salinity.antecedent import (FEATURES_PER_INPUT, WINDOW_DAYS, Windows,
                                                 antecedent_weights, make_windows)
from keras_taskadapt.salinity.columns import (DEFAULT_INPUTS, DEFAULT_STATIONS, SEED_INPUTS,
                                              SEED_STATIONS)
from keras_taskadapt.salinity.csv_reader import (MISSING_TARGET_SENTINEL, DailySeries,
                                                 SalinityData, read_salinity_csv)
from keras_taskadapt.salinity.metrics import (RANGES, masked_mse, mse, nmse, nse, percent_bias,
                                              r2, range_metrics, rsr, station_metrics)
from keras_taskadapt.salinity.scaling import MinMaxScaling, MinMaxUnscaling
from keras_taskadapt.salinity.splits import case_split, chronological_split, random_split

__all__ = [
    "DEFAULT_INPUTS", "DEFAULT_STATIONS", "FEATURES_PER_INPUT", "MISSING_TARGET_SENTINEL",
    "RANGES", "SEED_INPUTS", "SEED_STATIONS", "WINDOW_DAYS", "DailySeries", "MinMaxScaling",
    "MinMaxUnscaling", "SalinityData", "Windows", "antecedent_weights", "case_split",
    "chronological_split", "make_windows", "masked_mse", "mse", "nmse", "nse", "percent_bias",
    "r2", "random_split", "range_metrics", "read_salinity_csv", "rsr", "station_metrics",
]
