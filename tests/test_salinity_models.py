"""Delta salinity emulators (seed 000 chapter 5): models, LM training, the CLI, on real files."""
import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_taskadapt.cli import main
from keras_taskadapt.core.run_directory import RunDirectory
from keras_taskadapt.salinity import make_windows, masked_mse, random_split, read_salinity_csv
from keras_taskadapt.salinity.ann import mtl_network, stl_network
from keras_taskadapt.salinity.catalog import CONFIGURATIONS
from keras_taskadapt.salinity.emulator import output_scaling
from keras_taskadapt.salinity.evaluation import evaluate_emulator
from keras_taskadapt.salinity.fitted_scalings import EmulatorScalings
from keras_taskadapt.salinity.levenberg_marquardt import LevenbergMarquardt
from keras_taskadapt.salinity.preprocessing_layers import AntecedentConvolution
from keras_taskadapt.salinity.signature import read_signature
from keras_taskadapt.salinity.recipes import recipe, step_epochs
from keras_taskadapt.salinity.training import train_emulator


def _windows(delta_dir, stations=("emm2", "jer"), name="dsm2_base_historical.csv", lead=0):
    return make_windows(read_salinity_csv(delta_dir / name, stations=stations), lead=lead,
                        raw=True)


def _direct_features(days):
    """Eqs. (5.1)-(5.2) by slicing: ``days`` (samples, 118, M), oldest first -> (samples, M, 18)."""
    daily = [days[:, 118 - i] for i in range(1, 9)]                           # z[n - i + 1]
    means = [days[:, 110 - 11 * i:121 - 11 * i].mean(axis=1) for i in range(1, 11)]
    return np.stack(daily + means, axis=2)


def test_p_initialised_preprocessing_outputs_exactly_the_fixed_preprocessing(delta_dir):
    windows = _windows(delta_dir)
    train, _ = random_split(windows, seed=0)
    scalings = EmulatorScalings.fit(train)
    days = train.raw[:400].astype(np.float64)
    # Frozen "P" layer on raw days: the features of eqs. (5.1)-(5.2) themselves.
    fixed = AntecedentConvolution()(train.raw[:400])
    np.testing.assert_allclose(fixed, _direct_features(days), rtol=1e-5)
    np.testing.assert_allclose(fixed, train.features[:400], rtol=1e-5)
    # 4-MTL-P before training: eq. (5.4) per input, then exactly the fixed pre-processing.
    network = mtl_network(scalings, "P")
    inside = keras.Model(network.input, network.get_layer("trainable_preprocessing").output)
    low, high = scalings.raw
    scaled_days = (days - low) / (high - low) * 0.8 + 0.1
    got = inside.predict(train.raw[:400], verbose=0)
    np.testing.assert_allclose(got, _direct_features(scaled_days), rtol=1e-5, atol=1e-6)
    assert network.get_layer("trainable_preprocessing").trainable
    # "R" starts elsewhere; the 3-MTL pre-processing is frozen.
    random_start = mtl_network(scalings, "R")
    kernel = random_start.get_layer("trainable_preprocessing").get_weights()[0]
    assert not np.allclose(kernel, network.get_layer("trainable_preprocessing").get_weights()[0])
    assert not mtl_network(scalings).get_layer("antecedent").trainable


def test_the_shared_filter_bank_has_the_seeds_parameter_count_and_starts_as_the_fixed_preprocessing(delta_dir):
    twelve = ("emm2", "jer", "cll", "rsl", "anc", "mal", "oh4", "mrz", "old", "vcu", "trp", "wci")
    train, _ = random_split(_windows(delta_dir, stations=twelve), seed=0)
    scalings = EmulatorScalings.fit(train)
    shared, per_input = mtl_network(scalings, "P"), mtl_network(scalings, "P", filter_bank="per-input")
    assert shared.count_params() == 16962                       # section 5.3: 118 x 18 + 18 + 14,820
    assert per_input.count_params() == 118 * 7 * 18 + 14820
    bank = shared.get_layer("trainable_preprocessing")
    assert bank.kernel.shape == (118, 1, 18) and bank.bias.shape == (18,)
    inside = [keras.Model(network.input, network.get_layer("trainable_preprocessing").output)
              for network in (shared, per_input)]
    np.testing.assert_allclose(*(model.predict(train.raw[:200], verbose=0) for model in inside), rtol=1e-6)
    with pytest.raises(ValueError, match="filter bank 'one' is not one of"):
        mtl_network(scalings, "P", filter_bank="one")


