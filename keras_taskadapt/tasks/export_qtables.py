"""``export qtables``: a JCC model's learned tables for libjpeg, cjpeg and Pillow.

Writes, into one folder (staged, renamed when complete): ``qtables.txt`` (cjpeg ``-qtables``
text; use ``cjpeg -qtables qtables.txt -qslots 0,1,2 -sample 2x2``), ``qtables.json``,
``qtables.h`` (a C header for ``jpeg_add_quant_table``) and ``qtables.png`` (heatmap of the
three kernels, figure 2.11), plus ``<folder>.report.json``. Before the folder is moved into
place, a test image is encoded with the tables and the tables are read back from the file.
"""


from keras_taskadapt.tasks.registry import command


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="a .keras JCC model written by train jcc")
    parser.add_argument("--out", required=True, help="the folder to write the table files into")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out (only the files the export writes)")


def check_written_tables(folder, tables):
    """Encode a test image with the text file's tables; the file must carry them unchanged."""
    import io
    import os

    import numpy as np
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


@command("export", "qtables", "learned JPEG tables: cjpeg text, JSON, C header, heatmap", add_arguments)
def run(args):
    import os

    from export.artifact import ArtifactReport, artifact_size, staged_artifact
    from keras_taskadapt.jpeg import (
        clip_to_baseline,
        plot_qtables,
        write_cjpeg_qtables,
        write_qtables_header,
        write_qtables_json,
    )
    from keras_taskadapt.jpeg.jcc_config import load_jcc_model

    model = load_jcc_model(args.model)
    tables, clipped = clip_to_baseline(model.codec.quantization.qtables())
    with staged_artifact(args.out, force=args.force) as folder:
        os.makedirs(folder)
        write_cjpeg_qtables(os.path.join(folder, "qtables.txt"), tables)
        write_qtables_json(os.path.join(folder, "qtables.json"), tables, clipped_entries=clipped)
        write_qtables_header(os.path.join(folder, "qtables.h"), tables)
        plot_qtables(os.path.join(folder, "qtables.png"), tables, title=os.path.basename(args.model))
        check_written_tables(folder, tables)
        report = ArtifactReport(artifact=os.path.abspath(args.out), kind="jpeg-qtables",
                                size_bytes=artifact_size(folder), parity={"clipped_entries": int(clipped)})
    report.write()
    print(f"tables in {args.out} (cjpeg: -qtables {os.path.join(args.out, 'qtables.txt')} -qslots 0,1,2 "
          f"-sample 2x2); {clipped} entries clipped to 1..255")

