"""JCC on Tiny ImageNet, then the learned JPEG tables in cjpeg and in Pillow on your own photo.

Seed 000, chapter 2: a classifier trained through JPEG layers learns the quantization tables
that suit it (JCC). What you take away is three 8x8 tables; any baseline JPEG encoder can
use them, so the camera side needs no network at all.

    python examples/jcc_tiny_imagenet.py --data-dir PATH/tiny-imagenet-200 [--photo me.png]
    python examples/jcc_tiny_imagenet.py --smoke        # a few steps, to check the set-up

The three steps are the command line's; each is one `keras-taskadapt` command you can run in
a shell instead (printed as it runs).
"""

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from keras_taskadapt.cli import run  # one `keras-taskadapt` command, in this process

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(SHARED / "tiny-imagenet-200-subset20"),
                        help="a tiny-imagenet-200 folder (wnids.txt, train/, val/)")
    parser.add_argument("--photo", default=str(SHARED / "kodak" / "kodim23.png"), help="an image of yours")
    parser.add_argument("--out", default="runs/examples/jcc", help="where the run and the files go")
    parser.add_argument("--smoke", action="store_true", help="a few steps only (CI)")
    args = parser.parse_args()
    out = Path(args.out)

    # 1. Train JCC: ResNet-20 behind the JPEG layers, tables from the q50 standard ones, the
    #    classifier and the tables trained in turns (2 epochs, then 1), ending on the classifier.
    budget = (["--epochs", "3", "--steps-per-epoch", "2", "--batch-size", "32", "--eval-examples", "64",
               "--classifier-epochs", "1", "--jpeg-epochs", "1", "--image-size", "32", "32"] if args.smoke
              else ["--epochs", "5", "--steps-per-epoch", "80", "--batch-size", "64", "--lam", "1e-2"])
    run("train", "jcc", "--dataset", "tiny_imagenet", "--data-dir", args.data_dir, "--init-quality", "50",
        *budget, "--seed", "0", "--force", "--out", str(out / "run"))
    metrics = json.loads((out / "run" / "metrics.json").read_text())
    print(f"JCC: accuracy {metrics['accuracy']:.3f} on real JPEG files of {metrics['kb_per_image']:.3f} KiB/image")

    # 2. The tables as files: qtables.txt for cjpeg, qtables.json for Pillow and libjpeg.
    run("export", "qtables", "--model", str(out / "run" / "model.keras"), "--force", "--out", str(out / "tables"))
    tables = json.loads((out / "tables" / "qtables.json").read_text())["pillow_qtables"]

    # 3. Your photo with the learned tables. Pillow: three tables (Y, Cb, Cr), 4:2:0, optimized
    #    Huffman codes; no `quality`, which would rescale the tables.
    photo = Image.open(args.photo).convert("RGB")
    learned, standard = out / "photo_learned.jpg", out / "photo_q50.jpg"
    photo.save(learned, qtables=tables, subsampling=2, optimize=True)
    photo.save(standard, quality=50, subsampling=2, optimize=True)
    written = Image.open(learned).quantization
    assert [list(written[slot]) for slot in sorted(written)] == tables, "Pillow did not keep the tables"
    print(f"Pillow: {learned} {learned.stat().st_size} bytes with the learned tables, "
          f"{standard.stat().st_size} bytes at quality 50")

    #    libjpeg's cjpeg: PPM in, the tables in slots 0, 1, 2, 4:2:0, and no -quality flag
    #    (it would scale -qtables).
    if shutil.which("cjpeg") is None:
        print("cjpeg: not installed (apt-get install libjpeg-turbo-progs); skipped")
        return
    with tempfile.TemporaryDirectory() as folder:
        ppm = Path(folder) / "photo.ppm"
        photo.save(ppm)
        encoded = subprocess.run(["cjpeg", "-qtables", str(out / "tables" / "qtables.txt"), "-qslots", "0,1,2",
                                  "-sample", "2x2", "-optimize", str(ppm)], check=True, capture_output=True).stdout
    (out / "photo_cjpeg.jpg").write_bytes(encoded)
    written = Image.open(out / "photo_cjpeg.jpg").quantization
    assert [list(written[slot]) for slot in sorted(written)] == tables, "cjpeg did not keep the tables"
    decoded = np.asarray(Image.open(out / "photo_cjpeg.jpg").convert("RGB"), np.float64)
    psnr = 10 * np.log10(255**2 / np.mean((decoded - np.asarray(photo, np.float64)) ** 2))
    print(f"cjpeg: {out / 'photo_cjpeg.jpg'} {len(encoded)} bytes, PSNR {psnr:.2f} dB, tables read back equal")


if __name__ == "__main__":
    main()
