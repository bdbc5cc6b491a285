"""Shared fixtures: the real data beside the project and a quiet TensorFlow."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
