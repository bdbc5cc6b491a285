"""Field observations in DWR's workbook layout (seed 000, section 5.4): reading, the
chronological split, training and evaluating on another workbook, and bad workbooks."""
import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from keras_taskadapt.cli import main
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.salinity.antecedent import make_windows
from keras_taskadapt.salinity.reading import read_salinity_data
from keras_taskadapt.salinity.workbook_reader import default_stations, read_salinity_workbook

INPUTS = ("flow", "dxc_gate_fraction")


def _write_workbook(path, days=400, outputs_from=150, drop_sheet=None, undated_sheet=None, unobserved_until=None):
    """A small workbook in DWR's layout: daily ``flow``, an irregular gate series, and
    ``outputs`` with stations ``A`` (always observed but for -2 days), ``B`` (observed on a
    quarter of the days) and ``C`` (observed only from ``unobserved_until``, when given)."""
    dates = pd.date_range("2001-01-01", periods=days, freq="D")
    rng = np.random.default_rng(0)
    sheets = {
        "flow": pd.DataFrame({"date": dates, "value": 1000 + rng.random(days) * 500}),
        "dxc_gate_fraction": pd.DataFrame({"date": pd.to_datetime(["2000-06-01", "2001-03-10", "2001-09-01"]),
                              "/HIST+GATE/POS/": [1.0, 0.0, 0.5]}),
    }
    out_dates = dates[outputs_from:]
    observed = {"A": 200 + rng.random(len(out_dates)) * 100, "B": np.full(len(out_dates), -2.0),
                "C": 300 + rng.random(len(out_dates)) * 100}
    observed["A"][[3, 7]] = -2.0
    observed["B"][::4] = 250.0
    if unobserved_until is not None:
        observed["C"][out_dates < pd.Timestamp(unobserved_until)] = -2.0
    sheets["outputs"] = pd.DataFrame({"Time": out_dates, **observed})
    if undated_sheet:
        undated = sheets[undated_sheet]
        sheets[undated_sheet] = undated.assign(date=[f"day {k}" for k in range(len(undated))])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            if name != drop_sheet:
                frame.to_excel(writer, sheet_name=name, index=False)
    return sheets


def test_workbook_reads_as_one_daily_series_with_held_gate_and_missing_days(tmp_path):
    sheets = _write_workbook(tmp_path / "obs.xlsx")
    data = read_salinity_workbook(tmp_path / "obs.xlsx", inputs=INPUTS)
    assert data.observed and data.inputs == INPUTS
    assert data.stations == ("A", "C")                       # B is observed on 25% < 45% of days
    (series,) = data.series
    first_output = sheets["outputs"]["Time"].iloc[0]
    # The series starts 117 days before the first observed day, so that day has its window.
    assert series.dates[0] == np.datetime64((first_output - pd.Timedelta(days=117)).date())
    assert series.dates[-1] == np.datetime64(sheets["outputs"]["Time"].iloc[-1].date())
    assert (np.diff(series.dates).astype(int) == 1).all()
    flow = sheets["flow"].set_index("date")["value"]
    np.testing.assert_allclose(series.inputs[:, 0], flow.reindex(pd.DatetimeIndex(series.dates)).to_numpy())
    # The gate holds each value until the next change.
    gate = pd.Series(series.inputs[:, 1], index=pd.DatetimeIndex(series.dates))
    assert gate[:"2001-03-09"].eq(1.0).all() and gate["2001-03-10":"2001-08-31"].eq(0.0).all()
    assert gate["2001-09-01":].eq(0.5).all()
    # -2 is missing; days before the outputs sheet have no target.
    assert np.isnan(series.targets[:117]).all()
    a = series.targets[117:, 0]
    assert np.isnan(a[[3, 7]]).all() and np.isfinite(np.delete(a, [3, 7])).all()
    windows = make_windows(data)
    assert len(windows) == len(sheets["outputs"]) and windows.dropped_missing_input == 0
    chosen = read_salinity_data(str(tmp_path / "obs.xlsx"), INPUTS, ["B"])
    assert chosen.stations == ("B",) and np.isfinite(chosen.series[0].targets[117::4, 0]).all()


