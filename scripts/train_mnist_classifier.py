"""Train the MNIST scoring classifier: `python scripts/train_mnist_classifier.py --data DIR [--out FILE]`.

DIR holds the four MNIST IDX files (gzipped or not). The default output is the
file the package ships, `wgan_jax/metrics/data/mnist_classifier.npz`.
"""

import os
import sys

import numpy as np
from absl import flags

from wgan_jax.commands import common
from wgan_jax.data.sources import DataError, mnist_idx_source
from wgan_jax.metrics.mnist import SHIPPED, train_classifier


def main(argv: list[str]) -> int:
  flag_values = flags.FlagValues()
  data = flags.DEFINE_string("data", None, "Directory with the MNIST IDX files.", required=True,
                             flag_values=flag_values)
  out_flag = flags.DEFINE_string("out", None, "Output .npz (default: the shipped file).",
                                 flag_values=flag_values)
  epochs = flags.DEFINE_integer("epochs", 3, "Training epochs.", flag_values=flag_values)
  common.parse_flags(argv, flag_values, __doc__)
  try:
    train, test = mnist_idx_source(data.value, "train"), mnist_idx_source(data.value, "test")
  except DataError as error:
    return common.stop(str(error))
  arrays = train_classifier(train.arrays["x"], train.arrays["label"], test.arrays["x"],
                            test.arrays["label"], epochs=epochs.value)
  out = out_flag.value or str(SHIPPED)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  np.savez_compressed(out, **arrays)
  print(f"test accuracy {float(arrays['test_accuracy']):.4f} after {epochs.value} epochs "
        f"({float(arrays['train_seconds']):.0f} s); wrote {out}")
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
