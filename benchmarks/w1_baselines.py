"""Real-vs-real exact W1 on the toy sets at several sample sizes (the floor a generator's W1 is read against).

    python3 benchmarks/w1_baselines.py [--out FILE]
"""

import json
import sys
import time

from wgan_jax.data.toy import toy_dataset
from wgan_jax.metrics.lowdim import wasserstein1


def main(out=None):
  rows = []
  for name in ("8gaussians", "25gaussians", "swissroll"):
    for n in (500, 1000, 2000):
      values, start = [], time.time()
      for seed in range(3):
        a, b = toy_dataset(name, n, seed=2 * seed), toy_dataset(name, n, seed=2 * seed + 1)
        values.append(wasserstein1(a, b))
      rows.append({"data": name, "n": n, "w1_real_vs_real_mean": sum(values) / 3,
                   "w1_values": values, "seconds_per_w1": (time.time() - start) / 3})
      print(json.dumps(rows[-1]))
  if out:
    with open(out, "w") as f:
      json.dump(rows, f, indent=1)


if __name__ == "__main__":
  main(sys.argv[1] if len(sys.argv) > 1 else None)