def test_learning_rate_follows_the_paper_steps_and_the_other_schedules():
    rate = recipe("steps").learning_rate(steps_per_epoch=10)
    got = [float(rate(step)) for step in (0, 799, 800, 1199, 1200, 1600, 1800, 5000)]
    assert got == pytest.approx([0.01, 0.01, 1e-3, 1e-3, 1e-4, 1e-5, 5e-6, 5e-6])
    shorter = recipe("steps", epochs=50).learning_rate(steps_per_epoch=1)           # 20, 30, 40, 45
    assert [float(shorter(step)) for step in (19, 20, 44, 45)] == pytest.approx(
        [0.01, 1e-3, 1e-5, 5e-6])
    assert recipe("steps", epochs=50).watch_from == 45 and recipe("cosine").watch_from == 0
    assert recipe("constant").learning_rate(steps_per_epoch=10) == 0.001
    assert step_epochs(200) == [80, 120, 160, 180] and step_epochs(40) == [16, 24, 32, 36]
    cosine = recipe("cosine", rate=0.004, epochs=10).learning_rate(steps_per_epoch=5)
    assert [float(cosine(step)) for step in (0, 25, 50)] == pytest.approx([0.004, 0.002, 0.0], abs=1e-9)
    plateau = recipe("plateau", rate=0.002)
    assert plateau.learning_rate(steps_per_epoch=5) == 0.002
    (reduce,) = plateau.callbacks()
    assert (reduce.factor, reduce.patience, reduce.min_lr) == (0.5, 10, pytest.approx(2e-5))


def test_station_without_targets_gets_no_update_in_multi_task_training(delta_dir):
    windows = _windows(delta_dir, stations=("emm2", "jer", "cll"))
    train = windows.take(np.arange(600))
    scalings = EmulatorScalings.fit(train)
    targets = scalings.scale_targets(train.targets)
    targets[:, 2] = np.nan                              # cll: missing on every training day
    targets[::4, 0] = np.nan
    keras.utils.set_random_seed(1)
    network = mtl_network(scalings)
    before = network.get_layer("output").get_weights()
    network.compile(optimizer=keras.optimizers.Adam(0.01), loss=masked_mse)
    history = network.fit(train.raw, targets, batch_size=100, epochs=1, verbose=0)
    after = network.get_layer("output").get_weights()
    assert np.isfinite(history.history["loss"]).all()
    for weights_before, weights_after in zip(before, after):     # kernel (2n, n) and bias (n,)
        np.testing.assert_array_equal(weights_after[..., 2], weights_before[..., 2])
        assert not np.allclose(weights_after[..., :2], weights_before[..., :2])


def _lm_copy(network):
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def test_levenberg_marquardt_ignores_masked_targets_and_beats_gradient_descent(delta_dir):
    windows = _windows(delta_dir, stations=("jer",))
    train = windows.take(np.random.default_rng(0).permutation(len(windows))[:1500])
    scalings = EmulatorScalings.fit(train)
    targets = scalings.scale_targets(train.targets)
    keras.utils.set_random_seed(2)
    start = stl_network(scalings)
    initial = float(np.mean(masked_mse(targets, start.predict(train.raw, verbose=0))))

    lm = LevenbergMarquardt(_lm_copy(start))
    lm.compile(loss=masked_mse)
    lm_losses = lm.fit(train.raw, targets, batch_size=len(targets), epochs=10,
                       verbose=0).history["loss"]
    descent = _lm_copy(start)
    descent.compile(optimizer=keras.optimizers.SGD(0.5), loss=masked_mse)
    descent_losses = descent.fit(train.raw, targets, batch_size=len(targets), epochs=10,
                                 verbose=0).history["loss"]
    # LM takes only steps that lower the loss, and goes far lower than plain descent.
    assert lm_losses[0] < initial and (np.diff(lm_losses) <= 0).all()
    assert lm_losses[-1] < 0.2 * min(descent_losses[-1], initial)
    final = float(np.mean(masked_mse(targets, lm.network.predict(train.raw, verbose=0))))
    assert final == pytest.approx(lm_losses[-1], rel=1e-3)

    # A missing target is a zero residual and a zero Jacobian row: it adds nothing to J^T J,
    # J^T r or the loss.
    hidden = np.random.default_rng(1).random(len(targets)) < 0.3
    masked = targets.copy()
    masked[hidden] = np.nan
    present = (~hidden[:, None]).astype(np.float32)
    weights = tf.concat([tf.reshape(v, [-1]) for v in lm.network.trainable_variables], axis=0)
    arguments = (weights, tf.constant(train.raw), tf.constant(np.nan_to_num(masked)),
                 tf.constant(present))
    residuals = lm._residuals(*arguments).numpy()
    jacobian = lm._jacobian(*arguments).numpy()
    assert jacobian.shape == (len(targets), 1037)                # 126 * 8 + 8 + 8 * 2 + 2 + 3
    assert not residuals[hidden].any() and not jacobian[hidden].any()
    assert np.abs(jacobian[~hidden]).sum(axis=1).min() > 0
    with_gaps = LevenbergMarquardt(_lm_copy(start))
    with_gaps.compile(loss=masked_mse)
    gap_loss = with_gaps.fit(train.raw, masked, batch_size=len(masked), epochs=1,
                             verbose=0).history["loss"][0]
    kept = with_gaps.network.predict(train.raw[~hidden], verbose=0)
    assert gap_loss == pytest.approx(float(np.mean((kept - targets[~hidden]) ** 2)), rel=1e-4)


