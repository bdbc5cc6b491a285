"""A TensorFlow Datasets name read for real (issue 16): a tfds data set prepared offline from the
Tiny ImageNet subset beside the project, then trained from by name in another process.

The builder below is tensorflow-datasets' own machinery (``GeneratorBasedBuilder``), writing
the tfds format (TFRecord shards and ``dataset_info.json``) into a data folder, as
``tfds.builder("cifar10").download_and_prepare()`` does on a machine with a network. The
command line then finds the prepared data set by its name in ``--data-dir`` without the
builder's code (tfds' read-only builder), as it finds ``cifar10`` moved from another machine.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import shared_path

NAME = "tiny_imagenet_subset20"
TRAIN_PER_CLASS = 20


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """``(data folder, tfds info)`` of the subset prepared in the tfds format: 20 classes,
    the first 20 training images of each, and the 1,000 validation images."""
    import tensorflow_datasets as tfds

    root = shared_path("images", "tiny-imagenet-200-subset20")
    wnids = [line.strip() for line in open(root / "wnids.txt") if line.strip()]

    class TinyImagenetSubset20(tfds.core.GeneratorBasedBuilder):
        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return tfds.core.DatasetInfo(
                builder=self, supervised_keys=("image", "label"),
                features=tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(64, 64, 3)),
                                                     "label": tfds.features.ClassLabel(names=wnids)}))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples("train"), "validation": self._generate_examples("val")}

        def _generate_examples(self, split):
            if split == "train":
                for wnid in wnids:
                    folder = root / "train" / wnid / "images"
                    for name in sorted(os.listdir(folder))[:TRAIN_PER_CLASS]:
                        yield name, {"image": str(folder / name), "label": wnid}
            else:
                for line in open(root / "val" / "val_annotations.txt"):
                    name, wnid = line.split("\t")[:2]
                    yield name, {"image": str(root / "val" / "images" / name), "label": wnid}

    data_dir = tmp_path_factory.mktemp("tfds")
    builder = TinyImagenetSubset20(data_dir=str(data_dir))
    builder.download_and_prepare()
    return data_dir, builder.info


def test_a_prepared_tfds_data_set_trains_by_name(prepared, tmp_path):
    data_dir, info = prepared
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "keras_taskadapt", "train", "classify", "--dataset", NAME,
                           "--data-dir", str(data_dir), "--depth", "8", "--epochs", "1", "--steps-per-epoch", "2",
                           "--batch-size", "32", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == NAME
    assert metrics["train_examples"] == info.splits["train"].num_examples == 20 * TRAIN_PER_CLASS
    assert metrics["test_examples"] == info.splits["validation"].num_examples == 1000  # tfds' validation split


def test_the_source_has_the_splits_shapes_and_labels_tfds_declares(prepared):
    from keras_taskadapt.data import open_dataset

    data_dir, info = prepared
    source = open_dataset(NAME, data_dir=str(data_dir))
    assert source.image_shape == (64, 64, 3) and source.num_classes == 20
    assert source.class_names == info.features["label"].names
    images, labels = next(iter(source.examples("test").batch(1000)))
    assert images.dtype.name == "uint8" and images.shape == (1000, 64, 64, 3)
    assert sorted(set(labels.numpy().tolist())) == list(range(20))  # 50 validation images of every class
