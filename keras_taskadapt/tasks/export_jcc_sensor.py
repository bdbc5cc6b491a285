"""``export jcc-sensor``: a JCC model's encoder as a float ``.tflite`` sensor model (:mod:`export.jcc_sensor`).

Images (RGB 0..255) in, the quantized DCT coefficients with the learned tables out (int32
``y``, ``cb``, ``cr`` grids): the device's alternative to libjpeg. With ``--dataset`` the
parity (``identical_fraction`` of coefficients) is measured on the first test batch of real
images, else on random pixels. ``--image-size`` sets the sensor's image size when the model
does not fix it (DCT-domain classifiers).
"""

from keras_taskadapt.commands.options import add_artifact_options, data_arguments
from keras_taskadapt.commands.registry import command


def add_arguments(parser):
    add_artifact_options(parser, "a .keras JCC model written by train jcc")


@command("export", "jcc-sensor", "JCC encoder as a TFLite sensor model: images -> quantized DCT coefficients",
         add_arguments)
def run(options):
    from export.jcc_sensor import export_jcc_sensor
    from keras_taskadapt.data import open_image_data
    from keras_taskadapt.jpeg.jcc_config import load_jcc_model, model_image_shape

    model = load_jcc_model(options.model)
    image_shape = (*options.image_size, 3) if options.image_size else model_image_shape(model.classifier)
    batch = None
    arguments = data_arguments(options, model=options.model, required=False)
    if arguments is not None:
        data = open_image_data(**arguments, batch_size=options.batch_size)
        batch, _ = data.first_examples("test", options.batch_size)
    report = export_jcc_sensor(model, options.out, image_shape=image_shape, batch=batch, force=options.force)
    print(report.summary_line("JCC sensor (TFLite float)"))
