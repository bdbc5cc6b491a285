"""tfrecords_tools: round trips, sparse value + position, damaged files, inspect."""

import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from keras_taskadapt.data import open_dataset
from tfrecords_tools import (
    CorruptRecordError,
    ShardedWriter,
    convert_source,
    dense_example,
    expand_glob,
    from_value_position,
    inspect_file,
    stream_records,
    to_value_position,
    verify_files,
    write_tensors,
)


def _pairs(dataset):
    images, labels = zip(*dataset.as_numpy_iterator())
    return np.stack(images), np.array(labels)


@pytest.fixture(scope="module")
def digits():
    return open_dataset()


@pytest.mark.parametrize("fmt", ["encoded", "raw"])
def test_dataset_round_trip_is_identical(digits, tmp_path, fmt):
    counts = convert_source(digits, str(tmp_path), fmt, num_shards=3)
    assert counts == {"train": 1437, "test": 360}
    assert (tmp_path / "labels.txt").read_text().split() == digits.class_names
    reread = open_dataset(f"tfrecord:{tmp_path}/*.tfrecord")
    assert reread.sizes == counts and reread.class_names == digits.class_names
    for split in ("train", "test"):
        original, reloaded = _pairs(digits.examples(split)), _pairs(reread.examples(split))
        order = lambda pairs: np.lexsort((pairs[1], pairs[0].reshape(len(pairs[0]), -1).sum(1)))  # noqa: E731
        assert np.array_equal(original[0][order(original)], reloaded[0][order(reloaded)])
        assert np.array_equal(original[1][order(original)], reloaded[1][order(reloaded)])


def test_encoded_bytes_are_kept_as_they_are(tiny_imagenet_dir, tmp_path):
    source = open_dataset("tiny_imagenet", data_dir=str(tiny_imagenet_dir))
    convert_source(source, str(tmp_path), "encoded", num_shards=1, splits=("test",))
    summary = inspect_file(str(tmp_path / "test-00000-of-00001.tfrecord"))
    assert summary["records"] == 1000 and summary["schema"] == "image" and summary["element_shape"] == [64, 64, 3]
    import tensorflow as tf

    first = next(iter(tf.data.TFRecordDataset(str(tmp_path / "test-00000-of-00001.tfrecord"))))
    example = tf.train.Example.FromString(first.numpy())
    filename = example.features.feature["image/filename"].bytes_list.value[0].decode()
    assert example.features.feature["image/encoded"].bytes_list.value[0] == open(filename, "rb").read()
    assert example.features.feature["image/format"].bytes_list.value[0] == b"jpeg"


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 7)),
              elements=st.one_of(st.just(0.0), st.floats(-1e6, 1e6, width=32))))
def test_value_position_round_trip_is_exact(array):
    values, positions, shape = to_value_position(array)
    assert np.all(values != 0) and np.all(np.diff(positions) > 0)
    assert np.array_equal(from_value_position(values, positions, shape), array)


def test_seed_algorithm_3_example():
    array = np.array([0, 0, 0, 0, 0, 0, 5, 7, 0, 0, 0, 2, 0, 0, 12, 0, 0, 0, 0, 1])
    values, positions, _ = to_value_position(array)
    assert values.tolist() == [5, 7, 2, 12, 1] and positions.tolist() == [6, 7, 11, 14, 19]


@pytest.mark.parametrize("sparse", [False, True])
def test_tensor_records_round_trip(tmp_path, sparse):
    rng = np.random.default_rng(0)
    tensors = np.maximum(rng.normal(size=(25, 4, 3, 5)), 0).astype(np.float32)  # ReLU-like, half zeros
    labels = rng.integers(0, 7, 25)
    paths, count = write_tensors(zip(tensors, labels), str(tmp_path / "features"), 2, sparse=sparse)
    assert count == 25 and len(paths) == 2
    summary = inspect_file(paths[0])
    assert summary["schema"] == ("sparse" if sparse else "dense") and summary["element_shape"] == [4, 3, 5]
    dataset, report = stream_records(str(tmp_path / "features-*"))
    reread, relabels = _pairs(dataset)
    assert report.skipped == 0
    order = np.argsort(relabels * 1000 + reread.reshape(25, -1).sum(1))
    expected = np.argsort(labels * 1000 + tensors.reshape(25, -1).sum(1))
    assert np.array_equal(reread[order], tensors[expected]) and np.array_equal(relabels[order], labels[expected])


def _shard_of_ten(path):
    with ShardedWriter(str(path), 1) as writer:
        for index in range(10):
            writer.write(dense_example(np.full((3,), index, np.float32), index))
    return writer.paths[0]


def test_truncated_shard_is_named_and_skip_corrupt_counts_it(tmp_path):
    path = _shard_of_ten(tmp_path / "part")
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-30])
    with pytest.raises(CorruptRecordError) as error:
        verify_files([path])
    assert f"{path}: record 9 " in str(error.value) and "truncated" in str(error.value)
    dataset, report = stream_records(path, skip_corrupt=True)
    _, labels = _pairs(dataset)
    assert report.skipped == 1 and labels.tolist() == list(range(9))


def test_bad_checksum_mid_file_skips_only_that_record(tmp_path):
    path = _shard_of_ten(tmp_path / "part")
    data = bytearray(open(path, "rb").read())
    record_size = len(data) // 10
    data[3 * record_size + 20] ^= 0xFF  # inside the payload of record 3
    open(path, "wb").write(bytes(data))
    with pytest.raises(CorruptRecordError, match="record 3 .*checksum"):
        verify_files([path])
    dataset, report = stream_records(path, skip_corrupt=True)
    _, labels = _pairs(dataset)
    assert report.skipped == 1 and sorted(labels.tolist()) == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_damaged_real_shard_keeps_the_other_shards(cifar10_tfrecords, tmp_path):
    test_shards = [path for path in expand_glob(cifar10_tfrecords) if "test-" in path]
    for shard in test_shards:
        shutil.copy(shard, tmp_path)
    damaged = str(tmp_path / "test-00001-of-00002.tfrecord")
    size = len(open(damaged, "rb").read())
    with open(damaged, "r+b") as handle:
        handle.truncate(size // 2)
    report = verify_files(expand_glob(str(tmp_path / "*.tfrecord")), strict=False)
    assert report.damaged_files == [damaged] and report.skipped == 1
    intact = report.intact[damaged]
    assert 2000 < intact < 3000 and report.intact[str(tmp_path / "test-00000-of-00002.tfrecord")] == 5000
    dataset, read = stream_records(str(tmp_path / "*.tfrecord"), skip_corrupt=True)
    assert read.skipped == 1 and sum(1 for _ in dataset) == 5000 + intact


def test_inspect_real_cifar_shard(cifar10_tfrecords):
    path = [p for p in expand_glob(cifar10_tfrecords) if "test-00000" in p][0]
    summary = inspect_file(path)
    assert summary["records"] == 5000 and summary["damaged"] == []
    assert summary["element_shape"] == [32, 32, 3]
    assert summary["keys"]["image/encoded"]["type"] == "bytes_list"
    assert summary["keys"]["image/class/label"] == {"type": "int64_list", "length": 1}