SLOW_TO_BUILD = ("lstm", "gru")
"""The two-layer RNNs: the costliest epoch here; Res-LSTM and Res-GRU cover the recurrent layers."""


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW_TO_BUILD else name
                                  for name in CONFIGURATIONS])
def test_every_model_trains_an_epoch_and_reloads_with_identical_predictions(name, delta_dir,
                                                                            tmp_path):
    windows = _windows(delta_dir, name="dsm2_base_1.csv", lead=1)
    train, test = random_split(windows, seed=0)
    trained = train_emulator(CONFIGURATIONS[name], train, test, run=RunDirectory(tmp_path), epochs=1,
                             batch_size=None if CONFIGURATIONS[name].optimizer == "lm" else 64)
    assert trained.network_epochs == [1] * (2 if CONFIGURATIONS[name].per_station else 1)
    predictions = trained.emulator.predict(test.raw, verbose=0)
    assert predictions.shape == test.targets.shape and np.isfinite(predictions).all()
    # Physical units: the emulator ends in the inverse of eq. (5.5) fitted on the train split.
    scaling = output_scaling(trained.emulator)
    np.testing.assert_allclose(scaling.minimum, np.nanmin(train.targets, axis=0), rtol=1e-6)
    path = tmp_path / "emulator.keras"
    trained.emulator.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(reloaded.predict(test.raw, verbose=0), predictions)
    signature = read_signature(reloaded)
    assert (signature.stations, signature.lead) == (("emm2", "jer"), 1)
    assert evaluate_emulator(reloaded, test).stations == evaluate_emulator(trained.emulator,
                                                                           test).stations


def test_cli_train_evaluate_and_sweep_write_the_documented_files(delta_dir, tmp_path, capsys):
    out = tmp_path / "mtl"
    historical = str(delta_dir / "dsm2_base_historical.csv")
    assert main(["train", "salinity", "--data", historical, "--model", "mtl", "--stations",
                 "emm2", "jer", "--epochs", "2", "--batch-size", "256", "--schedule", "plateau",
                 "--learning-rate", "0.002", "--tensorboard", "--out", str(out)]) == 0
    assert list((out / "logs" / "train").glob("events.out.tfevents.*"))  # --tensorboard
    recorded = json.loads((out / "config.json").read_text())["options"]
    assert (recorded["schedule"], recorded["learning_rate"], recorded["batch_size"]) == ("plateau", 0.002, 256)
    history = RunDirectory(out).read_history()
    assert [row["learning_rate"] for row in history] == pytest.approx([0.002] * 2)
    assert 0 < history[0]["seconds"] < history[1]["seconds"]                 # the time-to-NMSE column
    assert set(json.loads((out / "train_metrics.json").read_text())["stations"]) == {"emm2", "jer"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["stations"]) == {"emm2", "jer"}
    for values in metrics["stations"].values():
        assert {"nmse", "r2", "bias_pct", "rsr", "nse"} <= set(values)
        assert 0 < values["nmse"] < 0.1 and values["r2"] <= 1
    assert metrics["mean_nmse"] == pytest.approx(
        np.mean([values["nmse"] for values in metrics["stations"].values()]))
    assert metrics["train_seconds"] > 0 and metrics["inference_us_per_day"] > 0
    assert metrics["dropped_missing_input"] == 0 and metrics["epochs"] == 2
    assert metrics["train_samples"] + metrics["test_samples"] == 7852 - 117
    for name in ("model.keras", "history.csv", "config.json", "range_metrics.json",
                 "time_series.png", "exceedance.png", "range_heatmap.png", "station_boxes.png",
                 "training.png"):
        assert (out / name).is_file(), name

    scored = tmp_path / "scored"
    assert main(["evaluate", "salinity", "--model", str(out / "model.keras"), "--data",
                 str(delta_dir / "dsm2_base_1*.csv"), "--out", str(scored)]) == 0
    evaluated = json.loads((scored / "metrics.json").read_text())
    assert set(evaluated["stations"]) == {"emm2", "jer"} and evaluated["lead"] == 0
    assert evaluated["test_samples"] > 1000 and np.isfinite(evaluated["mean_nmse"])

    swept = tmp_path / "sweep"
    assert main(["sweep", "salinity", "--data", str(delta_dir / "dsm2_base_2.csv"), "--model",
                 "mlp", "--stations", "rsl", "--leads", "0", "3", "--epochs", "1",
                 "--out", str(swept)]) == 0
    assert (swept / "lead_time.png").is_file()
    assert (swept / "sweep.csv").read_text().count("\n") == 3
    assert json.loads((swept / "lead3" / "metrics.json").read_text())["lead"] == 3
    assert read_signature(keras.models.load_model(swept / "lead3" / "model.keras")).lead == 3
    printed = capsys.readouterr().out
    assert "sweep: run 1 of 2 (lead 0), 0 s elapsed" in printed
    assert re.search(r"sweep: run 2 of 2 \(lead 3\), \d+ s elapsed, about \d+ s left", printed)


