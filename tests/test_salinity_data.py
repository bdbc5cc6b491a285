"""Delta salinity data and metrics (seed 000 chapter 5) on the real DSM2 files."""
import csv
from datetime import date, timedelta

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.salinity import (
    DEFAULT_INPUTS,
    DEFAULT_STATIONS,
    MinMaxScaling,
    MinMaxUnscaling,
    case_split,
    chronological_split,
    make_windows,
    masked_mse,
    mse,
    nmse,
    nse,
    percent_bias,
    r2,
    random_split,
    range_metrics,
    read_salinity_csv,
    rsr,
    station_metrics,
)


def _csv_columns(path, names):
    """The file's columns ``names`` as float64 (days, len(names)), read with the csv module."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(row[name]) for name in names] for row in rows]), rows


def test_antecedent_features_equal_a_direct_computation(delta_dir):
    path = delta_dir / "dsm2_base_historical.csv"
    z, rows = _csv_columns(path, DEFAULT_INPUTS)
    ec, _ = _csv_columns(path, DEFAULT_STATIONS)
    lead = 5
    windows = make_windows(read_salinity_csv(path), lead=lead, raw=True)
    ends = range(117, len(z) - lead)
    assert len(windows) == len(ends) == 7852 - 117 - lead
    assert windows.features.shape == (len(ends), 7, 18)
    assert windows.raw.shape == (len(ends), 118, 7)
    expected = np.empty((len(ends), 7, 18))
    for k, n in enumerate(ends):
        for i in range(1, 9):                              # eq. (5.1)
            expected[k, :, i - 1] = z[n - i + 1]
        for i in range(1, 11):                             # eq. (5.2)
            block = [z[n - 11 * i - j + 4] for j in range(1, 12)]
            expected[k, :, i + 7] = sum(block) / 11
        assert windows.dates[k] == np.datetime64(rows[n]["datetime"])
    np.testing.assert_allclose(windows.features, expected, rtol=1e-6)
    # The 18th feature of the first window averages the file's first 11 days.
    np.testing.assert_allclose(windows.features[0, :, 17], z[:11].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(windows.raw[0], z[:118], rtol=1e-6)
    np.testing.assert_allclose(windows.raw[-1], z[-118 - lead:-lead], rtol=1e-6)
    # Section 5.4.1: the target is EC `lead` days after the window's last day.
    np.testing.assert_allclose(windows.targets, ec[117 + lead:], rtol=1e-6)
    assert windows.target_dates[0] == np.datetime64(rows[117 + lead]["datetime"])
    assert windows.dropped_missing_input == windows.dropped_missing_target == 0


def test_windows_never_cross_a_file_or_case_boundary(delta_dir, tmp_path):
    # Cases 2 and 3 cover the same dates; one file holding both restarts its dates mid-file.
    two_cases = tmp_path / "two_cases.csv"
    pd.concat([pd.read_csv(delta_dir / f"dsm2_base_{case}.csv") for case in (2, 3)]).to_csv(
        two_cases, index=False)
    data = read_salinity_csv([delta_dir / "dsm2_base_historical.csv",
                              str(delta_dir / "dsm2_base_1.csv"), two_cases])
    assert [(s.case, len(s.dates)) for s in data.series] == [
        ("historical", 7852), ("1", 396), ("2", 396), ("3", 396)]
    for lead in (0, 14):
        windows = make_windows(data, lead=lead, raw=True)
        assert len(windows) == sum(days - 117 - lead for days in (7852, 396, 396, 396))
        for series in data.series:
            mine = (windows.sources == series.source) & (windows.cases == series.case)
            ends = (windows.dates[mine] - series.dates[0]).astype(int)
            assert ends.min() == 117 and ends.max() == len(series.dates) - 1 - lead
            for k, n in zip(np.flatnonzero(mine), ends):
                np.testing.assert_array_equal(windows.raw[k],
                                              series.inputs[n - 117:n + 1].astype(np.float32))
                np.testing.assert_array_equal(windows.targets[k],
                                              series.targets[n + lead].astype(np.float32))


def _small_frame(days=130, start="2000-01-01"):
    """A CalSim-ANN style frame: every default input and station, values that tell rows apart."""
    frame = pd.DataFrame({"datetime": pd.date_range(start, periods=days).strftime("%Y-%m-%d"),
                          "model": "dsm2", "scene": "base", "case": 7})
    for c, column in enumerate(DEFAULT_INPUTS + DEFAULT_STATIONS):
        frame[column] = (np.arange(days) + 1000.0 * (c + 1)).astype(str)
    return frame


def test_missing_values_mask_targets_and_drop_windows(tmp_path):
    frame = _small_frame()
    frame.loc[120, "emm2"] = ""
    frame.loc[121, "jer"] = "NaN"
    frame.loc[122, "cll"] = "-2"
    frame.loc[126, list(DEFAULT_STATIONS)] = (["", "-2"] * 6)[:len(DEFAULT_STATIONS)]   # no target that day
    frame.loc[5, "northern_flow"] = ""                         # in the windows ending 117..122
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    (series,) = read_salinity_csv(path).series
    assert np.isnan(series.targets[[120, 121, 122], [0, 1, 2]]).all()
    assert np.isnan(series.targets[126]).all()
    assert np.isnan(series.targets).sum() == 3 + len(DEFAULT_STATIONS)
    assert np.isnan(series.inputs).sum() == 1
    windows = make_windows(read_salinity_csv(path))
    assert windows.dropped_missing_input == 6
    assert windows.dropped_missing_target == 1
    kept = (windows.dates - np.datetime64("2000-01-01")).astype(int)
    np.testing.assert_array_equal(kept, [123, 124, 125, 127, 128, 129])
    assert not np.isnan(windows.features).any()


def test_the_missing_value_sentinel_in_an_input_drops_the_windows_as_nan_does(tmp_path):
    windows = {}
    for name, missing in (("sentinel", "-2"), ("nan", "")):
        frame = _small_frame()
        frame.loc[5, "exports"] = missing  # in the windows ending 117..122
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        (series,) = read_salinity_csv(tmp_path / f"{name}.csv").series
        assert np.isnan(series.inputs[5, list(DEFAULT_INPUTS).index("exports")])
        windows[name] = make_windows(read_salinity_csv(tmp_path / f"{name}.csv"))
    assert windows["sentinel"].dropped_missing_input == windows["nan"].dropped_missing_input == 6
    np.testing.assert_array_equal(windows["sentinel"].dates, windows["nan"].dates)


def test_metrics_equal_hand_computed_values():
    # Station 1: O = 1, 2, 3, 4 and A = 1.5, 2, 2.5, 5, then a missing target.
    # O - A = -0.5, 0, 0.5, -1: SSE = 1.5, MSE = 0.375; mean O = 2.5, SST = 5;
    # sum (A - O) = 1, sum O = 10; deviations of A from 2.75 give sum dO dA = 5.5,
    # sum dA^2 = 7.25, so r^2 = 5.5^2 / (5 * 7.25) = 121 / 145.
    # Station 2: O = 2, 4, missing, missing, 6 and A = 3, 4, 0, 9, 5.
    y_true = np.array([[1, 2], [2, 4], [3, np.nan], [4, np.nan], [np.nan, 6]])
    y_pred = np.array([[1.5, 3], [2, 4], [2.5, 0], [5, 9], [1e6, 5]])
    assert mse(y_true, y_pred) == pytest.approx([0.375, 2 / 3])
    assert r2(y_true, y_pred) == pytest.approx([121 / 145, 1.0])   # A - 4 = (O - 4) / 2
    assert percent_bias(y_true, y_pred) == pytest.approx([10.0, 0.0])
    assert rsr(y_true, y_pred) == pytest.approx([np.sqrt(0.3), np.sqrt(2 / 8)])
    assert nse(y_true, y_pred) == pytest.approx([0.7, 0.75])
    assert mse(y_true[:, 0], y_pred[:, 0]) == pytest.approx(0.375)
    # Eq. (5.5) with min 0, max 8: scaled differences are 0.1 (O - A), so NMSE = 0.01 MSE.
    scaling = MinMaxScaling([0.0, 0.0], [8.0, 8.0])
    assert nmse(y_true, y_pred, scaling) == pytest.approx([0.00375, 0.02 / 3])
    table = station_metrics(y_true, y_pred, ["a", "b"], scaling)
    assert table["a"] == pytest.approx({"mse": 0.375, "r2": 121 / 145, "bias_pct": 10.0,
                                        "rsr": np.sqrt(0.3), "nse": 0.7, "nmse": 0.00375})


def test_metrics_per_salinity_range_are_hand_computed():
    # Targets 0..20: the 75% quantile is 15 and the 95% one 19, so the ranges (q_low, q_high]
    # hold 0..15, 16..19 and 20. Errors are 0, +2 and +3 in them.
    target = np.arange(0.0, 21.0)
    pred = target + np.where(target > 15, 2.0, 0.0) + np.where(target > 19, 1.0, 0.0)
    table = range_metrics(target, pred, ["s"])["s"]
    assert table["0-75"]["mse"] == 0.0 and table["0-75"]["nse"] == 1.0
    assert table["75-95"]["mse"] == pytest.approx(4.0)
    assert table["75-95"]["bias_pct"] == pytest.approx(100 * 8 / 70)       # 16+17+18+19 = 70
    assert table["75-95"]["nse"] == pytest.approx(1 - 16 / 5)              # SST of 16..19 = 5
    assert table["95-100"]["mse"] == pytest.approx(9.0)
    assert table["95-100"]["bias_pct"] == pytest.approx(15.0)
    assert np.isnan(table["95-100"]["nse"])                                # one sample


def test_masked_targets_contribute_nothing_to_metrics(delta_dir):
    windows = make_windows(read_salinity_csv(delta_dir / "dsm2_base_1.csv"))
    rng = np.random.default_rng(3)
    truth = windows.targets.astype(np.float64)
    pred = truth * rng.uniform(0.8, 1.2, truth.shape)
    masked = truth.copy()
    hidden = rng.random(truth.shape) < 0.3
    masked[hidden] = np.nan
    wild = np.where(hidden, 1e9, pred)                    # predictions at masked days are absurd
    scaling = MinMaxScaling.fit(truth)
    got = station_metrics(masked, wild, windows.stations, scaling)
    for s, station in enumerate(windows.stations):
        keep = ~hidden[:, s]
        alone = station_metrics(truth[keep, s], pred[keep, s], [station],
                                MinMaxScaling(scaling.minimum[s:s + 1],
                                              scaling.maximum[s:s + 1]))[station]
        assert got[station] == pytest.approx(alone, rel=1e-9)
        assert np.isfinite(list(got[station].values())).all()


def test_masked_mse_ignores_missing_targets_in_loss_and_gradient():
    y_true = tf.constant([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [2.0, 2.0, 2.0]])
    y_pred = tf.Variable([[2.0, 100.0, 1.0], [5.0, 5.0, 5.0], [2.0, 2.0, 3.0]])
    with tf.GradientTape() as tape:
        loss = masked_mse(y_true, y_pred)
        total = tf.reduce_sum(loss)
    # (1 + 4) / 2, nothing, (0 + 0 + 1) / 3
    np.testing.assert_allclose(loss.numpy(), [2.5, 0.0, 1 / 3], rtol=1e-6)
    gradient = tape.gradient(total, y_pred).numpy()
    np.testing.assert_allclose(gradient, [[1.0, 0.0, -2.0], [0.0, 0.0, 0.0],
                                          [0.0, 0.0, 2 / 3]], rtol=1e-6)
    full = np.array([[1.0, 0.5, 3.0], [2.0, 2.0, 2.0]], dtype=np.float32)
    guess = full + np.float32(0.25) * np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(masked_mse(full, guess),
                               keras.losses.mean_squared_error(full, guess), rtol=1e-6)


def test_masked_mse_trains_through_missing_targets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = rng.normal(size=(32, 3)).astype(np.float32)
    y[::3, 1] = np.nan
    y[5] = np.nan
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=masked_mse)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_scaling_is_fitted_on_train_only_and_round_trips(delta_dir):
    windows = make_windows(read_salinity_csv(delta_dir / "dsm2_base_historical.csv"), raw=True)
    train, test = random_split(windows, seed=1)
    # Raw 118-day windows: one range per input over all samples and days.
    per_input = MinMaxScaling.fit(train.raw, axis=(0, 1))
    assert per_input.minimum.shape == (1, 7)
    np.testing.assert_array_equal(per_input.maximum[0], train.raw.max(axis=(0, 1)))
    assert keras.ops.convert_to_numpy(per_input(train.raw)).max(axis=(0, 1)) == pytest.approx(
        [0.9] * 7, abs=1e-6)
    features = MinMaxScaling.fit(train.features)
    lo, hi = train.features.min(axis=0), train.features.max(axis=0)
    np.testing.assert_array_equal(features.minimum, lo)
    np.testing.assert_array_equal(features.maximum, hi)
    scaled_train = keras.ops.convert_to_numpy(features(train.features))
    np.testing.assert_allclose(scaled_train.min(axis=0), 0.1, atol=1e-6)
    np.testing.assert_allclose(scaled_train.max(axis=0), 0.9, atol=1e-6)
    scaled_test = keras.ops.convert_to_numpy(features(test.features))
    np.testing.assert_allclose(scaled_test, (test.features - lo) / (hi - lo) * 0.8 + 0.1,
                               rtol=1e-5, atol=1e-6)
    # The test split reaches outside the training range somewhere, so the two fits differ.
    assert (scaled_test < 0.1).any() or (scaled_test > 0.9).any()
    everything = MinMaxScaling.fit(windows.features)
    assert not (np.array_equal(everything.minimum, lo) and np.array_equal(everything.maximum, hi))

    targets = test.targets.copy()
    targets[::4, 2] = np.nan
    station = MinMaxScaling.fit(train.targets)
    scaled = station(targets)
    back = keras.ops.convert_to_numpy(station.inverse()(scaled))
    np.testing.assert_array_equal(np.isnan(back), np.isnan(targets))
    np.testing.assert_allclose(back, targets, rtol=1e-5)
    # A constant training feature maps to 0.1 instead of dividing by zero.
    constant = MinMaxScaling.fit(np.array([[3.0, 5.0], [3.0, 7.0]]))
    np.testing.assert_allclose(constant(np.array([[3.0, 6.0]])), [[0.1, 0.5]], rtol=1e-6)


def test_scaling_layers_save_inside_a_model(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(100, 900, size=(16, 7, 18)).astype(np.float32)
    y = rng.uniform(200, 9000, size=(16, 12)).astype(np.float32)
    inputs = keras.Input((7, 18))
    hidden = keras.layers.Flatten()(MinMaxScaling.fit(x)(inputs))
    scaled = keras.layers.Dense(12, activation="sigmoid")(hidden)
    model = keras.Model(inputs, MinMaxUnscaling.fit(y)(scaled))
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    prediction = model.predict(x, verbose=0)
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), prediction)
    # Raw inputs in, EC out: the last layer undoes eq. (5.5) with the fitted station ranges.
    inner = keras.Model(inputs, scaled).predict(x, verbose=0)
    lo, hi = y.min(axis=0), y.max(axis=0)
    np.testing.assert_allclose(prediction, (inner - 0.1) / 0.8 * (hi - lo) + lo, rtol=1e-5)


def test_splits_random_chronological_and_by_case(delta_dir):
    data = read_salinity_csv([delta_dir / "dsm2_base_historical.csv",
                              str(delta_dir / "dsm2_base_[12].csv")])
    windows = make_windows(data)
    train, test = random_split(windows, seed=4)
    assert len(test) == round(0.2 * len(windows)) and len(train) + len(test) == len(windows)
    again, _ = random_split(windows, seed=4)
    other, _ = random_split(windows, seed=5)
    np.testing.assert_array_equal(again.features, train.features)
    assert not np.array_equal(other.dates, train.dates)
    pairs = {(c, d) for c, d in zip(train.cases, train.dates)}
    assert not pairs & {(c, d) for c, d in zip(test.cases, test.dates)}

    train, test = chronological_split(windows, 0.2)
    # The 118-day gap: no training window or target shares a day with a test window.
    first_test_window_day = test.dates.min() - np.timedelta64(117, "D")
    assert train.target_dates.max() < first_test_window_day
    assert abs(len(test) - 0.2 * len(windows)) < 0.01 * len(windows)
    gap = ((windows.target_dates < test.target_dates.min())
           & (windows.target_dates >= test.target_dates.min() - np.timedelta64(118, "D")))
    assert len(train) + len(test) + gap.sum() == len(windows) and gap.sum() > 0
    train, test = chronological_split(make_windows(data, lead=7), 0.2)
    assert (test.target_dates.min() - train.target_dates.max()).astype(int) > 118 + 7

    train, test = case_split(windows, ["historical"])
    assert set(test.cases) == {"historical"} and set(train.cases) == {"1", "2"}
    train, test = case_split(windows, [2], train_cases=[1])
    assert set(test.cases) == {"2"} and set(train.cases) == {"1"}
    with pytest.raises(TaskAdaptError, match="no case '9'"):
        case_split(windows, [9])


def _bad_csv(tmp_path, edit):
    frame = _small_frame(days=6)
    edit(frame)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


def _swap_rows(frame):
    frame.loc[[2, 3], "datetime"] = frame.loc[[3, 2], "datetime"].to_numpy()


def _drop_a_day(frame):
    frame.drop(index=3, inplace=True)


def _hourly(frame):
    frame["datetime"] = pd.date_range("2000-01-01", periods=len(frame), freq="h").strftime(
        "%Y-%m-%d %H:%M")


def _garbled_date(frame):
    frame.loc[4, "datetime"] = "someday"


def _text_value(frame):
    frame.loc[4, "dcc"] = "open"


def _no_station(frame):
    frame.drop(columns="mrz", inplace=True)


@pytest.mark.parametrize("edit, column, words", [
    (_swap_rows, "datetime", "not sorted"),
    (_drop_a_day, "datetime", "not daily"),
    (_hourly, "datetime", "not daily"),
    (_garbled_date, "datetime", "not a date"),
    (_text_value, "dcc", "not a number"),
    (_no_station, "mrz", "not in the file"),
])
def test_bad_files_raise_one_line_user_errors(tmp_path, edit, column, words):
    path = _bad_csv(tmp_path, edit)
    with pytest.raises(TaskAdaptError) as caught:
        read_salinity_csv(path)
    message = str(caught.value)
    assert str(path) in message and f"'{column}'" in message and words in message
    assert "\n" not in message


def test_unknown_column_and_missing_file_name_the_culprit(tmp_path):
    path = _bad_csv(tmp_path, lambda frame: None)
    with pytest.raises(TaskAdaptError, match=r"bad\.csv: column 'sac_ec' \(input\) is not in"):
        read_salinity_csv(path, inputs=("northern_flow", "sac_ec"))
    with pytest.raises(TaskAdaptError, match=r"bad\.csv: column 'xyz' \(station\) is not in"):
        read_salinity_csv(path, stations=["emm2", "xyz"])
    missing = tmp_path / "absent.csv"
    with pytest.raises(TaskAdaptError, match=r"absent\.csv: file not found"):
        read_salinity_csv([path, missing])
    with pytest.raises(TaskAdaptError, match=r"nothing_\*\.csv: no file matches"):
        read_salinity_csv(str(tmp_path / "nothing_*.csv"))
    (series,) = read_salinity_csv(path, inputs=["sjr_flow"], stations=["emm2"]).series
    assert series.inputs.shape == (6, 1) and series.case == "7"
    assert date.fromisoformat(str(series.dates[-1])) == date(2000, 1, 1) + timedelta(days=5)
