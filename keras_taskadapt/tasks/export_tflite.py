"""``export tflite``: a trained ``.keras`` model as a ``.tflite`` file, run with LiteRT (:mod:`export.tflite`).

``--mode float`` (float32), ``dynamic`` (int8 weights) or ``int8`` (full integer, calibrated
on ``--representative-batches`` batches of the training split of ``--dataset``). With
``--dataset`` the parity figures come from the first test batch of real images, else from
random pixels. Writes ``<out>`` and ``<out>.report.json`` (``size_bytes``,
``latency_ms_per_input`` on one thread, ``parity``: ``max_abs_diff``, and
``identical_fraction`` for integer-valued outputs; ``contract``: the signature's tensors).
"""

from keras_taskadapt.commands.options import add_artifact_options, count, data_arguments
from keras_taskadapt.commands.registry import command


def add_arguments(parser):
    from export.tflite import MODES

    add_artifact_options(parser, "a .keras model written by train")
    parser.add_argument("--mode", choices=MODES.names(), default="float", help=f"{MODES.describe()} (default: float)")
    parser.add_argument("--representative-batches", type=count, default=8,
                        help="training batches of --dataset that calibrate int8 (default: 8)")


@command("export", "tflite", "TFLite float32, dynamic-range or int8, checked with LiteRT", add_arguments)
def run(options):
    import keras

    from export.tflite import export_tflite, representative_data
    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.data import open_image_data

    model = load_model(options.model, keras.Model)
    representative = batch = None
    arguments = data_arguments(options, model=options.model, required=options.mode == "int8")
    if arguments is not None:
        data = open_image_data(**arguments, batch_size=options.batch_size)
        batch, _ = data.first_examples("test", options.batch_size)
        representative = representative_data(data.train, options.representative_batches)
    report = export_tflite(model, options.out, mode=options.mode, representative=representative, batch=batch,
                           force=options.force)
    print(report.summary_line(f"TFLite ({options.mode})"))
