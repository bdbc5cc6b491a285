"""``export qtables``: a JCC model's learned tables for libjpeg, cjpeg and Pillow (:mod:`export.qtables`).

Writes, into one folder: ``qtables.txt`` (cjpeg ``-qtables`` text), ``qtables.json`` (with
Pillow's flat ``pillow_qtables``), ``qtables.h`` (``jpeg_add_quant_table``), ``qtables.png``
(figure 2.11) and ``qtables.report.json``.
"""

from keras_taskadapt.commands.options import add_export_options
from keras_taskadapt.commands.registry import command


def add_arguments(parser):
    add_export_options(parser, "a .keras JCC model written by train jcc", "the folder to write the table files into")


@command("export", "qtables", "learned JPEG tables: cjpeg text, JSON, C header, heatmap", add_arguments)
def run(options):
    import os

    from export.qtables import export_qtables
    from keras_taskadapt.jpeg.jcc_config import load_jcc_model

    model = load_jcc_model(options.model)
    report = export_qtables(model.codec.quantization.qtables(), options.out, title=os.path.basename(options.model),
                            force=options.force)
    print(f"tables in {options.out} (cjpeg: -qtables {os.path.join(options.out, 'qtables.txt')} -qslots 0,1,2 "
          f"-sample 2x2); {report.parity['clipped_entries']} entries clipped to 1..255")
