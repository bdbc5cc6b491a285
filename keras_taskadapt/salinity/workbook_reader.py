"""Reader of DWR's ANN input workbook of field observations (seed 000, section 5.4).

The layout of ``dsm2_ann_inputs_*.xlsx`` (read through pandas with openpyxl):

- one sheet per input, named by the input (``northern_flow``, ``sjr_flow``, ...): the first
  column the date, the second the value (its header varies and is not used);
- the gate sheet (``dxc_gate_fraction``) is an irregular series, one row per change: each value
  holds until the next row;
- sheet ``outputs``: the date (``Time``) and one observed EC column per station, named by DSM2
  node (``RSAC064``, ``RSAN018``, ``CHSWP003``, ...);
- ``-2`` marks a missing day (:data:`~keras_taskadapt.salinity.csv_reader.MISSING_SENTINEL`),
  as do empty cells.

The workbook becomes one contiguous daily :class:`~keras_taskadapt.salinity.csv_reader.DailySeries`
from 117 days before the first day of ``outputs`` (so that the first observed day has its
window) to its last day. A day an input sheet lacks is missing (its windows are dropped and
counted); a missing EC is masked out of the loss and the metrics.
"""
from pathlib import Path

import numpy as np
import pandas as pd

from keras_taskadapt.core.errors import TaskAdaptError, error_summary
from keras_taskadapt.salinity.antecedent import WINDOW_DAYS
from keras_taskadapt.salinity.csv_reader import MISSING_SENTINEL, DailySeries, SalinityData, numeric_column

OUTPUTS_SHEET = "outputs"
OBSERVED_INPUTS = ("northern_flow", "sjr_flow", "exports", "dxc_gate_fraction", "net_delta_cu",
                   "mtz_daily_max-min_stage", "sjr_vernalis_ec", "sac_ec")
"""The eight inputs of section 5.4 (table 5.1's seven and Sacramento EC), by sheet name."""
HELD_INPUTS = ("dxc_gate_fraction",)
"""Irregular series: each value holds until the next change."""
MIN_OBSERVED_FRACTION = 0.45
"""Default stations: those observed on at least this share of the days of ``outputs``. On
DWR's workbook to 2016 that keeps 23 of its 25 stations, as many as the seed uses; the two left
out, ``SSS`` and ``SLDUT007``, have 698 and 2,557 observed days of 6,210."""
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def is_workbook(path):
    """Whether ``path`` names an Excel workbook (by its suffix)."""
    return Path(str(path)).suffix.lower() in WORKBOOK_SUFFIXES


def read_salinity_workbook(path, inputs=OBSERVED_INPUTS, stations=None):
    """Read DWR's observation workbook at ``path`` (module docstring) into a
    :class:`~keras_taskadapt.salinity.csv_reader.SalinityData` of one daily series.

    ``inputs``: input sheet names; ``stations``: columns of ``outputs`` (default: those observed
    on at least :data:`MIN_OBSERVED_FRACTION` of its days). Raises :class:`TaskAdaptError`
    naming the workbook, sheet and column for a missing file, sheet or column, a sheet whose
    first column holds no dates, or a non-numeric value.
    """
    path = str(path)
    if not Path(path).is_file():
        raise TaskAdaptError(f"{path}: file not found")
    try:
        workbook = pd.ExcelFile(path, engine="openpyxl")
    except (OSError, ValueError, KeyError) as exc:
        raise TaskAdaptError(f"{path}: cannot read as an Excel workbook: {error_summary(exc)}") from None
    with workbook:
        for sheet, role in [(OUTPUTS_SHEET, "observed EC"), *((name, "input") for name in inputs)]:
            if sheet not in workbook.sheet_names:
                raise TaskAdaptError(f"{path}: no sheet '{sheet}' ({role}); its sheets are "
                                     f"{', '.join(workbook.sheet_names)}")
        outputs = _dated_sheet(workbook, OUTPUTS_SHEET, path)
        stations = tuple(stations) if stations else default_stations(outputs)
        for station in stations:
            if station not in outputs.columns:
                raise TaskAdaptError(f"{path}: sheet '{OUTPUTS_SHEET}' has no station column '{station}'; its "
                                     f"columns are {', '.join(map(str, outputs.columns))}")
        days = pd.date_range(outputs.index[0] - pd.Timedelta(days=WINDOW_DAYS - 1), outputs.index[-1], freq="D")
        columns = [_input_on_days(_dated_sheet(workbook, name, path), name, days, path) for name in inputs]
    targets = np.stack([numeric_column(outputs[station], f"{path}: sheet '{OUTPUTS_SHEET}', column '{station}'", "row")
                        for station in stations], axis=1)
    targets = pd.DataFrame(targets, index=outputs.index).reindex(days).to_numpy(copy=True)
    targets[targets == MISSING_SENTINEL] = np.nan
    series = DailySeries(path, "observed", days.to_numpy().astype("datetime64[D]"), np.stack(columns, axis=1),
                         targets)
    return SalinityData((series,), tuple(inputs), stations, observed=True)


def default_stations(outputs):
    """The columns of ``outputs`` observed on at least :data:`MIN_OBSERVED_FRACTION` of its days."""
    observed = outputs.notna() & (outputs != MISSING_SENTINEL)
    return tuple(str(column) for column in outputs.columns if observed[column].mean() >= MIN_OBSERVED_FRACTION)


def _dated_sheet(workbook, sheet, path):
    """Sheet ``sheet`` indexed by its first column, which must hold dates, sorted and unique."""
    frame = workbook.parse(sheet)
    if frame.shape[1] < 2 or frame.empty:
        raise TaskAdaptError(f"{path}: sheet '{sheet}' needs a date column and a value column with rows under them")
    dates = frame.iloc[:, 0]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates.astype(str), errors="coerce", format="ISO8601")
    if dates.isna().all():
        raise TaskAdaptError(f"{path}: sheet '{sheet}': its first column ('{frame.columns[0]}') holds no dates "
                             f"(row 2 holds '{frame.iloc[0, 0]}')")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise TaskAdaptError(f"{path}: sheet '{sheet}': row {bad[0] + 2} holds '{frame.iloc[bad[0], 0]}', not a date")
    frame = frame.iloc[:, 1:].set_axis(dates.dt.normalize().to_numpy(), axis=0)
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise TaskAdaptError(f"{path}: sheet '{sheet}': dates are not sorted ascending, one row per date")
    return frame


def _input_on_days(frame, name, days, path):
    """The input's value on each of ``days``: held from the last change for :data:`HELD_INPUTS`,
    else the value of that date (NaN where the sheet lacks it or holds the sentinel)."""
    values = pd.Series(numeric_column(frame.iloc[:, 0], f"{path}: sheet '{name}'", "row"), index=frame.index)
    values[values == MISSING_SENTINEL] = np.nan
    if name in HELD_INPUTS:
        return values.reindex(values.index.union(days)).ffill().reindex(days).to_numpy()
    return values.reindex(days).to_numpy()

