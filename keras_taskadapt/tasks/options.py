"""Options shared by the tasks, declared once."""

from keras_taskadapt.data import DEFAULT_DATASET
from keras_taskadapt.distribute import STRATEGIES


def add_data_options(parser, default=DEFAULT_DATASET):
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", default=default,
                       help=f"sklearn_digits (offline smoke-size default), tiny_imagenet, folder:PATH, "
                            f"tfrecord:GLOB, or a tensorflow-datasets name such as cifar10 (default: {default})")
    group.add_argument("--data-dir", default=None,
                       help="where local copies live or downloads go (default: $KERAS_TASKADAPT_DATA "
                            "or ~/.keras-taskadapt/datasets)")
    group.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"), default=None,
                       help="resize every image to H x W")
    group.add_argument("--skip-corrupt", action="store_true",
                       help="skip damaged TFRecord records (counted in metrics.json) instead of stopping")
    group.add_argument("--batch-size", type=int, default=128, help="global batch size (default: 128)")


def add_run_options(parser):
    group = parser.add_argument_group("run")
    group.add_argument("--out", required=True, help="output folder (created if missing)")
    group.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and augmentation")
    group.add_argument("--deterministic-ops", action="store_true",
                       help="ask TensorFlow for deterministic kernels too (slower)")
    group.add_argument("--strategy", choices=STRATEGIES, default="default",
                       help="tf.distribute strategy (default: one device)")


def add_training_options(parser, epochs=10, learning_rate=0.1):
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=int, default=epochs, help=f"epochs (default: {epochs})")
    group.add_argument("--learning-rate", type=float, default=learning_rate,
                       help=f"peak learning rate, cosine-decayed (default: {learning_rate})")
    group.add_argument("--weight-decay", type=float, default=1e-4, help="L2 weight decay (default: 1e-4)")
    group.add_argument("--no-augment", dest="augment", action="store_false",
                       help="switch off random crop and flip")
    group.add_argument("--steps-per-epoch", type=int, default=None,
                       help="cap the training steps of each epoch (smoke runs)")
    group.add_argument("--resume", action="store_true",
                       help="continue an interrupted run in --out from its last finished epoch")
