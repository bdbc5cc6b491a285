"""A validation split held out from the training split, for data sets that have only two.

Stage-by-stage training needs a validation set that is neither trained on nor the test set it
reports on: the first ``validation`` records of the training split, in stored order, become
the ``test`` split of a validation source, and the training source keeps the next ``train``
records (``None``: all the rest).
"""

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.derived_source import derived_source, split_size


def held_out_sources(source, validation, train=None):
    """``(training source, validation source)`` of ``source`` (module docstring)."""
    import tensorflow as tf

    size = split_size(source, "train")
    rest = size - validation
    if rest < 1:
        raise TaskAdaptError(f"the training split of {source.name} has {size} images, too few to hold {validation} "
                             f"out for validation", parameter="val_images")
    kept = rest if train is None else min(train, rest)

    def training_records(split, dataset):
        if split != "train":
            return dataset
        return dataset.skip(validation).take(kept).apply(tf.data.experimental.assert_cardinality(kept))

    def validation_records(split, dataset):  # every split of the validation source is the held-out head
        held_out = source.records("train").take(validation)
        return held_out.apply(tf.data.experimental.assert_cardinality(validation))

    held = derived_source(source, validation_records)
    held.sizes = {"train": validation, "test": validation}
    return derived_source(source, training_records, train_size=kept), held
