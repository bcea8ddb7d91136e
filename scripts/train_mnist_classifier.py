"""Train the MNIST scoring classifier: `python scripts/train_mnist_classifier.py --data DIR [--out FILE]`.

DIR holds the four MNIST IDX files (gzipped or not). The default output is the
file the package ships, `wgan_jax/metrics/data/mnist_classifier.npz`.
"""

import sys

from absl import app, flags, logging

from wgan_jax import cli

_DATA = flags.DEFINE_string("data", None, "Directory with the MNIST IDX files.", required=True)
_OUT = flags.DEFINE_string("out", None, "Output .npz (default: the shipped file).")
_EPOCHS = flags.DEFINE_integer("epochs", 3, "Training epochs.")


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  import numpy as np

  from wgan_jax.data.sources import DataError, mnist_idx_source
  from wgan_jax.metrics.mnist import SHIPPED, train_classifier
  try:
    train, test = mnist_idx_source(_DATA.value, "train"), mnist_idx_source(_DATA.value, "test")
  except DataError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  arrays = train_classifier(train.arrays["x"], train.arrays["label"], test.arrays["x"],
                            test.arrays["label"], epochs=_EPOCHS.value)
  out = _OUT.value or str(SHIPPED)
  import os
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  np.savez_compressed(out, **arrays)
  print(f"test accuracy {float(arrays['test_accuracy']):.4f} after {_EPOCHS.value} epochs "
        f"({float(arrays['train_seconds']):.0f} s); wrote {out}")
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
