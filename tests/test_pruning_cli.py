"""``evaluate discriminative-power`` (figures 3.2/3.5) and ``train prune`` (table 3.1) on the offline data set."""
import csv
import json

import keras
import pytest

from keras_taskadapt.cli import main
from keras_taskadapt.hierarchical.model_setup import load_hierarchical
from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder
from keras_taskadapt.hierarchical.models.wavelet_resnet import wavelet_resnet_classifier
from keras_taskadapt.hierarchical.pruning import count_flops, count_params
from keras_taskadapt.hierarchical.pruning.plan import channel_layers
from keras_taskadapt.hierarchical.training import EndToEnd
from keras_taskadapt.models import cifar_resnet

DATA = ["--dataset", "sklearn_digits", "--image-size", "16", "16", "--batch-size", "64", "--seed", "1"]
FINE_TUNE = ["--epochs", "1", "--steps-per-epoch", "1", "--score-examples", "256"]


def read_csv(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def filters(part):
    """Channels of every convolution and dense layer of ``part``."""
    return {layer.name: layer.output.shape[-1] for layer in part.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense))}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Untrained E2E models as ``train hierarchical`` saves them: the split auto-encoder of
    figure 3.3 (dy = 8) and the lightweight classifier of figure 3.1, 10 classes, 16x16
    images, width 0.125 (modules of 8, 16 and 32 filters)."""
    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(0)
    for name, parts in (("ae", split_autoencoder(10, (16, 16, 3), width=0.125, latent_dim=8, side_dim=8, seed=1)),
                        ("classifier", wavelet_resnet_classifier(10, (16, 16, 3), width=0.125, side_dim=8))):
        model = EndToEnd(*parts, ce_batch_size=64, name="e2e")
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.save(folder / f"{name}.keras")
    return {name: str(folder / f"{name}.keras") for name in ("ae", "classifier")}


def test_best_filter_power_of_two_models_in_one_plot(models, tmp_path):
    out = tmp_path / "power"
    assert main(["evaluate", "discriminative-power", "--model", models["ae"], "--model", models["classifier"],
                 "--label", "AE (fig 3.3)", "--label", "classifier (fig 3.1)", "--split", "train", "--examples", "200",
                 "--out", str(out), *DATA]) == 0
    assert (out / "best_filter_power.png").stat().st_size > 0
    rows = read_csv(out / "discriminative_power.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["models"] == 2 and metrics["examples"] == 200 and metrics["split"] == "train"
    for label, path in (("AE (fig 3.3)", models["ae"]), ("classifier (fig 3.1)", models["classifier"])):
        model = load_hierarchical(path)
        expected = {**filters(model.encoder), **filters(model.decoder)}
        del expected["classifier"]  # the softmax output is no filter
        mine = [row for row in rows if row["model"] == label]
        assert [row["layer"] for row in mine] == channel_layers(model)["encoder"] + channel_layers(model)["decoder"]
        assert {row["layer"]: int(row["filters"]) for row in mine} == expected
        assert all(float(row["best"]) >= float(row["mean"]) >= 0 for row in mine)
        assert metrics[f"mean_best_power_{label}"] > 0
    assert metrics["layers"] == 20  # 10 convolutions, 2 dense layers, 3 transposed and 5 more convolutions


def test_pruning_the_encoder_halves_its_filters_and_latent(models, tmp_path):
    out = tmp_path / "prune"
    assert main(["train", "prune", "--model", models["ae"], "--keep-fraction", "0.5", "--out", str(out),
                 *FINE_TUNE, *DATA]) == 0
    original, pruned = load_hierarchical(models["ae"]), load_hierarchical(str(out / "model.keras"))
    assert filters(pruned.encoder) == {name: count // 2 for name, count in filters(original.encoder).items()}
    assert filters(pruned.decoder) == filters(original.decoder) and pruned.quantizer.step_sizes.shape == (4,)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["latent_dim"] == 4 and metrics["latent_dim_before"] == 8 and metrics["pruned_groups"] == 8
    assert metrics["params"] == count_params(pruned.encoder, pruned.decoder) < metrics["params_before"]
    assert metrics["flops"] == count_flops(pruned.encoder) + count_flops(pruned.decoder) < metrics["flops_before"]
    assert metrics["encoder_flops"] < metrics["encoder_flops_before"] / 3  # most convolutions lose half in and out
    for key in ("accuracy", "accuracy_pruned", "accuracy_before"):
        assert 0.0 <= metrics[key] <= 1.0
    table = read_csv(out / "table.csv")
    assert [row["model"] for row in table] == ["e2e (baseline)", "e2e pruned", "e2e pruned + CE fine-tuning"]
    assert float(table[2]["params_change_pct"]) == pytest.approx(100 * (metrics["params"] / metrics["params_before"] - 1))
    groups = read_csv(out / "pruned_layers.csv")
    assert groups[0]["layers"] == "stem_conv+m1b1_conv2+m1b2_conv2"  # tied by the identity shortcuts
    assert len(read_csv(out / "discriminative_power.csv")) == 20
    # the pruned auto-encoder still deploys: real bits through its 4 latent entries
    assert main(["evaluate", "hierarchical", "--model", str(out / "model.keras"), "--out", str(tmp_path / "eval"),
                 *DATA[:-2]]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert evaluated["latent_dim"] == 4 and evaluated["accuracy"] == pytest.approx(metrics["accuracy"])


def test_table_3_1_style_counts_prune_module_3_of_the_classifier(models, tmp_path):
    out = tmp_path / "module3"
    assert main(["train", "prune", "--model", models["classifier"], "--keep", "m3b1_conv1=20", "m3b1_conv2=24",
                 "m3b2_conv1=16", "--out", str(out), *FINE_TUNE, *DATA]) == 0
    original, pruned = load_hierarchical(models["classifier"]), load_hierarchical(str(out / "model.keras"))
    assert filters(pruned.encoder) == filters(original.encoder)
    # the residual stream of module 3 (conv2 of both blocks and the projection) keeps 24 channels
    assert filters(pruned.decoder) == {"m3b1_conv1": 20, "m3b1_conv2": 24, "m3b1_proj": 24, "m3b2_conv1": 16,
                                       "m3b2_conv2": 24, "classifier": 10}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["encoder_params"] == metrics["encoder_params_before"]
    assert metrics["params"] < metrics["params_before"] and metrics["flops"] < metrics["flops_before"]
    assert [row["channels_after"] for row in read_csv(out / "pruned_layers.csv")] == ["20", "24", "16"]


@pytest.mark.parametrize("options, message", [
    (["--keep-fraction", "0"], "(0, 1]"),
    (["--keep-fraction", "1.5"], "(0, 1]"),
    ([], "say what to keep"),
    (["--keep", "m3b1_conv1"], "LAYER=COUNT"),
    (["--keep", "no_such_layer=3"], "no convolution or dense layer"),
    (["--keep", "m3b1_conv2=20", "m3b2_conv2=10"], "share their channels"),
    (["--keep", "m3b1_conv1=99"], "cannot keep 99 of the 32"),
    (["--keep-fraction", "0.5", "--layers", "nothing*"], "no prunable channels"),
])
def test_bad_pruning_requests_end_in_one_line(options, message, models, tmp_path, capsys):
    assert main(["train", "prune", "--model", models["classifier"], "--out", str(tmp_path), *options,
                 *FINE_TUNE, *DATA]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_missing_and_foreign_models_end_in_one_line(models, tmp_path, capsys):
    keras.utils.set_random_seed(0)
    cifar_resnet(10, (16, 16, 3), depth=8).save(tmp_path / "plain.keras")
    for command in (["train", "prune", "--keep-fraction", "0.5"], ["evaluate", "discriminative-power"]):
        for model, message in (("missing.keras", "no such file"), (str(tmp_path / "plain.keras"), "not a hierarchical")):
            assert main([*command, "--model", model, "--out", str(tmp_path / "out"), *DATA]) == 2
            error = capsys.readouterr().err
            assert error.count("\n") == 1 and message in error
    assert main(["evaluate", "discriminative-power", "--model", models["ae"], "--model", models["ae"],
                 "--out", str(tmp_path / "out"), *DATA]) == 2
    assert "--label" in capsys.readouterr().err  # two models of one name need labels
