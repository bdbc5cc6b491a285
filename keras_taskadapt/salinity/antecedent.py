"""Antecedent pre-processing of the Delta inputs (seed 000, section 5.1, eqs. 5.1-5.2).

For input m on day n, from the current day and its 117 antecedent days (T = 118):

- eq. (5.1): ``x[n, i] = z[n - i + 1]`` for i = 1..8 (the current day and the 7 before it);
- eq. (5.2): ``x[n, i + 8] = mean_{j=1..11} z[n - 11 i - j + 4]`` for i = 1..10, ten
  non-overlapping 11-day means, the first over days n-8..n-18, the last over n-107..n-117.

Both are the fixed-weight case of the convolution of eq. (5.3); :func:`antecedent_weights` gives
those weights, e.g. to initialise the trainable Conv1D pre-processing ("P", section 5.3).
Section 5.4.1: with a lead time L the target of the window ending on day n is EC on day n + L.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError

WINDOW_DAYS = 118
"""T: the current day plus 117 antecedent days."""
DAILY_VALUES = 8
MEAN_BLOCKS = 10
BLOCK_DAYS = 11
FEATURES_PER_INPUT = DAILY_VALUES + MEAN_BLOCKS
"""Tr = 18."""
_SAMPLE_FIELDS = ("features", "raw", "targets", "dates", "cases", "sources")


def antecedent_weights():
    """Weights ``(T, Tr) = (118, 18)`` of eq. (5.3) that reproduce eqs. (5.1)-(5.2).

    Row ``k`` weighs day ``n - (T - 1) + k`` of a window in time order (oldest day first, as
    the raw windows of :func:`make_windows` are laid out); ``window @ weights`` gives the 18
    features of one input.
    """
    weights = np.zeros((WINDOW_DAYS, FEATURES_PER_INPUT))
    newest = WINDOW_DAYS - 1
    for i in range(1, DAILY_VALUES + 1):          # eq. (5.1): z[n - i + 1]
        weights[newest - (i - 1), i - 1] = 1.0
    for i in range(1, MEAN_BLOCKS + 1):           # eq. (5.2): z[n - 11 i - j + 4], j = 1..11
        for j in range(1, BLOCK_DAYS + 1):
            weights[newest - (BLOCK_DAYS * i + j - 4), DAILY_VALUES + i - 1] = 1.0 / BLOCK_DAYS
    return weights


@dataclass(frozen=True)
class Windows:
    """Samples cut from :class:`~keras_taskadapt.salinity.csv_reader.SalinityData`.

    - ``features``: ``(samples, M, 18)`` float32, eqs. (5.1)-(5.2) per input; flattened
      row-major it is ``M * 18`` values ordered like a DepthwiseConv1D's output channels.
    - ``raw``: ``(samples, 118, M)`` float32, the days n-117..n in time order, or None.
    - ``targets``: ``(samples, S)`` float32, EC on day n + lead, NaN where missing.
    - ``dates``: day n of each sample (``datetime64[D]``); ``target_dates`` is n + lead.
    - ``cases``, ``sources``: the case and file of each sample's series.
    - ``dropped_missing_input``: windows dropped because an input was missing in them;
      ``dropped_missing_target``: windows dropped because no station had a target.
    """

    features: np.ndarray
    raw: np.ndarray
    targets: np.ndarray
    dates: np.ndarray
    cases: np.ndarray
    sources: np.ndarray
    inputs: tuple
    stations: tuple
    lead: int
    dropped_missing_input: int
    dropped_missing_target: int

    def __len__(self):
        return len(self.targets)

    @property
    def target_dates(self):
        return self.dates + np.timedelta64(self.lead, "D")

    def take(self, index):
        """The samples at ``index`` (integer array or boolean mask); drop counts are kept."""
        picked = {name: None if getattr(self, name) is None else getattr(self, name)[index]
                  for name in _SAMPLE_FIELDS}
        return dataclasses.replace(self, **picked)


def make_windows(data, lead=0, raw=False):
    """Cut every series of ``data`` into 118-day windows with targets ``lead`` days ahead.

    One sample per day n of a series that has its 117 antecedent days and day n + ``lead``
    in the same series, so no window crosses a file or case boundary. Windows with a missing
    input on any of their 118 days, or with no station target on day n + ``lead``, are dropped
    and counted. ``raw=True`` also keeps the 118-day windows (for the trainable Conv1D
    pre-processing of eq. (5.3) and the recurrent models of section 5.4).
    """
    if lead < 0:
        raise TaskAdaptError(f"lead time must be 0 or more days, not {lead}")
    weights = antecedent_weights()
    parts = []
    dropped_input = dropped_target = 0
    for series in data.series:
        ends = np.arange(WINDOW_DAYS - 1, len(series.dates) - lead)
        if not ends.size:
            continue
        missing_day = np.concatenate([[0], np.cumsum(np.isnan(series.inputs).any(axis=1))])
        missing_input = missing_day[ends + 1] - missing_day[ends + 1 - WINDOW_DAYS] > 0
        missing_target = np.isnan(series.targets[ends + lead]).all(axis=1) & ~missing_input
        dropped_input += int(missing_input.sum())
        dropped_target += int(missing_target.sum())
        ends = ends[~missing_input & ~missing_target]
        # (windows, M, T): day n - T + 1 + k at position k.
        days = np.lib.stride_tricks.sliding_window_view(series.inputs, WINDOW_DAYS, axis=0)
        days = days[ends - (WINDOW_DAYS - 1)]
        parts.append(dict(
            features=(days @ weights).astype(np.float32),
            raw=days.transpose(0, 2, 1).astype(np.float32) if raw else None,
            targets=series.targets[ends + lead].astype(np.float32),
            dates=series.dates[ends],
            cases=np.full(len(ends), series.case, dtype=object),
            sources=np.full(len(ends), series.source, dtype=object)))
    if not any(len(part["dates"]) for part in parts):
        raise TaskAdaptError(f"no sample: no series has {WINDOW_DAYS} + lead ({lead}) days with every "
                             f"input and a target ({dropped_input} windows dropped for a missing "
                             f"input, {dropped_target} for missing targets)")
    joined = {name: None if parts[0][name] is None
              else np.concatenate([part[name] for part in parts]) for name in _SAMPLE_FIELDS}
    return Windows(inputs=data.inputs, stations=data.stations, lead=lead,
                   dropped_missing_input=dropped_input, dropped_missing_target=dropped_target,
                   **joined)
