"""``folder:PATH``: one sub-folder per class.

``PATH`` either holds ``train/`` and ``test/`` (or ``val/``) folders, each with one
sub-folder per class, or holds the class folders directly; then every fifth image of each
class (sorted by name) is the test split, the rest train. Classes are the sorted folder
names, so label indices do not depend on the file system's order.
"""

import os

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.image_files import files_source, list_images
from keras_taskadapt.data.sources import SOURCES

HOLDOUT_EVERY = 5


def _class_folders(root):
    return sorted(entry for entry in os.listdir(root) if os.path.isdir(os.path.join(root, entry)))


def _labelled_files(root, class_names):
    return [
        (path, label)
        for label, name in enumerate(class_names)
        for path in list_images(os.path.join(root, name))
    ]


@SOURCES.register("folder:", help="folder:PATH, one sub-folder per class (optionally under train/ and test/)")
def open_image_folder(path, *, image_shape=None, skip_corrupt=False, **_):
    if not os.path.isdir(path):
        raise TaskAdaptError(f"folder:{path}: no such directory")
    test_dir = next((os.path.join(path, d) for d in ("test", "val") if os.path.isdir(os.path.join(path, d))), None)
    if os.path.isdir(os.path.join(path, "train")) and test_dir:
        class_names = _class_folders(os.path.join(path, "train"))
        files = {
            "train": _labelled_files(os.path.join(path, "train"), class_names),
            "test": _labelled_files(test_dir, class_names),
        }
    else:
        class_names = _class_folders(path)
        if not class_names:
            raise TaskAdaptError(f"folder:{path}: expected one sub-folder per class (or train/ and test/ folders)")
        files = {"train": [], "test": []}
        for label, name in enumerate(class_names):
            for index, file in enumerate(list_images(os.path.join(path, name))):
                files["test" if index % HOLDOUT_EVERY == HOLDOUT_EVERY - 1 else "train"].append((file, label))
    return files_source(f"folder:{path}", class_names, files, image_shape, skip_corrupt=skip_corrupt)
