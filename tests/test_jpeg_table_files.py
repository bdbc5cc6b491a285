"""Exported tables: cjpeg -qtables text, JSON, C header and heatmap PNG."""
import json
import os
import re

import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg import (
    plot_qtables,
    read_cjpeg_qtables,
    read_qtables_json,
    standard_qtables,
    write_cjpeg_qtables,
    write_qtables_header,
    write_qtables_json,
)
from keras_taskadapt.jpeg.table_files import parse_cjpeg_qtables

TABLES = np.stack([standard_qtables(20)[0], standard_qtables(70)[1], standard_qtables(70)[0].T])


def test_cjpeg_text_round_trips(tmp_path):
    path = write_cjpeg_qtables(tmp_path / "q.txt", TABLES)
    text = path.read_text()
    assert text.count("\n") == 1 + 3 * 9
    first_row = next(line for line in text.splitlines() if not line.startswith("#"))
    assert first_row.split() == [str(v) for v in TABLES[0, 0]]
    np.testing.assert_array_equal(read_cjpeg_qtables(path), TABLES)


def test_cjpeg_text_parser_follows_cjpeg_rules():
    text = "# comment\n" + " ".join(map(str, TABLES.ravel()[:100])) + "  # tail comment\n" + "\n".join(map(str, TABLES.ravel()[100:]))
    np.testing.assert_array_equal(parse_cjpeg_qtables(text), TABLES)
    with pytest.raises(TaskAdaptError, match="192"):
        parse_cjpeg_qtables(" ".join(["8"] * 128))
    with pytest.raises(TaskAdaptError, match="integers"):
        parse_cjpeg_qtables("8 x 9")


def test_json_round_trips_with_metadata(tmp_path):
    path = write_qtables_json(tmp_path / "q.json", TABLES, clipped_entries=2, lam=0.001)
    document = json.loads(path.read_text())
    assert document["clipped_entries"] == 2 and document["components"] == ["Y", "Cb", "Cr"]
    np.testing.assert_array_equal(read_qtables_json(path), TABLES)
    (tmp_path / "other.json").write_text('{"tables": [1, 2]}')
    with pytest.raises(TaskAdaptError, match="not a JSON qtables file"):
        read_qtables_json(tmp_path / "other.json")
    with pytest.raises(TaskAdaptError, match="cannot read"):
        read_qtables_json(tmp_path / "missing.json")


def test_c_header_holds_the_tables(tmp_path):
    path = write_qtables_header(tmp_path / "q.h", TABLES, name="camera_tables")
    text = path.read_text()
    assert "static const unsigned int camera_tables[3][64]" in text
    assert "jpeg_add_quant_table(&cinfo, i, camera_tables[i], 100, TRUE)" in text
    body = text.split("camera_tables[3][64] = {", 1)[1].split("};", 1)[0]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    np.testing.assert_array_equal(np.array(re.findall(r"\d+", body), dtype=int).reshape(3, 8, 8), TABLES)
    with pytest.raises(TaskAdaptError, match="identifier"):
        write_qtables_header(tmp_path / "bad.h", TABLES, name="3tables")


def test_heatmap_png(tmp_path):
    path = plot_qtables(tmp_path / "q.png", TABLES, title="learned")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 2 * image.size[1]


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_cjpeg_qtables(tmp_path / "q.txt", TABLES)
    assert not list(tmp_path.iterdir())


def test_non_baseline_tables_are_refused(tmp_path):
    with pytest.raises(TaskAdaptError, match="1 to 255"):
        write_cjpeg_qtables(tmp_path / "q.txt", TABLES * 3)
    assert not list(tmp_path.iterdir())
