"""Shared fixtures: the real data beside the project, a quiet TensorFlow, and deterministic kernels.

TensorFlow's deterministic kernels are switched on once for the whole session: a test that
trains then computes the same numbers whether it runs alone, in its module or after a test
that asks for ``--deterministic-ops`` (which switches them on for the process), so its
outcome does not depend on the order tests run in. Data order and initialisation are seeded
by each test.
"""
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config):
    from keras_taskadapt.cli import import_tensorflow_quietly

    import_tensorflow_quietly()  # without TensorFlow's start-up lines, as the command line
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


@pytest.fixture(autouse=True)
def seeded_random_state():
    """Every test starts from the same Python, NumPy and TensorFlow seeds, whichever tests ran
    before it (deterministic ops refuse random ops without a seed)."""
    import keras

    keras.utils.set_random_seed(0)

def one_line_error(capsys, command):
    """The error line of a CLI ``command`` that must fail with exit status 2 on one line."""
    from keras_taskadapt.cli import main

    capsys.readouterr()
    assert main(command) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    return message


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts):
    """Path under ../shared/data; the test skips with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data is absent here ({path} not found)")
    return path


@pytest.fixture
def cifar10_tfrecords():
    return str(shared_path("images", "cifar10-jpeg-q75") / "*.tfrecord")


@pytest.fixture
def tiny_imagenet_dir():
    return shared_path("images", "tiny-imagenet-200-subset20")


@pytest.fixture
def kodak_dir():
    return shared_path("images", "kodak")


@pytest.fixture
def delta_dir():
    return shared_path("delta", "casanntra-dsm2")


@pytest.fixture(scope="session")
def classifier_run(tmp_path_factory):
    """The offline data set's classifier (``train classify``, ResNet-8) trained for one epoch
    through the CLI, shared by every module that needs a trained run folder."""
    from keras_taskadapt.cli import main

    out = tmp_path_factory.mktemp("classifier_run")
    assert main(["train", "classify", "--out", str(out), "--epochs", "1", "--seed", "1", "--depth", "8"]) == 0
    return out


@pytest.fixture(scope="session")
def jcc_main_job(tmp_path_factory):
    """The main job, ``train jcc`` with every default (the offline data set): ``(folder, metrics)``."""
    import json

    from keras_taskadapt.cli import main

    out = tmp_path_factory.mktemp("jcc_main_job")
    assert main(["train", "jcc", "--out", str(out)]) == 0
    return out, json.loads((out / "metrics.json").read_text())