@pytest.mark.parametrize("arguments, words", [
    (["--data", "no/such/file.csv"], "no/such/file.csv: file not found"),
    (["--stations", "emm2", "nowhere"], "column 'nowhere' (station)"),
    (["--inputs", "exports", "tide"], "column 'tide' (input)"),
    (["--epochs", "0"], "argument --epochs: must be 1 or more"),
    (["--split", "case", "--test-cases", "999"], "no case '999'"),
    (["--lead", "-1"], "lead time must be 0 or more"),
    (["--model", "stl-lm", "--schedule", "cosine"], "STL-LM trains with Levenberg-Marquardt on the whole "
                                                    "training set: it takes no schedule"),
    (["--model", "stl-lm", "--learning-rate", "0.1"], "it takes no rate"),
    (["--model", "mtl", "--filter-bank", "shared"], "3-MTL takes no filter bank option"),
    (["--learning-rate", "0"], "argument --learning-rate"),
])
def test_bad_training_input_is_one_line_and_exit_2(arguments, words, delta_dir, tmp_path,
                                                   capsys):
    command = ["train", "salinity", "--data", str(delta_dir / "dsm2_base_3.csv"),
               "--out", str(tmp_path / "run"), "--epochs", "1"]
    assert main(command + arguments) == 2
    error = capsys.readouterr().err.strip()
    assert words in error and "\n" not in error
    assert not (tmp_path / "run" / "model.keras").exists()


def test_evaluating_what_is_not_an_emulator_is_one_line_and_exit_2(delta_dir, tmp_path, capsys):
    data = ["--data", str(delta_dir / "dsm2_base_3.csv"), "--out", str(tmp_path / "out")]
    assert main(["evaluate", "salinity", "--model", str(tmp_path / "none.keras")] + data) == 2
    assert "no such file" in capsys.readouterr().err
    other = keras.Sequential([keras.Input((118, 7)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    other.save(tmp_path / "other.keras")
    assert main(["evaluate", "salinity", "--model", str(tmp_path / "other.keras")] + data) == 2
    assert "is not a salinity emulator" in capsys.readouterr().err
    (tmp_path / "broken.keras").write_text("not a zip")
    assert main(["evaluate", "salinity", "--model", str(tmp_path / "broken.keras")] + data) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --model: ") and "not a .keras model file" in error and "\n" not in error


def test_savedmodel_serves_raw_windows_in_physical_units(delta_dir, tmp_path):
    from export import export_savedmodel

    windows = _windows(delta_dir, name="dsm2_base_1.csv")
    train, test = random_split(windows, seed=0)
    trained = train_emulator(CONFIGURATIONS["mtl-conv-p"], train, test, run=RunDirectory(tmp_path / "run"),
                             epochs=1, batch_size=64)
    batch = test.raw[:64].astype(np.float32)
    trained.emulator.save(tmp_path / "emulator.keras")
    assert main(["export", "savedmodel", "--model", str(tmp_path / "emulator.keras"), "--out",
                 str(tmp_path / "served")]) == 0
    report = json.loads((tmp_path / "served.report.json").read_text())
    recorded = json.loads((tmp_path / "served" / "assets.extra" / "contract.json").read_text())
    assert recorded == report["contract"] and recorded["signature"] == "serve"
    assert recorded["inputs"] == list(windows.inputs) and recorded["stations"] == list(windows.stations)
    assert recorded["lead"] == 0 and recorded["window_days"] == 118 and "oldest first" in recorded["input"]
    report = export_savedmodel(trained.emulator, str(tmp_path / "served"), batch=batch, force=True)
    reloaded = tf.saved_model.load(str(tmp_path / "served"))
    served = reloaded.serve(tf.constant(batch)).numpy()
    expected = trained.emulator.predict(batch, verbose=0)
    assert np.nanmin(train.targets) > 50  # EC in uS/cm, not the [0.1, 0.9] scale
    np.testing.assert_allclose(served, expected, rtol=1e-5)
    assert report.parity["max_abs_diff"] <= 1e-5 * np.abs(expected).max()
