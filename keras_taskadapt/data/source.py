"""What every image data set provides, whatever it is read from."""

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

SPLITS = ("train", "test")
DECODE_BATCH = 256


@dataclass
class ImageSource:
    """An image classification data set: its classes, image shape and two splits.

    A split is read in two stages so that pipelines stay fast: ``records(split)`` is a
    ``tf.data.Dataset`` of light elements (serialised records, file paths, or arrays) that are
    cheap to shuffle, and ``decode_batch(*batch)`` turns a batch of them into
    ``(uint8 images B x H x W x 3, int64 labels)``. ``encoded(split)``, where the data set is
    stored as image files, gives ``(encoded bytes, label, filename)`` so conversions can keep
    the bytes as they are (``None`` for data sets held as arrays). ``sizes`` gives the number
    of examples per split where it is known without a pass over the data.
    ``skipped_records`` counts damaged records or files left out, ``resized_images`` the images
    stored at another size and resized to ``image_shape``; ``find_damage()``, where the source
    can look, names the first damaged record or file (``None`` when there is none).
    ``worker_records(split, workers, index)``, where the data set is stored as files, is the
    ``records`` of worker ``index``'s share of the files of a cluster of ``workers``, or
    ``None`` when the files do not split into shares of equal record counts (the workers must
    take the same number of steps).
    """

    name: str
    num_classes: int
    class_names: Sequence[str]
    image_shape: tuple
    records: Callable
    decode_batch: Callable
    sizes: dict
    encoded: Optional[Callable] = None
    skipped_records: int = 0
    resized_images: int = 0
    find_damage: Optional[Callable] = None
    worker_records: Optional[Callable] = None

    def size(self, split):
        return self.sizes.get(split)

    def examples(self, split):
        """Unbatched ``(uint8 image, int64 label)`` pairs of one split, in stored order."""
        import tensorflow as tf

        batches = self.records(split).batch(DECODE_BATCH)
        return batches.map(self.decode_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).unbatch()
