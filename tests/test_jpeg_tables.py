"""Standard tables (Annex K + libjpeg quality scaling) against what Pillow/libjpeg writes."""
import io

import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg import clip_to_baseline, standard_qtables
from keras_taskadapt.jpeg.tables import CHROMINANCE_TABLE, LUMINANCE_TABLE


@pytest.mark.parametrize("quality", [1, 10, 25, 50, 75, 90, 100])
def test_standard_tables_equal_pillow(quality):
    image = np.random.default_rng(quality).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    written = Image.open(io.BytesIO(buffer.getvalue())).quantization
    tables = standard_qtables(quality)
    assert tables.shape == (3, 8, 8)
    np.testing.assert_array_equal(tables[0], np.reshape(written[0], (8, 8)))
    np.testing.assert_array_equal(tables[1], np.reshape(written[1], (8, 8)))
    np.testing.assert_array_equal(tables[2], np.reshape(written[1], (8, 8)))


def test_quality_50_is_annex_k_in_natural_order():
    tables = standard_qtables(50)
    np.testing.assert_array_equal(tables[0], LUMINANCE_TABLE)
    np.testing.assert_array_equal(tables[1], CHROMINANCE_TABLE)
    assert tables[0, 0].tolist() == [16, 11, 10, 16, 24, 40, 51, 61]


@pytest.mark.parametrize("quality", [0, 101, 50.0, True, "50"])
def test_bad_quality_is_a_user_error(quality):
    with pytest.raises(TaskAdaptError, match="quality"):
        standard_qtables(quality)


def test_clip_to_baseline_rounds_and_counts():
    tables = np.full((3, 8, 8), 10.4)
    tables[0, 0, 0] = 0.2  # rounds to 0: clipped up to 1
    tables[1, 7, 7] = 300.0  # clipped down to 255
    tables[2, 3, 4] = np.inf  # a discarded coefficient: clipped to 255
    tables[2, 0, 1] = 255.4  # rounds to 255: not clipped
    tables[2, 0, 2] = 0.6  # rounds to 1: not clipped
    clipped_tables, clipped = clip_to_baseline(tables)
    assert clipped == 3
    assert clipped_tables.dtype == np.int64
    assert clipped_tables[0, 0, 0] == 1 and clipped_tables[1, 7, 7] == 255 and clipped_tables[2, 3, 4] == 255
    assert clipped_tables[2, 0, 1] == 255 and clipped_tables[2, 0, 2] == 1 and clipped_tables[0, 1, 1] == 10


@pytest.mark.parametrize("tables", [np.ones((2, 8, 8)), np.ones((3, 64)), -np.ones((3, 8, 8)), np.zeros((3, 8, 8))])
def test_bad_tables_are_user_errors(tables):
    with pytest.raises(TaskAdaptError):
        clip_to_baseline(tables)
