"""The compressed-input topology and block-by-block training (seed 004): the JPEG versions, one
shared trunk, stages that train only their blocks, the sparse bottleneck cache, the run's
files and resume, and the one-line errors. The base is the session's trained ResNet-8 on the
offline digits (``classifier_run``); runs use the original and two qualities."""
import io
import json
import os
import shutil

import numpy as np
import pytest
from conftest import one_line_error

from keras_taskadapt.cli import main

SMALL = ["--dataset", "sklearn_digits", "--qualities", "10", "50", "--val-images", "200", "--epochs", "2",
         "--seed", "0"]


def topology_run(base, out, *extra):
    return ["train", "multiqf", "--base", str(base), *SMALL, "--blocks", "s3b1", "--out", str(out), *extra]


@pytest.fixture(scope="module")
def base_path(classifier_run):
    return classifier_run / "model.keras"


@pytest.fixture(scope="module")
def cache_dir(base_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("cache") / "s3b1"
    assert main(["data", "cache-bottlenecks", "--base", str(base_path), "--qualities", "10", "50",
                 "--val-images", "200", "--block", "s3b1", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def recomputed_run(base_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("recomputed")
    assert main(topology_run(base_path, out)) == 0
    return out


@pytest.fixture(scope="module")
def cached_run(base_path, cache_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("cached")
    assert main(topology_run(base_path, out, "--cache", str(cache_dir))) == 0
    return out


def base_model(path):
    from keras_taskadapt.multiqf.base_network import load_base

    return load_base(str(path)).model


def trainable_layer_names(model):
    """Names of the layers of ``model`` (nested models opened) that hold trainable weights."""
    import keras

    names = set()
    for layer in model.layers:
        names |= trainable_layer_names(layer) if isinstance(layer, keras.Model) else (
            {layer.name} if layer.trainable_weights else set())
    return names


def test_the_held_out_validation_images_are_a_random_draw_of_every_class(tiny_imagenet_dir):
    from keras_taskadapt.data.held_out import held_out_sources
    from keras_taskadapt.data.sources import open_dataset

    source = open_dataset("tiny_imagenet", data_dir=str(tiny_imagenet_dir))  # files listed class by class
    training, validation = held_out_sources(source, 1000, 3000)
    trained = [path.decode() for path, _ in training.records("train").as_numpy_iterator()]
    held = [(path.decode(), label) for path, label in validation.records("test").as_numpy_iterator()]
    assert len(trained) == 3000 and len(held) == 1000 and not set(trained) & {path for path, _ in held}
    assert len({label for _, label in held}) == 20  # not the first classes of the listing
    again = [path.decode() for path, _ in held_out_sources(source, 1000, 3000)[1].records("test").as_numpy_iterator()]
    assert again == [path for path, _ in held]  # the same draw every time: caches and runs agree


# -- inputs and topology ----------------------------------------------------------------------


def test_the_versions_are_the_jpegs_pillow_writes_and_reads():
    from PIL import Image

    from keras_taskadapt.data import load_dataset
    from keras_taskadapt.multiqf.versions import jpeg_versions

    images = next(iter(load_dataset("sklearn_digits", "test", batch_size=6, shuffle=False)))[0].numpy()
    noise = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    images = np.concatenate([images, noise])
    qualities = (10, 50, 90, 100)
    versions = jpeg_versions(images, qualities).numpy()
    assert versions.shape == (8, 5, 32, 32, 3) and np.array_equal(versions[:, 0], images)
    for index, quality in enumerate(qualities):
        for image, version in zip(images, versions[:, index + 1]):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, "JPEG", quality=quality, subsampling="4:2:0")
            assert np.array_equal(version, np.asarray(Image.open(buffer).convert("RGB"))), quality
    assert not np.array_equal(versions[:, 1], images)  # quality 10 changes the pixels


def test_the_branches_share_one_trunk_whatever_the_number_of_inputs(base_path):
    from keras_taskadapt.multiqf.topology import multi_quality_topology, trunk_of

    base = base_model(base_path)
    three, eleven = multi_quality_topology(base, 3), multi_quality_topology(base, 11)
    assert len(three.weights) == len(eleven.weights) == len(base.weights)  # the classifier's 2 swapped for the head's
    assert three.get_layer("head").kernel.shape == (3 * 64, 10)
    assert eleven.get_layer("head").kernel.shape == (11 * 64, 10)
    base_variables = {id(variable) for variable in base.weights[:-2]}
    assert {id(variable) for variable in trunk_of(three).weights} == base_variables  # the base's own kernels
    batch = np.random.default_rng(1).uniform(0, 255, (2, 3, 32, 32, 3)).astype("float32")
    features = trunk_of(three).predict(batch.reshape(6, 32, 32, 3), verbose=0).reshape(2, 3 * 64)
    head = three.get_layer("head")
    expected = features @ head.kernel.numpy() + head.bias.numpy()
    expected = np.exp(expected - expected.max(1, keepdims=True))
    np.testing.assert_allclose(three.predict(batch, verbose=0), expected / expected.sum(1, keepdims=True), atol=1e-5)


def test_a_head_started_from_the_base_predicts_as_the_base(base_path):
    from keras_taskadapt.multiqf.topology import multi_quality_topology
    from keras_taskadapt.multiqf.versions import jpeg_versions

    base = base_model(base_path)
    images = np.random.default_rng(3).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    versions = jpeg_versions(images, (10, 50)).numpy().astype("float32")
    topology = multi_quality_topology(base, 3, head_init="base")
    np.testing.assert_allclose(topology.predict(versions, verbose=0), base.predict(versions[:, 0], verbose=0),
                               atol=1e-6)


def test_a_stage_trains_only_the_blocks_it_unfroze(base_path):
    import keras

    from keras_taskadapt.multiqf.block_training import compile_stage, freeze_for, stage_plan
    from keras_taskadapt.multiqf.blocks import blocks_to_unfreeze
    from keras_taskadapt.multiqf.topology import multi_quality_topology, trunk_of

    base = base_model(base_path)
    topology = multi_quality_topology(base, 2)
    head, block = stage_plan(blocks_to_unfreeze(base, ["s3b1"]))
    assert (head.rate, block.rate) == (0.01, 0.001) and block.name == "s3b1"
    freeze_for(topology, head)
    assert trainable_layer_names(topology) == {"head"}
    freeze_for(topology, block)
    unfrozen = {"resnet_s3b1_conv1", "resnet_s3b1_conv2", "resnet_s3b1_proj"}
    assert trainable_layer_names(topology) == {"head"} | unfrozen  # its batch norms stay frozen
    before = {layer.name: [weight.numpy().copy() for weight in layer.weights] for layer in trunk_of(topology).layers}
    compile_stage(topology, block, top5=False)
    rng = np.random.default_rng(2)
    topology.fit(rng.uniform(0, 255, (16, 2, 32, 32, 3)).astype("float32"), rng.integers(0, 10, 16), epochs=1,
                 batch_size=8, verbose=0)
    for layer in trunk_of(topology).layers:
        changed = any(not np.array_equal(old, new.numpy()) for old, new in zip(before[layer.name], layer.weights))
        assert changed == (layer.name in unfrozen), layer.name
    assert isinstance(topology.get_layer("head"), keras.layers.Dense)


# -- the bottleneck cache ---------------------------------------------------------------------


def test_the_sparse_cache_round_trips_and_the_cached_twin_predicts_as_the_topology(base_path, cache_dir):
    from keras_taskadapt.multiqf.bottleneck_cache import cache_stream, read_cache_description
    from keras_taskadapt.multiqf.run_data import open_versions_data
    from keras_taskadapt.multiqf.topology import multi_quality_topology, topology_from_cache, trunk_below

    described = read_cache_description(cache_dir)
    assert described["end"] == "resnet_s2b1_out" and described["shape"] == [3, 16, 16, 32]
    assert described["train_records"] == 1237 and described["val_records"] == 200
    assert 0.2 < described["zero_fraction"] < 0.9  # after a ReLU: many exact zeros
    sparsity = (cache_dir / "sparsity.csv").read_text().splitlines()
    assert sparsity[0] == "block,layer,zero_fraction" and len(sparsity) == 1 + 4
    data = open_versions_data("sklearn_digits", qualities=(10, 50), val_images=200, batch_size=100)
    topology = multi_quality_topology(base_model(base_path), 3)
    versions = np.concatenate([np.asarray(batch) for batch, _ in data.validation])
    stored, labels = zip(*[(np.asarray(batch), np.asarray(label)) for batch, label in
                           cache_stream(cache_dir, "val", batch_size=100)])
    stored = np.concatenate(stored)
    below = trunk_below(topology, described["end"]).predict(versions.reshape(-1, 32, 32, 3), verbose=0)
    assert np.array_equal(stored, below.reshape(stored.shape))  # value + position records give back every float
    twin = topology_from_cache(topology, described["end"])
    np.testing.assert_allclose(twin.predict(stored, verbose=0), topology.predict(versions, verbose=0), atol=1e-5)


def test_the_cached_run_trains_as_the_run_that_recomputes(recomputed_run, cached_run, classifier_run):
    from keras_taskadapt.core.files import read_csv

    recomputed, cached = read_csv(recomputed_run / "stages.csv"), read_csv(cached_run / "stages.csv")
    assert [row["block"] for row in recomputed] == ["head", "s3b1"]
    for one, other in zip(recomputed, cached):
        for key in ("val_accuracy", "accuracy", "top5_accuracy", "fixed", "broken", "epochs"):
            assert float(one[key]) == pytest.approx(float(other[key]), abs=1e-6), key
    metrics = json.loads((cached_run / "metrics.json").read_text())
    assert metrics["stages"] == 2 and metrics["versions"] == 3 and metrics["qualities"] == "10 50"
    assert metrics["cache"] != "none" and 0 < metrics["cache_zero_fraction"] < 1
    gained = (metrics["fixed"] - metrics["broken"]) / metrics["test_images"]
    assert metrics["accuracy"] - metrics["base_accuracy"] == pytest.approx(gained)  # table 4.8's bookkeeping
    base = json.loads((classifier_run / "metrics.json").read_text())
    assert metrics["base_accuracy"] == pytest.approx(base["accuracy"])  # the base on the original images
    history = read_csv(cached_run / "history.csv")
    assert [int(row["epoch"]) for row in history] == list(range(len(history)))  # numbered across stages
    assert {float(row["stage"]) for row in history} == {1.0, 2.0} and not (cached_run / "backup").exists()


def test_evaluate_scores_the_saved_topology_as_training_did(cached_run, tmp_path):
    assert main(["evaluate", "multiqf", "--model", str(cached_run / "model.keras"), "--out", str(tmp_path)]) == 0
    evaluated = json.loads((tmp_path / "metrics.json").read_text())
    trained = json.loads((cached_run / "metrics.json").read_text())
    for key in ("accuracy", "top5_accuracy", "base_accuracy", "fixed", "broken", "test_images"):
        assert evaluated[key] == pytest.approx(trained[key]), key


def test_resume_continues_from_the_last_finished_stage(base_path, cache_dir, tmp_path, monkeypatch):
    from keras_taskadapt.core.files import read_csv
    from keras_taskadapt.multiqf.training import TopologyRun

    score = TopologyRun.score

    def killed_in_stage_2(self, stage=None):
        if stage.index == 2:
            raise KeyboardInterrupt
        return score(self, stage)

    out = tmp_path / "run"
    monkeypatch.setattr(TopologyRun, "score", killed_in_stage_2)
    assert main(topology_run(base_path, out, "--cache", str(cache_dir))) == 130
    assert len(read_csv(out / "stages.csv")) == 1 and not (out / "metrics.json").exists()
    def stage_one_rows():
        return [{key: float(value) for key, value in row.items()} for row in read_csv(out / "history.csv")
                if float(row["stage"]) == 1]

    stage_one = stage_one_rows()
    monkeypatch.setattr(TopologyRun, "score", score)
    assert main(topology_run(base_path, out, "--cache", str(cache_dir), "--resume")) == 0
    assert [row["block"] for row in read_csv(out / "stages.csv")] == ["head", "s3b1"]
    history = read_csv(out / "history.csv")
    assert stage_one_rows() == stage_one  # stage 1 was not trained again
    assert [int(row["epoch"]) for row in history] == list(range(len(history)))
    assert json.loads((out / "metrics.json").read_text())["stages"] == 2 and not (out / "backup").exists()


# -- bases ------------------------------------------------------------------------------------


def test_an_application_base_takes_its_weights_file_and_lists_its_blocks(tmp_path):
    import keras

    from keras_taskadapt.multiqf.base_network import load_base
    from keras_taskadapt.multiqf.blocks import base_blocks
    from keras_taskadapt.multiqf.topology import multi_quality_topology

    weights = tmp_path / "resnet50_v2.weights.h5"
    keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=10).save_weights(weights)
    base = load_base("resnet50_v2", str(weights), input_shape=(32, 32, 3), num_classes=10)
    names = [block.name for block in base_blocks(base.model)]
    assert names[:2] == ["conv2_block1", "conv2_block2"] and names[-2:] == ["conv5_block3", "post"]
    assert len(names) == 17 and base.fingerprint.startswith("resnet50_v2:")
    topology = multi_quality_topology(base.model, 2)
    assert topology.predict(np.zeros((1, 2, 32, 32, 3), "float32"), verbose=0).shape == (1, 10)


def test_train_classify_writes_a_wrn_base_the_topology_takes(tmp_path):
    out = tmp_path / "wrn"
    assert main(["train", "classify", "--classifier", "wrn", "--depth", "10", "--wrn-k", "1", "--epochs", "1",
                 "--steps-per-epoch", "1", "--out", str(out)]) == 0
    assert main(["train", "multiqf", "--base", str(out / "model.keras"), *SMALL, "--epochs", "1", "--blocks", "final",
                 "--test-images", "50", "--out", str(tmp_path / "topology")]) == 0
    metrics = json.loads((tmp_path / "topology" / "metrics.json").read_text())
    assert metrics["stages"] == 2 and metrics["stage2_block"] == "final" and metrics["test_images"] == 50


def test_the_package_classifiers_have_named_blocks():
    from keras_taskadapt.models.resnet50_cifar import resnet50_cifar
    from keras_taskadapt.models.wide_resnet import wide_resnet
    from keras_taskadapt.multiqf.blocks import base_blocks

    resnet50 = [block.name for block in base_blocks(resnet50_cifar(10, width=0.125))]
    assert resnet50[:2] == ["stem", "s1b1"] and resnet50[-1] == "s4b3" and len(resnet50) == 1 + 16
    assert [block.name for block in base_blocks(wide_resnet(10, depth=16, k=1))] == [
        "g1b1", "g1b2", "g2b1", "g2b2", "g3b1", "g3b2", "final"]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("extra, fragment", [
    (["--blocks", "nope"], "has no block 'nope'; its blocks from the top: s3b1 s2b1 s1b1 stem"),
    (["--blocks", "s2b1"], "block 1 must be 's3b1', not 's2b1'"),
    (["--qualities", "0", "50"], "a JPEG quality is a whole number in 1..100. Received: quality=0"),
    (["--qualities", "101"], "Received: quality=101"),
    (["--base", "resnet50_v2"], "resnet50_v2 needs its weights file"),
])
def test_impossible_runs_are_one_line_and_write_nothing(base_path, tmp_path, capsys, extra, fragment):
    command = ["train", "multiqf", "--base", str(base_path), *SMALL, "--out", str(tmp_path / "run")] + extra
    assert fragment in one_line_error(capsys, command)
    assert not (tmp_path / "run").exists() or not os.listdir(tmp_path / "run")


def test_a_cache_of_another_base_block_or_input_is_refused(base_path, cache_dir, tmp_path, capsys):
    import keras

    other = keras.models.load_model(base_path)
    other.get_layer("classifier").bias.assign(other.get_layer("classifier").bias + 1)
    other.save(tmp_path / "other.keras")
    cache = ["--cache", str(cache_dir)]
    message = one_line_error(capsys, topology_run(tmp_path / "other.keras", tmp_path / "a", *cache))
    assert "was written for fingerprint" in message
    message = one_line_error(capsys, topology_run(base_path, tmp_path / "b", *cache, "--blocks", "s3b1", "s2b1"))
    assert "holds the input of block s3b1, but the run unfreezes s2b1, below it" in message
    message = one_line_error(capsys, topology_run(base_path, tmp_path / "c", *cache, "--qualities", "10"))
    assert "was written for qualities [10, 50]" in message
    (tmp_path / "empty").mkdir()
    assert "no bottleneck cache" in one_line_error(capsys, topology_run(base_path, tmp_path / "d", "--cache",
                                                                          str(tmp_path / "empty")))
    cache_command = ["data", "cache-bottlenecks", "--base", str(base_path), "--val-images", "200", "--out"]
    assert "its input is the image itself" in one_line_error(capsys, cache_command + [str(tmp_path / "e"),
                                                                                      "--block", "stem"])
    shutil.copytree(cache_dir, tmp_path / "kept")
    (tmp_path / "mine.txt").write_text("not the package's")
    shutil.copy(tmp_path / "mine.txt", tmp_path / "kept" / "mine.txt")
    message = one_line_error(capsys, cache_command + [str(tmp_path / "kept"), "--block", "s3b1"])
    assert "holds files that are no bottleneck cache (mine.txt" in message and (tmp_path / "kept" / "mine.txt").exists()
