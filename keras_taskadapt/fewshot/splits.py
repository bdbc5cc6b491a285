"""``fewshot:PATH``: a few-shot data set laid out as one folder per split and class.

``PATH`` holds ``base/`` (meta-training classes), ``val/`` (validation episodes) and
``novel/`` (test episodes), each with one sub-folder of images per class, the layout of
miniImageNet, tieredImageNet, CUB and CIFAR-FS as the few-shot literature ships them, and of
``../shared/data/images/tiny-imagenet-fewshot``. A class is its folder name (a WordNet id for ImageNet subsets), its label
within a split the rank of that name, so labels never depend on the file system's order, and
the three splits never share a class.
"""

import os
from dataclasses import dataclass

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.image_files import list_images

SPLITS = ("base", "val", "novel")
SPEC_PREFIX = "fewshot:"


@dataclass(frozen=True)
class ClassSplit:
    """The images of one split: ``files[c]`` are the sorted image paths of class ``classes[c]``."""

    name: str
    classes: tuple
    files: tuple

    @property
    def num_classes(self):
        return len(self.classes)

    def class_sizes(self):
        return [len(paths) for paths in self.files]

    def labelled_files(self):
        """``[(path, label), ...]`` of every image, class by class."""
        return [(path, label) for label, paths in enumerate(self.files) for path in paths]


@dataclass(frozen=True)
class FewShotData:
    """The splits of a ``fewshot:PATH`` data set."""

    spec: str
    splits: dict

    def split(self, name):
        if name not in self.splits:
            raise TaskAdaptError(f"{self.spec} has no {name} split; it has {', '.join(self.splits)}",
                                 parameter="dataset")
        return self.splits[name]


def split_path(spec):
    """The folder of a ``fewshot:PATH`` spec (a bare folder is accepted too)."""
    return spec[len(SPEC_PREFIX):] if spec.startswith(SPEC_PREFIX) else spec


def read_split(root, name):
    """The :class:`ClassSplit` in ``root/name``; a class folder without images is an error."""
    folder = os.path.join(root, name)
    classes = sorted(entry for entry in os.listdir(folder) if os.path.isdir(os.path.join(folder, entry)))
    if not classes:
        raise TaskAdaptError(f"fewshot:{root}: the {name} split has no class folders", parameter="dataset")
    files = tuple(tuple(list_images(os.path.join(folder, wnid))) for wnid in classes)
    empty = [wnid for wnid, paths in zip(classes, files) if not paths]
    if empty:
        raise TaskAdaptError(f"fewshot:{root}: class folder {name}/{empty[0]} holds no images "
                             f"({len(empty)} empty class folder(s) in the {name} split)", parameter="dataset")
    return ClassSplit(name, tuple(classes), files)


def open_fewshot_data(spec):
    """The :class:`FewShotData` of ``fewshot:PATH`` (module docstring); the splits present are read."""
    root = split_path(spec)
    if not os.path.isdir(root):
        raise TaskAdaptError(f"{spec}: no such directory", parameter="dataset")
    present = [name for name in SPLITS if os.path.isdir(os.path.join(root, name))]
    if "base" not in present:
        raise TaskAdaptError(f"{spec}: expected the split folders {', '.join(SPLITS)} (base/ is missing)",
                             parameter="dataset")
    splits = {name: read_split(root, name) for name in present}
    for index, first in enumerate(present):
        for second in present[index + 1:]:
            shared = sorted(set(splits[first].classes) & set(splits[second].classes))
            if shared:
                raise TaskAdaptError(f"{spec}: class {shared[0]} is in both the {first} and the {second} split",
                                     parameter="dataset")
    return FewShotData(f"{SPEC_PREFIX}{os.path.abspath(root)}", splits)
