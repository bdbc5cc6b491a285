"""Every data source behind load_dataset/open_dataset, on the real data beside the project."""

import collections
import os
import time

import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data import load_dataset, open_dataset


def _all(dataset):
    images, labels = [], []
    for image, label in dataset.as_numpy_iterator():
        images.append(image)
        labels.append(label)
    return images, np.array(labels)


def test_tiny_imagenet_subset_layout(tiny_imagenet_dir):
    source = open_dataset("tiny_imagenet", data_dir=str(tiny_imagenet_dir))
    wnids = (tiny_imagenet_dir / "wnids.txt").read_text().split()
    assert source.num_classes == 20 and source.class_names == wnids
    assert source.sizes == {"train": 10_000, "test": 1_000}
    test_images, test_labels = _all(source.examples("test"))
    assert len(test_images) == 1_000
    assert {image.shape for image in test_images} == {(64, 64, 3)}
    annotations = [line.split("\t") for line in (tiny_imagenet_dir / "val" / "val_annotations.txt").read_text().splitlines()]
    assert test_labels.tolist() == [wnids.index(fields[1]) for fields in annotations]
    train = load_dataset(source=source, split="train", batch_size=500, shuffle=False)
    shapes, count, labels = set(), 0, collections.Counter()
    for images, batch_labels in train.as_numpy_iterator():
        shapes.add(images.shape[1:])
        count += len(batch_labels)
        labels.update(batch_labels.tolist())
    assert count == 10_000 and shapes == {(64, 64, 3)} and set(labels.values()) == {500}


def test_tiny_imagenet_greyscale_files_become_three_channels(tiny_imagenet_dir):
    source = open_dataset("tiny_imagenet", data_dir=str(tiny_imagenet_dir))
    val_dir = tiny_imagenet_dir / "val" / "images"
    names = sorted(os.listdir(val_dir))
    grey = [i for i, name in enumerate(names[:400]) if Image.open(val_dir / name).mode == "L"]
    assert grey, "the subset is documented to hold greyscale JPEGs"
    annotation_order = [line.split("\t")[0] for line in (tiny_imagenet_dir / "val" / "val_annotations.txt").read_text().splitlines()]
    images, _ = _all(source.examples("test"))
    for index in grey:
        image = images[annotation_order.index(names[index])]
        assert image.shape == (64, 64, 3)
        assert np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 1], image[..., 2])
        assert np.array_equal(image[..., 0], np.asarray(Image.open(val_dir / names[index])))


def test_tfrecord_cifar10_splits_and_balance(cifar10_tfrecords):
    source = open_dataset(f"tfrecord:{cifar10_tfrecords}")
    assert source.num_classes == 10 and source.class_names[0] == "airplane"
    assert source.image_shape == (32, 32, 3)
    assert source.sizes == {"train": 50_000, "test": 10_000}
    for split, per_class in (("train", 5_000), ("test", 1_000)):
        counts = collections.Counter()
        for images, labels in load_dataset(source=source, split=split, batch_size=1_000, shuffle=False).as_numpy_iterator():
            assert images.dtype == np.uint8 and images.shape[1:] == (32, 32, 3)
            counts.update(labels.tolist())
        assert sorted(counts) == list(range(10)) and set(counts.values()) == {per_class}


def test_offline_default_is_digits_as_rgb():
    source = open_dataset()
    assert source.name == "sklearn_digits" and source.sizes == {"train": 1437, "test": 360}
    images, labels = next(load_dataset(source=source, split="test", batch_size=360).as_numpy_iterator())
    assert images.shape == (360, 32, 32, 3) and images.dtype == np.uint8
    assert images.max() > 200 and sorted(set(labels.tolist())) == list(range(10))


def test_shuffling_and_augmentation_repeat_with_the_seed():
    source = open_dataset()

    def first_batch(seed):
        dataset = load_dataset(source=source, split="train", batch_size=64, seed=seed, augment=True)
        return next(dataset.as_numpy_iterator())

    first, again, other = first_batch(3), first_batch(3), first_batch(4)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def _write_class_folders(root, sizes=(5, 7)):
    for label, count in enumerate(sizes):
        folder = root / f"class_{'ab'[label]}"
        folder.mkdir(parents=True)
        for index in range(count):
            pixels = np.full((12, 10, 3), 20 * label + index, np.uint8)
            Image.fromarray(pixels).save(folder / f"{index:03d}.png")


def test_folder_source_without_split_holds_out_every_fifth(tmp_path):
    _write_class_folders(tmp_path)
    source = open_dataset(f"folder:{tmp_path}")
    assert source.class_names == ["class_a", "class_b"] and source.image_shape == (12, 10, 3)
    assert source.sizes == {"train": 10, "test": 2}
    images, labels = _all(source.examples("test"))
    assert labels.tolist() == [0, 1] and [int(image[0, 0, 0]) for image in images] == [4, 24]


def test_folder_source_with_train_and_test_folders(tmp_path):
    _write_class_folders(tmp_path / "train")
    _write_class_folders(tmp_path / "test", sizes=(2, 3))
    source = open_dataset(f"folder:{tmp_path}")
    assert source.sizes == {"train": 12, "test": 5}
    _, labels = _all(source.examples("test"))
    assert labels.tolist() == [0, 0, 1, 1, 1]


@pytest.mark.parametrize("spec", ["folder:/no/such/folder", "tfrecord:/no/such/*.tfrecord", "no_such_tfds_name_xyz"])
def test_unknown_sources_are_one_line_errors(spec, tmp_path):
    with pytest.raises(TaskAdaptError) as error:
        open_dataset(spec, data_dir=str(tmp_path))
    assert "\n" not in str(error.value)


def test_download_that_cannot_happen_fails_within_seconds(tmp_path, monkeypatch):
    from keras_taskadapt.data import tfds_source, tiny_imagenet

    monkeypatch.setattr(tiny_imagenet, "URL", "http://127.0.0.1:9/tiny-imagenet-200.zip")
    monkeypatch.setattr(tfds_source, "DOWNLOAD_HOST", ("127.0.0.1", 9))
    for spec, name in (("tiny_imagenet", "tiny_imagenet"), ("mnist", "mnist")):
        started = time.perf_counter()
        with pytest.raises(TaskAdaptError) as error:
            open_dataset(spec, data_dir=str(tmp_path / spec))
        assert time.perf_counter() - started < 20
        assert str(error.value).startswith(name) and error.value.parameter == "data_dir"
        assert str(tmp_path / spec) in str(error.value)
    left = tmp_path / "tiny_imagenet"
    assert not left.exists() or not any(entry.startswith(".download") for entry in os.listdir(left))
