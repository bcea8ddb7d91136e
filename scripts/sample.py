"""Write samples from a run's newest checkpoint: `python scripts/sample.py --workdir DIR --num N --out FILE`.

FILE ending in .npz holds `samples` ([N, 2] float for 2-D data, [N, H, W, C] uint8 for images,
[N, seq_len] character ids for text, with the decoded `text`) and `labels` for conditional
models; FILE ending in .png is an image grid or a scatter plot; .txt holds text samples.

`--interpolate STEPS` walks the latent space instead: --num rows, each STEPS samples along a
straight (`--path linear`) or great-circle (`--path spherical`) path between two noise
vectors, one row per path in the grid. `--by_class` (conditional runs) writes --num samples of
each class instead, one class per row. `--traverse CODE` (InfoGAN runs) writes the latent
traversal: one row per value of the categorical code, --num columns sweeping continuous code
CODE from -2 to 2.
"""

import sys

from absl import app, flags, logging

from wgan_jax import cli

_WORKDIR = flags.DEFINE_string("workdir", None, "Training directory.", required=True)
_NUM = flags.DEFINE_integer("num", 64, "Number of samples.", lower_bound=1)
_OUT = flags.DEFINE_string("out", "samples.png", "Output .npz, .png or (text runs) .txt file.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for the noise.")
_INTERPOLATE = flags.DEFINE_integer(
    "interpolate", 0, "Samples along each latent path (0: independent samples); --num paths.",
    lower_bound=0)
_BY_CLASS = flags.DEFINE_bool("by_class", False, "Conditional runs: --num samples of each class, "
                               "one class per row of the grid.")
_TRAVERSE = flags.DEFINE_integer(
    "traverse", -1, "InfoGAN runs: sweep this continuous code (0, 1, ...) over --num columns, "
    "one row per categorical value (-1: no traversal).", lower_bound=-1)
_PATH = flags.DEFINE_enum("path", "linear", ["linear", "spherical"],
                          "Latent path of --interpolate: straight line or great circle.")
_STATISTICS, _SAMPLE_BATCH = cli.define_sampling_flags()


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  from wgan_jax.sampling import by_class, interpolate, sample, traverse, write_samples
  try:
    columns = _INTERPOLATE.value or None
    if sum([_BY_CLASS.value, _INTERPOLATE.value > 0, _TRAVERSE.value >= 0]) > 1:
      raise ValueError("--by_class, --interpolate and --traverse each lay out the grid: give one "
                       "of them.")
    if _TRAVERSE.value >= 0:
      samples, labels = traverse(_WORKDIR.value, _TRAVERSE.value, _NUM.value, 2.0, _SEED.value,
                                 _STATISTICS.value, _SAMPLE_BATCH.value)
      vocabulary, columns = None, _NUM.value
    elif _BY_CLASS.value:
      samples, labels, vocabulary = by_class(_WORKDIR.value, _NUM.value, _SEED.value,
                                             _STATISTICS.value, _SAMPLE_BATCH.value)
      columns = _NUM.value
    elif _INTERPOLATE.value:
      samples, labels, vocabulary = interpolate(
          _WORKDIR.value, _NUM.value, _INTERPOLATE.value, _PATH.value, _SEED.value,
          _STATISTICS.value, _SAMPLE_BATCH.value)
    else:
      samples, labels, vocabulary = sample(_WORKDIR.value, _NUM.value, _SEED.value,
                                           _STATISTICS.value, _SAMPLE_BATCH.value)
    write_samples(samples, labels, _OUT.value, vocabulary, columns=columns)
  except (FileNotFoundError, ValueError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  print(f"Wrote {len(samples)} samples to {_OUT.value}")
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
