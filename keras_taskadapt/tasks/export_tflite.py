"""``export tflite``: a trained ``.keras`` model as a ``.tflite`` file, run with LiteRT.

``--mode float`` (float32), ``dynamic`` (int8 weights) or ``int8`` (full integer, calibrated
on ``--representative-batches`` batches of the training split of ``--dataset``). With
``--dataset`` the parity figures come from the first test batch of real images, else from
random pixels. Writes ``<out>`` and ``<out>.report.json`` (``size_bytes``,
``latency_ms_per_input`` on one thread, ``parity``: ``max_abs_diff``, and
``identical_fraction`` for integer-valued outputs).
"""

from export.tflite import MODES
from keras_taskadapt.tasks.options import add_data_options


def add_artifact_arguments(parser, model_help):
    parser.add_argument("--model", required=True, help=model_help)
    parser.add_argument("--out", required=True, help="the .tflite file to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out")
    add_data_options(parser, default=None)


def add_arguments(parser):
    add_artifact_arguments(parser, "a .keras model written by train")
    parser.add_argument("--mode", choices=MODES, default="float",
                        help="float (float32), dynamic (int8 weights), int8 (full integer; needs --dataset) "
                             "(default: float)")
    parser.add_argument("--representative-batches", type=int, default=8,
                        help="training batches of --dataset that calibrate int8 (default: 8)")


def export_data(args):
    """``(training pipeline, first test batch)`` of ``--dataset``, or ``(None, None)`` without one."""
    import numpy as np

    from keras_taskadapt.data import load_dataset, open_dataset

    if args.dataset is None:
        return None, None
    source = open_dataset(args.dataset, data_dir=args.data_dir, skip_corrupt=args.skip_corrupt)
    common = {"source": source, "batch_size": args.batch_size, "image_size": args.image_size}
    train = load_dataset(split="train", shuffle=True, **common)
    images, _ = next(iter(load_dataset(split="test", shuffle=False, **common)))
    return train, np.asarray(images, np.float32)


def print_report(report, what):
    parity = "".join(f", {name} {value:.6g}" for name, value in report.parity.items())
    print(f"{what} in {report.artifact}: {report.size_bytes} bytes, "
          f"{report.latency_ms_per_input:.3f} ms per input (1 thread){parity}")


def run(args):
    from export.keras_file import load_keras_model
    from export.tflite import export_tflite, representative_data
    from keras_taskadapt.errors import UserError

    if args.mode == "int8" and args.dataset is None:
        raise UserError("--mode int8 needs --dataset for its representative data")
    if args.representative_batches < 1:
        raise UserError(f"--representative-batches must be >= 1, got {args.representative_batches}")
    model = load_keras_model(args.model)
    train, batch = export_data(args)
    representative = representative_data(train, args.representative_batches) if args.mode == "int8" else None
    report = export_tflite(model, args.out, mode=args.mode, representative=representative, batch=batch,
                           force=args.force)
    print_report(report, f"TFLite ({args.mode})")


COMMANDS = {("export", "tflite"): (add_arguments, run, "TFLite float32, dynamic-range or int8, checked with LiteRT")}
