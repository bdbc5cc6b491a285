"""What every image data set provides, whatever it is read from."""

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

SPLITS = ("train", "test")


@dataclass
class ImageSource:
    """An image classification data set: its classes, image shape and two splits.

    ``examples(split)`` returns an unbatched ``tf.data.Dataset`` of ``(uint8 image H x W x 3,
    int64 label)``. ``encoded(split)``, where the data set is stored as image files, returns
    ``(encoded bytes, label, filename)`` so conversions can keep the bytes as they are; it is
    ``None`` for data sets held as arrays. ``sizes`` gives the number of examples per split
    where it is known without a pass over the data.
    """

    name: str
    num_classes: int
    class_names: Sequence[str]
    image_shape: tuple
    examples: Callable
    sizes: dict
    encoded: Optional[Callable] = None
    skipped_records: int = 0

    def size(self, split):
        return self.sizes.get(split)
