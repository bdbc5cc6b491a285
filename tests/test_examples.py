"""The examples/ scripts run as a practitioner runs them, in their ``--smoke`` mode (issue 16).

Each runs in this process (``runpy``, its own ``sys.argv``), to spare a TensorFlow start-up
per script; the camera's device script runs in a fresh interpreter, which must not import
TensorFlow, Keras, constriction or the package.
"""

import ast
import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(script, *argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / script), *argv])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")


@pytest.mark.slow  # 30 s: the default run stays under 15 minutes (`pytest -m slow` runs it)
def test_jcc_example_writes_files_with_the_learned_tables(tmp_path, monkeypatch, capsys):
    """The mission's headline command (``train jcc --dataset tiny_imagenet``), its tables
    exported and used by Pillow and cjpeg."""
    shared_path("images", "tiny-imagenet-200-subset20")
    run_example("jcc_tiny_imagenet.py", "--smoke", "--out", str(tmp_path), monkeypatch=monkeypatch)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["images"] == 64 and metrics["dataset"] == "tiny_imagenet"
    assert metrics["bpp"] == pytest.approx(metrics["kb_per_image"] * 1024 * 8 / 32**2)  # the smoke's 32x32
    printed = capsys.readouterr().out
    assert "Pillow:" in printed and "cjpeg:" in printed
    assert (tmp_path / "photo_learned.jpg").stat().st_size > 0 and (tmp_path / "tables" / "qtables.txt").is_file()


@pytest.mark.slow  # 30 s: the default run stays under 15 minutes
def test_camera_example_frames_to_streams_to_classes(tmp_path, monkeypatch, capsys):
    run_example("camera_sensor/train_and_export.py", "--smoke", "--frames", "16", "--out", str(tmp_path),
                monkeypatch=monkeypatch)
    deployment = tmp_path / "deployment"
    assert {"sensor.tflite", "entropy_coder.npz", "stream_writer.py", "server"} <= {p.name for p in deployment.iterdir()}
    device = subprocess.run([sys.executable, "-c", (
        "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__');"
        "assert not {'tensorflow', 'keras', 'constriction', 'keras_taskadapt'} & set(sys.modules), sorted(sys.modules)"),
        str(EXAMPLES / "camera_sensor" / "device_encode.py"), "--deployment", str(deployment),
        "--frames", str(tmp_path / "frames.npy"), "--out", str(tmp_path / "streams")],
        capture_output=True, text=True)
    assert device.returncode == 0, device.stderr[-2000:]
    assert len(list((tmp_path / "streams").glob("*.bin"))) == 16
    run_example("camera_sensor/server_decode.py", "--deployment", str(deployment), "--streams",
                str(tmp_path / "streams"), "--labels", str(tmp_path / "labels.npy"), monkeypatch=monkeypatch)
    assert "16 frames decoded" in capsys.readouterr().out


def test_the_device_script_imports_litert_and_numpy_only():
    tree = ast.parse((EXAMPLES / "camera_sensor" / "device_encode.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported - set(sys.stdlib_module_names) == {"numpy", "ai_edge_litert", "stream_writer"}


def test_salinity_example_serves_the_savedmodel_on_new_inputs(tmp_path, monkeypatch):
    shared_path("delta", "casanntra-dsm2")
    run_example("salinity_emulator.py", "--smoke", "--out", str(tmp_path), monkeypatch=monkeypatch)
    emulated = np.genfromtxt(tmp_path / "emulated_ec.csv", delimiter=",", names=True, dtype=None, encoding=None)
    assert len(emulated) == 279 and np.isfinite(emulated["emm2"]).all()


@pytest.mark.slow  # 30 s: the default run stays under 15 minutes (`pytest -m slow` runs it)
def test_layers_example_trains_the_codec_and_the_rate_loss(monkeypatch, capsys):
    shared_path("images", "cifar10-jpeg-q75")
    run_example("layers_in_your_model.py", "--smoke", monkeypatch=monkeypatch)
    printed = capsys.readouterr().out
    assert "coding rates of the embedding" in printed and "quantization tables moved" in printed


@pytest.mark.parametrize("script", sorted(str(path.relative_to(EXAMPLES)) for path in EXAMPLES.rglob("*.py")))
def test_every_example_is_in_the_examples_readme(script):
    assert f"`{script}`" in (EXAMPLES / "README.md").read_text()
