"""Delta salinity emulators (seed 000, chapter 5): data, pre-processing, scaling, metrics.

Read DWR CalSim-ANN CSV files (:func:`read_salinity_csv`) or DWR's workbook of field
observations (:func:`read_salinity_workbook`; :func:`read_salinity_data` picks by suffix), cut
them into 118-day windows with the antecedent features of eqs. (5.1)-(5.2) (:func:`make_windows`), split them
(:func:`random_split`, :func:`chronological_split`, :func:`case_split`), scale to [0.1, 0.9]
by eqs. (5.4)-(5.5) (:class:`MinMaxScaling`, :class:`MinMaxUnscaling`) and score them with the
metrics of tables 5.2-5.3, ignoring missing targets (:func:`masked_mse` for training).

Emulators (raw 118-day windows in, EC in physical units out): the STL and MTL ANNs
(:func:`stl_network`, :func:`mtl_network`, sections 5.2-5.3) with the fixed or the trainable
pre-processing of eq. (5.3) (:class:`AntecedentConvolution`, "P" = :class:`AntecedentInitializer`),
ResNet, LSTM, GRU, Res-LSTM and Res-GRU (:func:`residual_network`, :func:`recurrent_network`,
section 5.4), Levenberg-Marquardt training (:class:`LevenbergMarquardt`), the Adam recipes
(:data:`RECIPES`: section 5.3.1's steps, 5.4.3's constant rate, cosine, plateau), the
configurations of tables 5.3-5.4 (:data:`CONFIGURATIONS`), :func:`train_emulator` and
:func:`evaluate_emulator`.
The plots of section 5.5 are in :mod:`keras_taskadapt.salinity.plots`.
"""
from keras_taskadapt.salinity.ann import mtl_network, stl_network
from keras_taskadapt.salinity.antecedent import (FEATURES_PER_INPUT, WINDOW_DAYS, Windows,
                                                 antecedent_weights, make_windows)
from keras_taskadapt.salinity.catalog import CONFIGURATIONS, Configuration
from keras_taskadapt.salinity.columns import (DEFAULT_INPUTS, DEFAULT_STATIONS, SEED_INPUTS,
                                              SEED_STATIONS)
from keras_taskadapt.salinity.csv_reader import (MISSING_SENTINEL, DailySeries, SalinityData,
                                                 read_salinity_csv)
from keras_taskadapt.salinity.emulator import output_scaling, physical_emulator
from keras_taskadapt.salinity.evaluation import Evaluation, evaluate_emulator
from keras_taskadapt.salinity.fitted_scalings import EmulatorScalings
from keras_taskadapt.salinity.levenberg_marquardt import LevenbergMarquardt
from keras_taskadapt.salinity.metrics import (RANGES, masked_mse, mse, nmse, nse, percent_bias,
                                              r2, range_metrics, rsr, station_metrics)
from keras_taskadapt.salinity.preprocessing_layers import (AntecedentConvolution,
                                                           AntecedentInitializer)
from keras_taskadapt.salinity.reading import read_salinity_data
from keras_taskadapt.salinity.recipes import RECIPES, Recipe
from keras_taskadapt.salinity.recurrent import recurrent_network, residual_network
from keras_taskadapt.salinity.scaling import MinMaxScaling, MinMaxUnscaling
from keras_taskadapt.salinity.signature import EmulatorSignature, read_signature
from keras_taskadapt.salinity.splits import case_split, chronological_split, random_split
from keras_taskadapt.salinity.training import EmulatorTraining, train_emulator
from keras_taskadapt.salinity.workbook_reader import read_salinity_workbook

__all__ = [
    "AntecedentConvolution", "AntecedentInitializer", "CONFIGURATIONS", "Configuration",
    "EmulatorScalings", "EmulatorSignature", "Evaluation", "LevenbergMarquardt",
    "EmulatorTraining", "RECIPES", "Recipe", "evaluate_emulator", "read_salinity_data",
    "read_salinity_workbook", "mtl_network", "output_scaling", "physical_emulator",
    "read_signature", "recurrent_network", "residual_network", "stl_network", "train_emulator",
    "DEFAULT_INPUTS", "DEFAULT_STATIONS", "FEATURES_PER_INPUT", "MISSING_SENTINEL",
    "RANGES", "SEED_INPUTS", "SEED_STATIONS", "WINDOW_DAYS", "DailySeries", "MinMaxScaling",
    "MinMaxUnscaling", "SalinityData", "Windows", "antecedent_weights", "case_split",
    "chronological_split", "make_windows", "masked_mse", "mse", "nmse", "nse", "percent_bias",
    "r2", "random_split", "range_metrics", "read_salinity_csv", "rsr", "station_metrics",
]
