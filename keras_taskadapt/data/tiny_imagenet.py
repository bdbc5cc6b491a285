"""``tiny_imagenet``: the CS231n ``tiny-imagenet-200`` layout, read from a local copy.

Layout: ``wnids.txt`` (class order), ``train/<wnid>/images/*.JPEG``,
``val/images/*.JPEG`` with labels in ``val/val_annotations.txt``. The official test images
carry no labels, so ``val`` is the test split. Greyscale JPEGs decode to three channels.
``--data-dir`` may name the ``tiny-imagenet-200`` folder itself or a folder that contains
it; when neither holds a copy, the official archive is downloaded there.
"""

import os

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.download import download_and_extract
from keras_taskadapt.data.image_files import files_source, list_images
from keras_taskadapt.data.sources import SOURCES

NAME = "tiny_imagenet"
URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
FOLDER = "tiny-imagenet-200"
IMAGE_SHAPE = (64, 64, 3)


def locate(data_dir):
    """The folder holding ``wnids.txt``: ``data_dir`` itself or ``data_dir/tiny-imagenet-200``."""
    for candidate in (data_dir, os.path.join(data_dir, FOLDER)):
        if os.path.isfile(os.path.join(candidate, "wnids.txt")):
            return candidate
    return None


def read_listing(root):
    """``(wnids, {"train": [(path, label)], "test": [(path, label)]})`` of a local copy."""
    with open(os.path.join(root, "wnids.txt")) as handle:
        wnids = [line.strip() for line in handle if line.strip()]
    index = {wnid: label for label, wnid in enumerate(wnids)}
    train = [
        (path, label)
        for label, wnid in enumerate(wnids)
        for path in list_images(os.path.join(root, "train", wnid, "images"))
    ]
    annotations = os.path.join(root, "val", "val_annotations.txt")
    if not os.path.isfile(annotations):
        raise TaskAdaptError(f"{NAME}: {annotations} is missing")
    test = []
    with open(annotations) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split("\t")
            if len(fields) < 2 or fields[1] not in index:
                raise TaskAdaptError(f"{annotations}: line {number} names no class of wnids.txt")
            test.append((os.path.join(root, "val", "images", fields[0]), index[fields[1]]))
    return wnids, {"train": train, "test": test}


@SOURCES.register(NAME, help="tiny_imagenet, the CS231n tiny-imagenet-200 layout in --data-dir")
def open_tiny_imagenet(argument="", *, data_dir, image_shape=None, skip_corrupt=False, **_):
    root = locate(data_dir)
    if root is None:
        download_and_extract(URL, data_dir, NAME)
        root = locate(data_dir)
        if root is None:
            raise TaskAdaptError(f"{NAME}: the archive from {URL} holds no {FOLDER}/wnids.txt")
    wnids, files = read_listing(root)
    return files_source(NAME, wnids, files, image_shape or IMAGE_SHAPE, skip_corrupt=skip_corrupt)
