"""Robustness studies of ``train/evaluate hierarchical`` (seed 000 section 3.4) on the offline default data set."""
import collections
import csv
import json

import keras
import numpy as np
import pytest

from keras_taskadapt.cli import main
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data import load_dataset, open_dataset
from keras_taskadapt.data.imbalance import class_indices, group_accuracies, imbalanced
from keras_taskadapt.data.label_noise import SEED_CORRUPTION_SEED, corrupt_labels
from keras_taskadapt.hierarchical import robustness
from keras_taskadapt.hierarchical.model_setup import load_hierarchical

SMALL = ["--image-size", "16", "16", "--width", "0.125", "--latent-dim", "8", "--side-dim", "8",
         "--batch-size", "64", "--seed", "1"]
TRAIN_SIZE = 1437  # sklearn_digits


def pairs(dataset):
    """Counter of (image bytes, label) over a dataset of batches."""
    return collections.Counter((image.tobytes(), int(label)) for images, labels in dataset.as_numpy_iterator()
                               for image, label in zip(images, labels))


def train_labels(source):
    return np.concatenate([labels for _, labels in source.examples("train").batch(2000).as_numpy_iterator()])


def test_the_corruption_seed_is_the_seeds():
    assert SEED_CORRUPTION_SEED == 10  # section 3.4.1


def test_label_corruption_is_exact_fixed_per_example_and_seeded():
    source = open_dataset()
    clean = train_labels(source)
    corrupted, fraction = corrupt_labels(source, 0.3)
    labels = train_labels(corrupted)
    wrong = labels != clean
    assert wrong.sum() == int(0.3 * TRAIN_SIZE) and fraction == wrong.sum() / TRAIN_SIZE  # never the true class again
    assert np.array_equal(train_labels(corrupted), labels)  # a second pass: the same wrong labels
    assert np.array_equal(train_labels(corrupt_labels(source, 0.3)[0]), labels)  # the same seed: the same labels
    assert not np.array_equal(train_labels(corrupt_labels(source, 0.3, seed=11)[0]), labels)
    assert set(np.unique(labels)) == set(range(10))
    assert pairs(load_dataset(source=corrupted, split="test", batch_size=360)) == \
        pairs(load_dataset(source=source, split="test", batch_size=360))  # the test labels stay right
    stored = pairs(load_dataset(source=corrupted, split="train", batch_size=479, shuffle=False))
    epochs = list(load_dataset(source=corrupted, split="train", batch_size=479, shuffle=True, seed=3, repeat=True)
                  .take(6).as_numpy_iterator())  # two shuffled epochs of three batches
    for epoch in (epochs[:3], epochs[3:]):
        assert collections.Counter((image.tobytes(), int(label)) for images, labels in epoch
                                   for image, label in zip(images, labels)) == stored
    assert not np.array_equal(epochs[0][1], epochs[3][1])  # the epochs were shuffled differently


def test_imbalance_removes_exactly_n_of_the_chosen_classes():
    source = open_dataset()
    before = np.bincount(train_labels(source), minlength=10)
    fewer = imbalanced(source, class_indices(["3", 7], source.class_names), 100, seed=5)
    after = np.bincount(train_labels(fewer), minlength=10)
    assert np.array_equal(before - after, [0, 0, 0, 100, 0, 0, 0, 100, 0, 0])
    assert fewer.size("train") == TRAIN_SIZE - 200 and fewer.size("test") == source.size("test")
    assert pairs(load_dataset(source=fewer, split="train", batch_size=1237, shuffle=False)) == \
        pairs(load_dataset(source=imbalanced(source, [3, 7], 100, seed=5), split="train", batch_size=1237))
    with pytest.raises(TaskAdaptError, match="has only"):
        imbalanced(source, [3], int(before[3]) + 1)
    with pytest.raises(TaskAdaptError, match="unknown class"):
        class_indices(["cat"], source.class_names)
    assert group_accuracies([3, 1, 7, 2], [3, 3, 7, 2], [3, 7]) == {"accuracy_minority": 2 / 3,
                                                                     "accuracy_majority": 1.0}


def test_the_kl_loss_is_the_divergence_from_smoothed_one_hot_targets():
    inputs = keras.Input((3,))
    encoder = keras.Model(inputs, keras.layers.Identity()(inputs))
    decoder = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model = robustness.KLDecoderRetraining(encoder, decoder, label_smoothing=0.3)
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    targets = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    expected = np.mean(np.sum(targets * np.log(targets / probabilities), axis=1))
    loss = keras.ops.convert_to_numpy(model._cross_entropy(np.array([0, 2]), probabilities))
    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    """E2E on an imbalanced set with 10 % corrupted labels, trained enough for the SVM to find classes."""
    out = tmp_path_factory.mktemp("noisy")
    assert main(["train", "hierarchical", "--out", str(out), "--epochs", "2", "--learning-rate", "0.01",
                 "--no-augment", "--label-corruption", "0.1", "--imbalance-classes", "3", "7",
                 "--imbalance-remove", "50", *SMALL]) == 0
    return out


