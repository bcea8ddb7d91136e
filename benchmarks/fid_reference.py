"""Measure FID / KID between two real image sets and the Inception throughput, for docs/EVALUATION.md.

    python3 benchmarks/fid_reference.py --a /tmp/cifar10/train --b /tmp/cifar10/test --num 1000

Draws --num images from each folder (a fixed seed), extracts features with the Flax FID
network, and prints one JSON line: FID, KID, images per second and seconds per 10k images.
"""

import json
import time

from absl import app, flags

_A = flags.DEFINE_string("a", None, "First image folder.", required=True)
_B = flags.DEFINE_string("b", None, "Second image folder.", required=True)
_NUM = flags.DEFINE_integer("num", 1000, "Images drawn from each folder.")
_BATCH = flags.DEFINE_integer("batch", 50, "Inception batch.")
_OUT = flags.DEFINE_string("out", None, "Also append the JSON line to this file.")


def _images(folder, num, seed):
  import numpy as np

  from wgan_jax.data import pipeline, sources
  source = sources.image_folder_source(folder, channels=3, verify=False, convert_channels=True)
  order = np.sort(np.random.default_rng(seed).permutation(source.num_examples)[:num])
  subset = sources.Source(source.dataset.filter(
      lambda e: sources.tf.reduce_any(sources.tf.equal(e["index"], order))), source.decode,
      len(order), source.num_classes, True, source.description)
  arrays = pipeline.load_resident(subset, {"use_labels": False})
  return arrays["x"]


def main(argv):
  del argv
  import jax

  from wgan_jax.metrics.fid import (InceptionFeatures, frechet_distance, gaussian_stats,
                                    kernel_inception_distance)
  a, b = _images(_A.value, _NUM.value, 0), _images(_B.value, _NUM.value, 1)
  extractor = InceptionFeatures(batch_size=_BATCH.value)
  extractor(a[:_BATCH.value])  # compile
  start = time.time()
  fa = extractor(a, progress=True)
  fb = extractor(b, progress=True)
  seconds = time.time() - start
  kid, kid_std = kernel_inception_distance(fa, fb, subset_size=min(1000, _NUM.value))
  result = {"a": _A.value, "b": _B.value, "num_each": _NUM.value,
            "fid": frechet_distance(*gaussian_stats(fa), *gaussian_stats(fb)),
            "kid": kid, "kid_std": kid_std, "images_per_sec": 2 * _NUM.value / seconds,
            "seconds_per_10k_images": 10_000 * seconds / (2 * _NUM.value),
            "device": jax.devices()[0].device_kind, "batch": _BATCH.value}
  line = json.dumps(result)
  print(line)
  if _OUT.value:
    with open(_OUT.value, "a") as f:
      f.write(line + "\n")
  return 0


if __name__ == "__main__":
  app.run(main)
