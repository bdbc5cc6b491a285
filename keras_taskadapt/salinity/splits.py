"""Train/test splits of :class:`~keras_taskadapt.salinity.antecedent.Windows`.

A sample is one day of one series (file, case). The seed splits the days at random, 80% for
training and 20% for validation (section 5.1); the chronological and by-case splits test how
an emulator carries to later years and to unseen scenarios.
"""
import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.salinity.antecedent import WINDOW_DAYS


def _check_fraction(test_fraction):
    if not 0.0 < test_fraction < 1.0:
        raise TaskAdaptError(f"test fraction must lie strictly between 0 and 1, not {test_fraction}")


def _pair(windows, test):
    """``(train, test)`` Windows from a boolean test mask; both must hold samples."""
    if test.all() or not test.any():
        raise TaskAdaptError(f"the split leaves {'no training' if test.all() else 'no test'} "
                             f"sample out of {len(windows)}")
    return windows.take(~test), windows.take(test)


def random_split(windows, test_fraction=0.2, seed=0):
    """Seeded random split by sample (day), as in section 5.1 (80/20)."""
    _check_fraction(test_fraction)
    test = np.zeros(len(windows), dtype=bool)
    order = np.random.default_rng(seed).permutation(len(windows))
    test[order[:round(test_fraction * len(windows))]] = True
    return _pair(windows, test)


def chronological_split(windows, test_fraction=0.2, gap_days=None):
    """Test on the latest days: every sample whose target date is on or after the cutoff date
    that leaves about ``test_fraction`` of the samples for testing. Training samples are those
    whose target date is more than ``gap_days`` before the cutoff (default ``118 + lead``: no
    day of a training window or target is a day of a test window or target); the samples in the
    gap are left out of both."""
    _check_fraction(test_fraction)
    gap_days = WINDOW_DAYS + windows.lead if gap_days is None else int(gap_days)
    target_dates = windows.target_dates
    cutoff = np.sort(target_dates)[round((1.0 - test_fraction) * (len(windows) - 1))]
    test = target_dates >= cutoff
    used = test | (target_dates < cutoff - np.timedelta64(gap_days, "D"))
    return _pair(windows.take(used), test[used])


def case_split(windows, test_cases, train_cases=None):
    """Test on the series whose ``case`` is in ``test_cases`` (e.g. ``["historical"]``); train
    on ``train_cases``, or on all other cases when it is None."""
    known = set(windows.cases)
    test_cases = [str(case) for case in test_cases]
    train_cases = None if train_cases is None else [str(case) for case in train_cases]
    for case in test_cases + (train_cases or []):
        if case not in known:
            raise TaskAdaptError(f"no case '{case}' in the data; its cases are "
                                 f"{', '.join(sorted(known))}")
    both = set(test_cases) & set(train_cases or [])
    if both:
        raise TaskAdaptError(f"case '{sorted(both)[0]}' is both a training and a test case")
    test = np.isin(windows.cases, test_cases)
    train = ~test if train_cases is None else np.isin(windows.cases, train_cases)
    used = train | test
    return _pair(windows.take(used), test[used])


SPLITS = ("random", "chronological", "case")


def default_split(data):
    """The split of ``data`` (a :class:`~keras_taskadapt.salinity.csv_reader.SalinityData`)
    when none is named: chronological for field observations (a forecast is tested on later
    years), random for simulations (the seed's, section 5.1)."""
    return "chronological" if data.observed else "random"


def split_windows(windows, split="random", *, test_fraction=0.2, seed=0, test_cases=("historical",),
                  train_cases=None):
    """``(train, test)`` by the split named ``split`` (:data:`SPLITS`)."""
    if split == "random":
        return random_split(windows, test_fraction, seed=seed)
    if split == "chronological":
        return chronological_split(windows, test_fraction)
    if split == "case":
        return case_split(windows, test_cases, train_cases)
    raise TaskAdaptError(f"split must be one of {SPLITS}. Received: split={split!r}", parameter="split")