def test_train_records_the_corrupted_imbalanced_set(noisy_run):
    metrics = json.loads((noisy_run / "metrics.json").read_text())
    assert metrics["train_examples"] == TRAIN_SIZE - 100
    assert metrics["label_corruption"] == 0.1 and metrics["corruption_seed"] == 10
    assert metrics["corrupted_fraction"] == int(0.1 * (TRAIN_SIZE - 100)) / (TRAIN_SIZE - 100)
    assert metrics["imbalance_classes"] == [3, 7] and metrics["imbalance_removed"] == 50
    test_labels = np.concatenate([labels for _, labels in open_dataset().examples("test").batch(400).as_numpy_iterator()])
    minority = np.isin(test_labels, [3, 7]).sum()
    assert metrics["accuracy"] == pytest.approx(  # the deployed pipeline's accuracy, split in two
        (metrics["accuracy_minority"] * minority + metrics["accuracy_majority"] * (360 - minority)) / 360)


def weights_of(model):
    return {part: [w.copy() for w in getattr(model, part).get_weights()]
            for part in ("encoder", "decoder", "side_branch")} | {"quantizer": model.quantizer.get_weights()}


def same(first, second):
    return len(first) == len(second) and all(np.array_equal(a, b) for a, b in zip(first, second))


def test_kl_decoder_retraining_changes_only_the_decoder(noisy_run, tmp_path):
    out = tmp_path / "kl"
    assert main(["train", "hierarchical", "--out", str(out), "--init", str(noisy_run / "model.keras"),
                 "--decoder-retrain", "kl", "--epochs", "1", "--steps-per-epoch", "2", *SMALL]) == 0
    before, after = weights_of(load_hierarchical(str(noisy_run / "model.keras"))), weights_of(
        load_hierarchical(str(out / "model.keras")))
    for part in ("encoder", "side_branch", "quantizer"):
        assert same(before[part], after[part]), part
    assert not same(before["decoder"], after["decoder"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["decoder_retrain"] == "kl" and metrics["training"] == "kl-decoder" and 0 <= metrics["accuracy"] <= 1
    assert metrics["label_corruption"] == 0.0 and metrics["corrupted_fraction"] == 0.0


def test_svm_decoder_beats_chance_and_its_model_evaluates_under_distortions(noisy_run, tmp_path, capsys):
    svm = tmp_path / "svm"
    assert main(["train", "hierarchical", "--out", str(svm), "--init", str(noisy_run / "model.keras"),
                 "--decoder-retrain", "svm", *SMALL]) == 0
    trained = json.loads((svm / "metrics.json").read_text())
    assert trained["decoder_retrain"] == "svm" and 0.3 < trained["accuracy"] <= 1.0  # chance: 0.1
    noisy = json.loads((noisy_run / "metrics.json").read_text())
    assert trained["total_entropy_bits"] == noisy["total_entropy_bits"]  # the same frozen encoder
    assert trained["params"] == noisy["encoder_params"] + 8 * 10 + 10  # the SVM: one dense layer
    out = tmp_path / "distorted"
    assert main(["evaluate", "hierarchical", "--model", str(svm / "model.keras"), "--out", str(out),
                 "--image-size", "16", "16", "--batch-size", "64", "--distortions", "crop", "flip", "jitter",
                 "noise", "rotate", "--crop-fraction", "0", "--jitter-strength", "0", "--noise-amplitude", "0",
                 "--rotation-degrees", "0"]) == 0
    evaluated = json.loads((out / "metrics.json").read_text())
    assert evaluated["accuracy"] == pytest.approx(trained["accuracy"], abs=1e-9)
    with open(out / "distortions.csv") as handle:
        rows = {row["distortion"]: row for row in csv.DictReader(handle)}
    assert list(rows) == ["none", "crop", "flip", "jitter", "noise", "rotate"] and (out / "distortions.png").is_file()
    for name in ("none", "crop", "jitter", "noise", "rotate"):  # strength 0: the clean images
        assert float(rows[name]["accuracy"]) == pytest.approx(evaluated["accuracy"], abs=1e-9), name
        assert float(rows[name]["bits_per_image"]) == pytest.approx(evaluated["bits_per_image"]), name
    assert evaluated["accuracy_flip"] == float(rows["flip"]["accuracy"]) and 0 <= evaluated["accuracy_flip"] <= 1


@pytest.mark.parametrize("options, message", [
    (["--label-corruption", "1.5"], "[0, 1]"),
    (["--label-corruption", "-0.1"], "argument --label-corruption: must be 0 or more"),
    (["--imbalance-classes", "12", "--imbalance-remove", "5"], "unknown class"),
    (["--imbalance-classes", "3", "--imbalance-remove", "1000"], "has only"),
    (["--imbalance-classes", "3"], "error: --imbalance-classes: an imbalanced training set needs both"),
    (["--decoder-retrain", "kl"], "needs the trained model whose encoder it freezes (--init MODEL)"),
    (["--decoder-retrain", "svm", "--training", "duphil", "--init", __file__],
     "error: --decoder-retrain: decoder re-training replaces the training strategy"),
    (["--decoder-retrain", "cca"], "invalid choice"),
])
def test_bad_robustness_options_end_in_one_line(options, message, tmp_path, capsys):
    assert main(["train", "hierarchical", "--out", str(tmp_path), *SMALL, *options]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


@pytest.mark.parametrize("options, message", [
    (["--distortions", "blur"], "invalid choice"),
    (["--distortions", "crop", "--crop-fraction", "1"], "crop strength must be in [0, 1)"),
    (["--distortions", "noise", "--noise-amplitude", "-1"], "noise strength"),
])
def test_bad_distortions_end_in_one_line(options, message, tmp_path, capsys):
    assert main(["evaluate", "hierarchical", "--model", str(tmp_path / "absent.keras"), "--out", str(tmp_path),
                 *options]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error
