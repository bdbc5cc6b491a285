"""Learned JPEG tables as files for libjpeg, cjpeg and Pillow (seed 000 sections 2.3.6, 2.4.4).

:func:`export_qtables` writes one folder (staged, moved into place when complete):
``qtables.txt`` (cjpeg ``-qtables`` text; ``cjpeg -qtables qtables.txt -qslots 0,1,2 -sample 2x2``),
``qtables.json`` (8x8 grids and Pillow's flat 64-value lists), ``qtables.h`` (a C header for
``jpeg_add_quant_table``), ``qtables.png`` (heatmap of the three kernels, figure 2.11) and
``qtables.report.json``. Before the folder is moved into place, the text and JSON files are
read back, and a test image is encoded with the tables and its file must carry them.
"""

import io
import os

import numpy as np

from export.artifact import ArtifactReport, artifact_size, staged_artifact

#: What the table files hold and how to use them (the report's ``contract``).
CONTRACT = {
    "tables": "three baseline tables (integers 1..255) for components 0 (Y), 1 (Cb), 2 (Cr), natural row-major",
    "cjpeg": "cjpeg -qtables qtables.txt -qslots 0,1,2 -sample 2x2 -optimize in.ppm > out.jpg "
             "(no -quality: it rescales the tables)",
    "pillow": "Image.save(path, qtables=json['pillow_qtables'], subsampling='4:2:0', optimize=True)",
    "libjpeg": "qtables.h: jpeg_add_quant_table(&cinfo, i, jcc_qtables[i], 100, TRUE) for i = 0, 1, 2",
}


def check_written_tables(folder, tables):
    """The text and JSON files must read back as ``tables``, and a JPEG file written with them
    must carry them unchanged."""
    from PIL import Image

    from keras_taskadapt.jpeg import encode_jpeg, read_cjpeg_qtables, read_qtables_json

    for reread in (read_cjpeg_qtables(os.path.join(folder, "qtables.txt")),
                   read_qtables_json(os.path.join(folder, "qtables.json"))):
        if not np.array_equal(reread, tables):
            raise RuntimeError("the written tables do not read back as the learned ones")
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    carried = Image.open(io.BytesIO(encode_jpeg(image, tables))).quantization
    if not all(np.array_equal(np.reshape(carried[i], (8, 8)), tables[i]) for i in range(3)):
        raise RuntimeError("a JPEG file written with the tables does not carry them")


def export_qtables(learned_tables, folder, *, title=None, force=False):
    """The table files of ``learned_tables`` (the codec's, rounded and clipped to 1..255 here)
    in ``folder`` (module docstring); returns the report."""
    from keras_taskadapt.jpeg import (
        clip_to_baseline,
        plot_qtables,
        write_cjpeg_qtables,
        write_qtables_header,
        write_qtables_json,
    )

    tables, clipped = clip_to_baseline(learned_tables)
    final = os.path.abspath(folder)
    with staged_artifact(final, force=force) as staging:
        os.makedirs(staging)
        write_cjpeg_qtables(os.path.join(staging, "qtables.txt"), tables)
        write_qtables_json(os.path.join(staging, "qtables.json"), tables, clipped_entries=clipped)
        write_qtables_header(os.path.join(staging, "qtables.h"), tables)
        plot_qtables(os.path.join(staging, "qtables.png"), tables, title=title)
        check_written_tables(staging, tables)
        report = ArtifactReport(artifact=final, kind="jpeg-qtables", size_bytes=artifact_size(staging),
                                parity={"clipped_entries": int(clipped)}, contract=CONTRACT)
        report.write(os.path.join(staging, "qtables.report.json"))
    return report
