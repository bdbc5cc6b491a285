"""Split names users may give, mapped to the two splits every source has."""

from keras_taskadapt.core.errors import TaskAdaptError

_ALIASES = {"train": "train", "test": "test", "val": "test", "validation": "test", "valid": "test"}


def canonical_split(split):
    """``train`` or ``test`` (``val``/``validation`` are the held-out split of sources that call it so)."""
    try:
        return _ALIASES[split]
    except KeyError:
        raise TaskAdaptError(f"unknown split {split!r}: use train or test") from None
