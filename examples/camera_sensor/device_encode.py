"""Camera sensor, step 2 of 3 (on the device): frames -> one bit stream per frame.

The device needs LiteRT (`pip install ai-edge-litert`) and NumPy, nothing else: no
TensorFlow, no keras-taskadapt. The stream writer is the deployment folder's own
`stream_writer.py`, which imports NumPy only.

    python examples/camera_sensor/device_encode.py --deployment DIR --frames frames.npy --out streams/
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deployment", required=True, help="the folder `export split-ae` wrote")
    parser.add_argument("--frames", required=True, help="uint8 RGB frames (N, H, W, 3) as .npy")
    parser.add_argument("--out", required=True, help="folder for the streams (one .bin per frame)")
    args = parser.parse_args()
    deployment, out = Path(args.deployment), Path(args.out)
    sys.path.insert(0, str(deployment))
    import stream_writer  # the deployment's: NumPy only

    models = stream_writer.load_models(deployment / "entropy_coder.npz")
    sensor = Interpreter(model_path=str(deployment / "sensor.tflite"), num_threads=1)
    sensor.allocate_tensors()
    source, symbols = sensor.get_input_details()[0], sensor.get_output_details()[0]
    scale, zero_point = source["quantization"]  # the int8 sensor takes quantized pixels

    out.mkdir(parents=True, exist_ok=True)
    sizes = []
    for index, frame in enumerate(np.load(args.frames)):  # a camera sends one frame at a time
        pixels = frame[None].astype(np.float32)
        if source["dtype"] != np.float32:
            limits = np.iinfo(source["dtype"])
            pixels = np.clip(np.rint(pixels / scale + zero_point), limits.min, limits.max).astype(source["dtype"])
        sensor.set_tensor(source["index"], pixels)
        sensor.invoke()
        stream = stream_writer.image_stream(models, sensor.get_tensor(symbols["index"])[0])
        (out / f"{index:05d}.bin").write_bytes(stream)
        sizes.append(len(stream))
    print(f"{len(sizes)} streams in {out}: {np.mean(sizes):.1f} bytes per frame on average "
          f"({8 * np.mean(sizes):.0f} bits, against {frame.size} bytes of raw pixels)")


if __name__ == "__main__":
    main()