@pytest.mark.parametrize("edit, words", [
    ({"drop_sheet": "dxc_gate_fraction"}, "no sheet 'dxc_gate_fraction' (input); its sheets are flow, outputs"),
    ({"drop_sheet": "outputs"}, "no sheet 'outputs' (observed EC)"),
    ({"undated_sheet": "flow"}, "sheet 'flow': its first column ('date') holds no dates (row 2 holds 'day 0')"),
    ({"unobserved_until": "2030-01-01"}, "station 'C' has no observation in the training split"),
])
def test_bad_workbooks_are_one_line_and_exit_2(edit, words, tmp_path, capsys):
    _write_workbook(tmp_path / "obs.xlsx", **edit)
    command = ["train", "salinity", "--data", str(tmp_path / "obs.xlsx"), "--inputs", *INPUTS,
               "--stations", "A", "C", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path / "run")]
    assert main(command) == 2
    error = capsys.readouterr().err.strip()
    assert words in error and "\n" not in error and error.startswith("error: ")
    assert not (tmp_path / "run" / "model.keras").exists()


def test_a_workbook_is_read_alone_and_names_a_missing_station(tmp_path):
    _write_workbook(tmp_path / "obs.xlsx")
    with pytest.raises(TaskAdaptError, match="a workbook is read on its own"):
        read_salinity_data([str(tmp_path / "obs.xlsx"), "other.csv"])
    with pytest.raises(TaskAdaptError, match="sheet 'outputs' has no station column 'Z'"):
        read_salinity_workbook(tmp_path / "obs.xlsx", INPUTS, ["A", "Z"])


STATIONS = ("RSAC075", "RSAN018", "CHSWP003", "OLD_MID")


def _cut(sheets, path, first_input, first_output, last_output):
    """DWR's workbook ``sheets`` cut to the inputs from ``first_input`` and the observations
    from ``first_output`` to ``last_output``: a workbook of the same layout for other years."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            dates = pd.to_datetime(frame.iloc[:, 0])
            if name == "outputs":
                kept = frame[(dates >= pd.Timestamp(first_output)) & (dates <= pd.Timestamp(last_output))]
            elif name == "dxc_gate_fraction":   # kept whole: its last change before the cut still holds
                kept = frame
            else:
                kept = frame[(dates >= pd.Timestamp(first_input)) & (dates <= pd.Timestamp(last_output))]
            kept.to_excel(writer, sheet_name=name, index=False)


@pytest.fixture(scope="module")
def observed_years(tmp_path_factory):
    """DWR's workbook read once: its outputs sheet, and two workbooks cut from it, 2008-2012
    and 2015-2016 (the later one for `evaluate`)."""
    source = shared_path("delta", "observed", "dsm2_ann_inputs_observed_to2016.xlsx")
    sheets = pd.read_excel(source, sheet_name=None)
    folder = tmp_path_factory.mktemp("observed")
    _cut(sheets, folder / "early.xlsx", "2007-06-01", "2008-01-01", "2012-12-31")
    _cut(sheets, folder / "later.xlsx", "2014-06-01", "2015-01-01", "2016-12-31")
    return sheets["outputs"].set_index("Time"), folder / "early.xlsx", folder / "later.xlsx"


def test_observed_workbook_trains_chronologically_and_scores_another_workbook(observed_years, tmp_path, capsys):
    outputs, early, later = observed_years
    assert len(default_stations(outputs)) == 23 and not {"SSS", "SLDUT007"} & set(default_stations(outputs))
    out = tmp_path / "mlp"
    assert main(["train", "salinity", "--data", str(early), "--stations", *STATIONS, "--model", "mlp",
                 "--epochs", "1", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert metrics["split"] == config["options"]["split"] == "chronological"
    assert set(metrics["stations"]) == set(STATIONS) and metrics["dropped_missing_input"] == 0
    assert {"median_r2", "median_bias_pct", "median_rsr", "median_nse"} <= set(metrics)
    assert np.isfinite([values["nse"] for values in metrics["stations"].values()]).all()
    # 2008-2012 is 1,827 days; the gap of 118 days between training and test targets is left out.
    assert metrics["train_samples"] + metrics["test_samples"] == 1827 - 118

    scored = tmp_path / "scored"
    assert main(["evaluate", "salinity", "--model", str(out / "model.keras"), "--data", str(later),
                 "--out", str(scored)]) == 0
    evaluated = json.loads((scored / "metrics.json").read_text())
    assert set(evaluated["stations"]) == set(STATIONS)
    assert evaluated["test_samples"] == 365 + 366 and np.isfinite(evaluated["median_nse"])
    for key in ("r2", "bias_pct", "rsr", "nse"):
        assert evaluated[f"median_{key}"] == pytest.approx(
            np.nanmedian([values[key] for values in evaluated["stations"].values()]))
    assert "median NSE" in capsys.readouterr().out
