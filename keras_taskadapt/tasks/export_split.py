"""``export split-ae``: a split auto-encoder as a sensor ``.tflite`` and a server (seed 000
figure 3.3; :mod:`export.split_autoencoder`).

Writes the folder ``--out`` (staged, moved into place when every artifact has been checked):
``sensor.tflite`` (pixels -> int32 latent symbols ``round(y / q)``, in ``--mode`` ``float``,
``dynamic``, ``int8`` calibrated on ``--representative-batches`` training batches, or ``qat``:
quantization-aware fine-tuning for ``--qat-steps`` steps, then int8), ``server`` (SavedModel,
``serve`` signature: symbols -> class probabilities) and ``server.tflite`` (float), each with
its ``.report.json`` (``size_bytes``, ``latency_ms_per_input`` on one thread, ``parity``, the
input/output ``contract``; the sensor's also ``rate``: ``bits_per_image`` of the per-image
streams, ``amortised_bits_per_image``, ``ideal_bits_per_image``, ``bpp``), and
``entropy_coder.npz``, the steps and the coder's per-entry models. ``--scale s`` bakes the
entropy-scaled steps ``q_i = s H(y_i)`` of eq. (3.8) into sensor and server.

``--dataset`` gives the first ``--train-examples`` training images (the coder's models,
``H(y_i)`` and the QAT fine-tuning), the representative batches and the first
``--report-images`` test images (parity and rate).
"""

from keras_taskadapt.commands.options import add_artifact_options, count, data_arguments, positive
from keras_taskadapt.commands.registry import command


def add_arguments(parser):
    from export import SENSOR_MODES
    from keras_taskadapt.hierarchical.latent import MODELS

    add_artifact_options(parser, "a model.keras written by train hierarchical",
                         out_help="the folder to write (sensor.tflite, server, server.tflite, entropy_coder.npz)")
    parser.add_argument("--mode", choices=SENSOR_MODES.names(), default="float",
                        help=f"sensor: {SENSOR_MODES.describe()} (default: float)")
    parser.add_argument("--scale", type=positive, default=None,
                        help="entropy-scaled steps q_i = s H(y_i) (eq. 3.8) with this s (default: the model's "
                             "quantizer steps)")
    group = parser.add_argument_group("export")
    group.add_argument("--representative-batches", type=count, default=8,
                       help="training batches that calibrate int8 (default: 8)")
    group.add_argument("--train-examples", type=count, default=10000,
                       help="training images for the coder, H(y_i) and QAT (default: 10000)")
    group.add_argument("--report-images", type=count, default=1000,
                       help="test images for the parity and the bits per image (default: 1000)")
    group.add_argument("--qat-steps", type=count, default=300, help="QAT fine-tuning steps (default: 300)")
    group.add_argument("--entropy-model", choices=MODELS, default="histogram",
                       help="per-entry model of the range coder (default: histogram)")
    group.add_argument("--seed", type=int, default=0, help="seed of the QAT fine-tuning (default: 0)")


@command("export", "split-ae", "split auto-encoder: TFLite sensor (float, dynamic, int8, QAT) and server",
         add_arguments)
def run(options):
    from export import deployed_codec, export_split, quantization_aware_sensor, representative_data
    from keras_taskadapt.data import open_image_data
    from keras_taskadapt.hierarchical.model_setup import check_model_data, load_hierarchical

    model = load_hierarchical(options.model)
    data = open_image_data(**data_arguments(options, model=options.model), batch_size=options.batch_size,
                           seed=options.seed)
    check_model_data(model, "the model", data.input_shape, parameter="dataset")
    train_images, _ = data.first_examples("train", options.train_examples)
    batch, _ = data.first_examples("test", options.report_images)
    codec = deployed_codec(model, options.scale, train_images, options.entropy_model)
    sensor = None
    if options.mode == "qat":
        sensor = quantization_aware_sensor(model.encoder, train_images, codec.step_sizes, steps=options.qat_steps,
                                           seed=options.seed)
    reports = export_split(codec, options.out, sensor=sensor, mode=options.mode,
                           representative=representative_data(data.train, options.representative_batches),
                           batch=batch, force=options.force)
    for name, report in reports.items():
        print(report.summary_line(name))
    rate = reports["sensor.tflite"].rate
    print(f"sensor sends {rate['bits_per_image']:.1f} bits per image ({rate['bpp']:.4f} bpp, one stream per "
          f"image) on {rate['images']} test images")
