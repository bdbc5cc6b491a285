"""Camera sensor, step 3 of 3 (on the server): bit streams -> symbols -> class probabilities.

    python examples/camera_sensor/server_decode.py --deployment DIR --streams streams/ [--labels labels.npy]
"""

import argparse
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_taskadapt.hierarchical.latent import decode_streams


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deployment", required=True, help="the folder `export split-ae` wrote")
    parser.add_argument("--streams", required=True, help="the folder of .bin streams the device wrote")
    parser.add_argument("--labels", help="the frames' labels (.npy), to report accuracy")
    args = parser.parse_args()
    deployment = Path(args.deployment)

    streams = [path.read_bytes() for path in sorted(Path(args.streams).glob("*.bin"))]
    symbols, _ = decode_streams(streams, str(deployment / "entropy_coder.npz"))  # range decoding
    server = tf.saved_model.load(str(deployment / "server")).signatures["serve"]  # decoder + classifier
    outputs = server(tf.constant(symbols, tf.float32))
    probabilities = next(iter(outputs.values())).numpy()
    predicted = probabilities.argmax(axis=-1)
    print(f"{len(streams)} frames decoded; predicted classes of the first ten: {predicted[:10].tolist()}")
    if args.labels:
        labels = np.load(args.labels)[: len(predicted)]
        print(f"accuracy on the frames: {np.mean(predicted == labels):.3f}")


if __name__ == "__main__":
    main()
