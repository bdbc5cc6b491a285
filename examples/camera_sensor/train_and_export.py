"""Camera sensor, step 1 of 3 (on a workstation): train the split auto-encoder, export the
deployment, and keep a few test frames for the device to send.

Seed 000, section 3.3.1 (figure 3.3): the encoder runs on the camera and sends the quantized
latent; the decoder and the classifier run on the server. The deployment folder holds what
each side needs:

    sensor.tflite       int8 encoder + quantizer (pixels 0..255 in, int32 symbols out), for LiteRT
    entropy_coder.npz   the range coder's models (both sides)
    stream_writer.py    the device's stream writer, NumPy only
    server/             SavedModel: symbols -> class probabilities (with server.tflite)

    python examples/camera_sensor/train_and_export.py [--smoke] [--out runs/examples/camera]
    python examples/camera_sensor/device_encode.py --deployment runs/examples/camera/deployment \
        --frames runs/examples/camera/frames.npy --out runs/examples/camera/streams
    python examples/camera_sensor/server_decode.py --deployment runs/examples/camera/deployment \
        --streams runs/examples/camera/streams --labels runs/examples/camera/labels.npy
"""

import argparse
from pathlib import Path

import numpy as np

from keras_taskadapt.cli import run  # one `keras-taskadapt` command, in this process
from keras_taskadapt.data import load_dataset

CIFAR = Path(__file__).resolve().parents[3] / "shared" / "data" / "images" / "cifar10-jpeg-q75"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", help="the images (default: the CIFAR-10 records; with --smoke the offline digits)")
    parser.add_argument("--out", default="runs/examples/camera")
    parser.add_argument("--frames", type=int, default=64, help="test frames kept for the device")
    parser.add_argument("--smoke", action="store_true", help="a few steps only (CI)")
    args = parser.parse_args()
    out = Path(args.out)
    if args.dataset is None:  # the smoke run skips the evaluation of 10,000 CIFAR-10 test images
        args.dataset = "sklearn_digits" if args.smoke else f"tfrecord:{CIFAR}/*.tfrecord"

    # DuPHiL (section 3.2.2): the encoder learns a discriminative latent (LDR), then the decoder
    # learns to classify it; 32 latent entries, a quarter-width ResNet.
    budget = (["--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "64", "--ldr-batch-size", "128"]
              if args.smoke else ["--epochs", "6", "--steps-per-epoch", "100", "--batch-size", "128"])
    run("train", "hierarchical", "--training", "duphil", "--dataset", args.dataset, "--width", "0.25",
        "--latent-dim", "32", *budget, "--seed", "0", "--force", "--out", str(out / "model"))

    # The deployment: the sensor converted to full-integer TFLite with representative images,
    # the coder fitted on training images' symbols.
    examples = ["--train-examples", "128", "--report-images", "16", "--representative-batches", "1"] if args.smoke else []
    run("export", "split-ae", "--model", str(out / "model" / "model.keras"), "--dataset", args.dataset,
        "--mode", "int8", *examples, "--force", "--out", str(out / "deployment"))

    # What the camera will see: some test frames (uint8 RGB) and, for the server's check, their labels.
    images, labels = next(iter(load_dataset(args.dataset, "test", batch_size=args.frames)))
    np.save(out / "frames.npy", images.numpy())
    np.save(out / "labels.npy", labels.numpy())
    print(f"{args.frames} test frames in {out / 'frames.npy'}")


if __name__ == "__main__":
    main()
