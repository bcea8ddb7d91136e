"""Write samples from a run's newest checkpoint: `python -m wgan_jax.sample --workdir DIR --num N --out FILE`.

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

from __future__ import annotations

import sys

from absl import flags

from wgan_jax.commands import common
from wgan_jax.errors import UserError


def _define_flags(flag_values: flags.FlagValues) -> dict:
  define = dict(flag_values=flag_values)
  statistics, sample_batch, ema, member = common.define_sampling_flags(flag_values)
  return {
      "workdir": flags.DEFINE_string("workdir", None, "Training directory.", required=True,
                                     **define),
      "num": flags.DEFINE_integer("num", 64, "Number of samples.", lower_bound=1, **define),
      "out": flags.DEFINE_string("out", "samples.png",
                                 "Output .npz, .png or (text runs) .txt file.", **define),
      "seed": flags.DEFINE_integer("seed", 0, "Seed for the noise.", **define),
      "interpolate": flags.DEFINE_integer(
          "interpolate", 0, "Samples along each latent path (0: independent samples); --num "
          "paths.", lower_bound=0, **define),
      "by_class": flags.DEFINE_bool("by_class", False, "Conditional runs: --num samples of "
                                    "each class, one class per row of the grid.", **define),
      "traverse": flags.DEFINE_integer(
          "traverse", -1, "InfoGAN runs: sweep this continuous code (0, 1, ...) over --num "
          "columns, one row per categorical value (-1: no traversal).", lower_bound=-1, **define),
      "path": flags.DEFINE_enum("path", "linear", ["linear", "spherical"],
                                "Latent path of --interpolate: straight line or great circle.",
                                **define),
      "statistics": statistics, "sample_batch": sample_batch, "ema": ema, "member": member,
  }


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  given = _define_flags(flag_values)
  common.parse_flags(argv, flag_values, __doc__)
  value = {name: holder.value for name, holder in given.items()}
  common.quiet_logs()
  # Imported once the flags are parsed, so --help and a bad flag answer at once.
  from wgan_jax.outputs import OutputError
  from wgan_jax.sampling import (by_class, check_output_path, interpolate, sample, traverse,
                                 write_samples)

  workdir, num, seed = value["workdir"], value["num"], value["seed"]
  statistics, sample_batch = value["statistics"], value["sample_batch"]
  ema, member = common.ema_choice(value["ema"]), value["member"]
  try:
    check_output_path(value["out"])
    columns = value["interpolate"] or None
    if sum([value["by_class"], value["interpolate"] > 0, value["traverse"] >= 0]) > 1:
      raise UserError("--by_class, --interpolate and --traverse each lay out the grid: give one "
                      "of them.")
    if value["traverse"] >= 0:
      samples, labels = traverse(workdir, value["traverse"], num, 2.0, seed, statistics,
                                 sample_batch, ema, member)
      vocabulary, columns = None, num
    elif value["by_class"]:
      samples, labels, vocabulary = by_class(workdir, num, seed, statistics, sample_batch, ema,
                                             member)
      columns = num
    elif value["interpolate"]:
      samples, labels, vocabulary = interpolate(workdir, num, value["interpolate"], value["path"],
                                                seed, statistics, sample_batch, ema, member)
    else:
      samples, labels, vocabulary = sample(workdir, num, seed, statistics, sample_batch, ema,
                                           member)
    write_samples(samples, labels, value["out"], vocabulary, columns=columns)
  except UserError as error:
    return common.refuse(error)
  except OutputError as error:
    print(f"error: {error}", file=sys.stderr)
    return common.SAVE_FAILED
  print(f"Wrote {len(samples)} samples to {value['out']}")
  return 0


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
