"""``export split-ae``: a split auto-encoder as a sensor ``.tflite`` and a server (seed 000 figure 3.3).

Writes the folder ``--out`` as a whole (staged, renamed when every artifact has been checked):
``sensor.tflite`` (pixels -> int32 latent symbols ``round(y / q)``, in ``--mode`` ``float``,
``dynamic``, ``int8`` calibrated on ``--representative-batches`` training batches, or ``qat``:
quantization-aware fine-tuning for ``--qat-steps`` steps, then int8), ``server`` (SavedModel,
``serve`` signature: symbols -> class probabilities) and ``server.tflite`` (float), each with
its ``.report.json`` (``size_bytes``, ``latency_ms_per_input`` on one thread, ``parity``; the
sensor's also ``rate``: range-coded ``bits_per_image``, ``ideal_bits_per_image``, ``bpp``),
and ``entropy_coder.npz``, the coder's per-entry models. ``--scale s`` bakes the entropy-scaled
steps ``q_i = s H(y_i)`` of eq. (3.8) into sensor and server.

``--dataset`` (needed by ``int8``, ``qat`` and ``--scale``) gives the first ``--train-examples``
training images (the coder's models, ``H(y_i)`` and the QAT fine-tuning), the representative
batches and the first ``--report-images`` test images (parity and rate); without it the
parity is measured on random pixels and no rate is reported.
"""

from export.split_autoencoder import SENSOR_MODES
from keras_taskadapt.tasks.hierarchical import ENTROPY_MODELS
from keras_taskadapt.tasks.options import add_data_options


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="a model.keras written by train hierarchical")
    parser.add_argument("--out", required=True, help="the folder to write (sensor.tflite, server, server.tflite)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out")
    parser.add_argument("--mode", choices=SENSOR_MODES, default="float",
                        help="sensor: float (float32), dynamic (int8 weights), int8 (full integer), qat "
                             "(quantization-aware fine-tuning, then int8); int8 and qat need --dataset "
                             "(default: float)")
    parser.add_argument("--scale", type=float, default=None,
                        help="entropy-scaled steps q_i = s H(y_i) (eq. 3.8) with this s (needs --dataset; "
                             "default: the model's quantizer steps)")
    add_data_options(parser, default=None)
    group = parser.add_argument_group("export")
    group.add_argument("--representative-batches", type=int, default=8,
                       help="training batches that calibrate int8 (default: 8)")
    group.add_argument("--train-examples", type=int, default=10000,
                       help="training images for the coder, H(y_i) and QAT (default: 10000)")
    group.add_argument("--report-images", type=int, default=1000,
                       help="test images for the parity and the bits per image (default: 1000)")
    group.add_argument("--qat-steps", type=int, default=300, help="QAT fine-tuning steps (default: 300)")
    group.add_argument("--entropy-model", choices=ENTROPY_MODELS, default="histogram",
                       help="per-entry model of the range coder (default: histogram)")
    group.add_argument("--seed", type=int, default=0, help="seed of the QAT fine-tuning (default: 0)")


def check_options(args):
    from keras_taskadapt.errors import UserError

    if args.dataset is None:
        needs = [option for option, used in (("--mode int8", args.mode == "int8"), ("--mode qat", args.mode == "qat"),
                                             ("--scale", args.scale is not None)) if used]
        if needs:
            raise UserError(f"{' and '.join(needs)} need{'s' if len(needs) == 1 else ''} --dataset (training images)")
    counts = {"--representative-batches": args.representative_batches, "--train-examples": args.train_examples,
              "--report-images": args.report_images, "--qat-steps": args.qat_steps, "--batch-size": args.batch_size}
    for option, value in counts.items():
        if value < 1:
            raise UserError(f"{option} must be >= 1, got {value}")
    if args.scale is not None and not args.scale > 0:
        raise UserError(f"--scale must be positive, got {args.scale}")


def first_examples(pipeline, count):
    """The first ``count`` images (float32) and labels of a batched ``(images, labels)`` pipeline."""
    import numpy as np

    batches = [(np.asarray(images), np.asarray(labels)) for images, labels in pipeline.unbatch().take(count).batch(500)]
    images, labels = zip(*batches, strict=True)
    return np.concatenate(images).astype(np.float32), np.concatenate(labels)


def split_data(args, image_shape):
    """``(training pipeline, training images, report images)`` of ``--dataset``."""
    from keras_taskadapt.data import load_dataset, open_dataset
    from keras_taskadapt.errors import UserError

    source = open_dataset(args.dataset, data_dir=args.data_dir, skip_corrupt=args.skip_corrupt)
    common = {"source": source, "batch_size": args.batch_size, "image_size": args.image_size}
    train = load_dataset(split="train", shuffle=True, seed=args.seed, **common)
    train_images, _ = first_examples(load_dataset(split="train", shuffle=False, **common), args.train_examples)
    report_images, _ = first_examples(load_dataset(split="test", shuffle=False, **common), args.report_images)
    if tuple(report_images.shape[1:]) != tuple(image_shape):
        raise UserError(f"--model takes images of {tuple(image_shape)}, the data has "
                        f"{tuple(report_images.shape[1:])} (use --image-size)")
    return train, train_images, report_images


def run(args):
    from export.split_autoencoder import (
        export_split,
        fit_coder,
        split_models,
        step_sizes_for,
    )
    from export.tflite import representative_data
    from keras_taskadapt.tasks.export_tflite import print_report
    from keras_taskadapt.tasks.hierarchical import load_hierarchical

    check_options(args)
    model = load_hierarchical(args.model)
    train = train_images = batch = coder = representative = None
    if args.dataset is not None:
        train, train_images, batch = split_data(args, model.encoder.input.shape[1:])
        representative = representative_data(train, args.representative_batches)
    latents = model.encoder.predict(train_images, batch_size=256, verbose=0) if args.scale is not None else None
    steps = step_sizes_for(model, args.scale, latents)
    sensor, server = split_models(model, steps)
    if train_images is not None:
        coder = fit_coder(sensor, train_images, args.entropy_model)
    if args.mode == "qat":
        from export.qat import quantization_aware_sensor

        sensor = quantization_aware_sensor(model.encoder, train_images, steps, steps=args.qat_steps, seed=args.seed)
    reports = export_split(sensor, server, args.out, mode=args.mode, representative=representative, batch=batch,
                           coder=coder, force=args.force)
    for name, report in reports.items():
        print_report(report, name)
    rate = reports["sensor.tflite"].rate
    if rate:
        print(f"sensor sends {rate['bits_per_image']:.1f} bits per image ({rate['bpp']:.4f} bpp) "
              f"on {rate['images']} test images")


COMMANDS = {("export", "split-ae"): (add_arguments, run,
                                     "split auto-encoder: TFLite sensor (float, dynamic, int8, QAT) and server")}
