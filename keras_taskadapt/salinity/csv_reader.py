"""Reader of the DWR CalSim-ANN training CSV files (seed 000, section 5.1).

One row per day: ``datetime``, ``model``, ``scene``, ``case``, the input columns and one EC
column per station. A file may hold several cases one after another; every (file, case) pair
becomes its own contiguous daily :class:`DailySeries`, so that no 118-day window (eqs. 5.1-5.3)
spans two files or two cases.
"""
import glob
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from keras_taskadapt.core.errors import TaskAdaptError, error_summary
from keras_taskadapt.salinity.columns import (CASE_COLUMN, DATE_COLUMN, DEFAULT_INPUTS,
                                              DEFAULT_STATIONS)

MISSING_SENTINEL = -2.0
"""The value DWR files use for a missing day, read as NaN in the input and the EC columns alike:
a missing input drops the windows that hold it, a missing EC is masked out of the loss and the
metrics. Inputs such as ``cu_total`` are often negative but never exactly -2 in the DSM2 files
(0 of 68,571 days); a real value of exactly -2 would be read as missing."""


@dataclass(frozen=True)
class DailySeries:
    """One case of one file: consecutive days, inputs and EC targets.

    ``dates`` is ``datetime64[D]`` of shape ``(days,)``; ``inputs`` ``(days, M)`` and
    ``targets`` ``(days, S)`` are float64, with NaN where a value is missing.
    """

    source: str
    case: str
    dates: np.ndarray
    inputs: np.ndarray
    targets: np.ndarray


@dataclass(frozen=True)
class SalinityData:
    """All series read, with the input and station (EC) columns they hold, in order;
    ``observed``: field observations (a workbook) rather than simulations."""

    series: tuple
    inputs: tuple
    stations: tuple
    observed: bool = False

    @property
    def days(self):
        return sum(len(s.dates) for s in self.series)


def read_salinity_csv(paths, inputs=DEFAULT_INPUTS, stations=DEFAULT_STATIONS):
    """Read one or many CalSim-ANN CSV files into contiguous daily series.

    ``paths``: a path or glob pattern, or a list of them. ``inputs`` and ``stations`` name the
    input and EC columns (defaults: the seed's seven inputs and twelve stations, see
    :mod:`keras_taskadapt.salinity.columns`). Empty, NaN or ``-2`` values (:data:`MISSING_SENTINEL`)
    become NaN, in inputs and EC alike (windows holding a missing input are dropped later).

    Raises :class:`TaskAdaptError` naming the file (and column) for a missing file, an unknown
    column, a non-numeric value, or dates that are unparsable, unsorted or not daily.
    """
    inputs, stations = tuple(inputs), tuple(stations)
    for kind, names in (("input", inputs), ("station", stations)):
        if not names:
            raise TaskAdaptError(f"no {kind} column given")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise TaskAdaptError(f"{kind} column '{repeated[0]}' is given more than once")
    series = []
    for path in _expand(paths):
        series.extend(_read_file(path, inputs, stations))
    return SalinityData(tuple(series), inputs, stations)


def _expand(paths):
    """Paths and glob patterns, in the order given, each pattern's matches sorted."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = []
    for pattern in map(str, paths):
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise TaskAdaptError(f"{pattern}: no file matches this pattern")
            files.extend(matches)
        elif not Path(pattern).is_file():
            raise TaskAdaptError(f"{pattern}: file not found")
        else:
            files.append(pattern)
    if not files:
        raise TaskAdaptError("no data file given")
    return files


def _read_file(path, inputs, stations):
    try:
        header = pd.read_csv(path, nrows=0).columns
        for column, role in [(DATE_COLUMN, "date"), *((c, "input") for c in inputs),
                             *((c, "station") for c in stations)]:
            if column not in header:
                raise TaskAdaptError(f"{path}: column '{column}' ({role}) is not in the file; "
                                     f"its columns are {', '.join(header)}")
        wanted = {DATE_COLUMN, *inputs, *stations} | ({CASE_COLUMN} & set(header))
        frame = pd.read_csv(path, usecols=sorted(wanted), dtype={DATE_COLUMN: str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TaskAdaptError(f"{path}: cannot read as CSV: {error_summary(exc)}") from None
    if frame.empty:
        raise TaskAdaptError(f"{path}: no data rows")
    values = {column: numeric_column(frame[column], f"{path}: column '{column}'") for column in {*inputs, *stations}}
    input_values = np.stack([values[c] for c in inputs], axis=1)
    target_values = np.stack([values[c] for c in stations], axis=1)
    input_values[input_values == MISSING_SENTINEL] = np.nan
    target_values[target_values == MISSING_SENTINEL] = np.nan
    dates = _dates(frame[DATE_COLUMN], path)
    cases = (frame[CASE_COLUMN].astype(str).to_numpy() if CASE_COLUMN in frame
             else np.full(len(frame), Path(path).stem))
    series = []
    for case in pd.unique(cases):
        rows = np.flatnonzero(cases == case)
        _check_daily(dates[rows], rows, path, case)
        series.append(DailySeries(str(path), case, dates[rows], input_values[rows],
                                  target_values[rows]))
    return series


def numeric_column(column, where, row="line"):
    """Column as float64; cells pandas reads as missing (empty, NaN, NA) stay NaN, any other
    text is an error naming ``where`` and the ``row`` (line of a file, row of a sheet)."""
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(np.isnan(numbers) & column.notna().to_numpy())
    if bad.size:
        raise TaskAdaptError(f"{where}: {row} {bad[0] + 2} holds '{column.iloc[bad[0]]}', not a number")
    return numbers


def _dates(column, path):
    parsed = pd.to_datetime(column, errors="coerce")
    unparsed = np.flatnonzero(parsed.isna().to_numpy())
    if unparsed.size:
        raise TaskAdaptError(f"{path}: column '{DATE_COLUMN}': line {unparsed[0] + 2} holds "
                             f"'{column.iloc[unparsed[0]]}', not a date")
    with_time = np.flatnonzero((parsed != parsed.dt.normalize()).to_numpy())
    if with_time.size:
        raise TaskAdaptError(f"{path}: column '{DATE_COLUMN}': dates are not daily (line "
                             f"{with_time[0] + 2} holds a time of day, '{column.iloc[with_time[0]]}')")
    return parsed.to_numpy().astype("datetime64[D]")


def _check_daily(dates, rows, path, case):
    """Dates of one case must be strictly increasing by exactly one day."""
    steps = np.diff(dates).astype(np.int64)
    for problem, wrong in (("not sorted ascending", steps <= 0), ("not daily", steps > 1)):
        if wrong.any():
            k = np.flatnonzero(wrong)[0]
            raise TaskAdaptError(f"{path}: column '{DATE_COLUMN}' (case '{case}'): dates are "
                                 f"{problem}: line {rows[k + 1] + 2} holds {dates[k + 1]} after "
                                 f"{dates[k]} on line {rows[k] + 2}")
