"""``export jcc-sensor``: a JCC model's encoder as a float ``.tflite`` sensor model.

Images (RGB 0..255) in, the quantized DCT coefficients with the learned tables out (int32
``y``, ``cb``, ``cr`` grids): the device's alternative to libjpeg. With ``--dataset`` the
parity (``identical_fraction`` of coefficients) is measured on the first test batch of real
images, else on random pixels. ``--image-size`` sets the sensor's image size when the model
does not fix it (DCT-domain classifiers).
"""

from keras_taskadapt.tasks.export_tflite import add_artifact_arguments, export_data, print_report


def add_arguments(parser):
    add_artifact_arguments(parser, "a .keras JCC model written by train jcc")


def run(args):
    from export.jcc_sensor import export_jcc_sensor, sensor_image_shape
    from keras_taskadapt.tasks.jcc import load_jcc_model

    model = load_jcc_model(args.model)
    image_shape = (*args.image_size, 3) if args.image_size else sensor_image_shape(model.classifier)
    _, batch = export_data(args)
    report = export_jcc_sensor(model, args.out, image_shape=image_shape, batch=batch, force=args.force)
    print_report(report, "JCC sensor (TFLite float)")


COMMANDS = {("export", "jcc-sensor"): (add_arguments, run,
                                       "JCC encoder as a TFLite sensor model: images -> quantized DCT coefficients")}
