"""TPU and GPU pre-flight from any machine:
`python -m wgan_jax.preflight --config NAME --target v5e-8` (or `--target h200-1`).

Compiles the configured train step as the trainer runs it on the slice (jit + shard_map over
all its chips, the batch split per chip, the state donated) without a TPU attached, and prints
one JSON line per target: chips and hosts, compile seconds, HBM per chip (arguments, outputs,
temporaries, total) against the chip's capacity, FLOPs and all-reduce bytes per generator
iteration (the critic loop's trip count included), and the largest per-chip batch that compiles.
Every number is the compiler's analysis, not a measured speed. Needs libtpu
(`pip install "wgan_jax[aot]"`) for TPUs, the CUDA plugin (`"wgan_jax[aot-gpu]"`) for GPUs,
whose capacity is the share of memory JAX allocates (XLA_PYTHON_CLIENT_MEM_FRACTION, 0.75).

  --target v5e-8,v4-8,v5p-8,v5e-256   slice names, or libtpu topologies such as tpu:v5e:2x2,
                                      or NVIDIA GPUs: h100-8, h200-1, a100-8 (8 to a host)
  --members                           instead: how many members of a population fit on a chip
  --per_chip_batch N                  compile at N examples per chip (default: the config's
                                      global batch split over the chips)
  --nosearch                          skip the largest-batch search
  --table FILE                        print saved JSON lines as a Markdown table
Exit codes: 0 compiled, 2 bad command line or config, 3 the target's compiler (libtpu or the
CUDA plugin) is not installed, 6 the step does not fit or compile.
"""

from __future__ import annotations

import json
import sys

from absl import flags

from wgan_jax import configs
from wgan_jax.commands import common

COMPILER_MISSING = 3
DOES_NOT_FIT = 6


def _define_flags(flag_values: flags.FlagValues, argv: list[str]) -> dict:
  define = dict(flag_values=flag_values)
  return {
      "config": common.define_config_file("config", configs.CONFIG_DIR / "wgan_gp_cifar.py",
                                          "Experiment config (a shipped name or a file).",
                                          flag_values, argv),
      "target": flags.DEFINE_list("target", ["v5e-8"], "TPU slices or topologies, or NVIDIA "
                                  "GPUs (h100-8, h200-1, a100-8), to compile for.",
                                  **define),
      "per_chip_batch": flags.DEFINE_integer("per_chip_batch", None, "Examples per chip "
                                             "(default: the config's batch_size split over the "
                                             "chips).", **define),
      "search": flags.DEFINE_boolean("search", True, "Also find the largest per-chip batch that "
                                     "fits.", **define),
      "tolerance": flags.DEFINE_float("tolerance", 1.25, "The search stops when the smallest "
                                      "batch that does not fit is within this ratio of the "
                                      "largest that does.", **define),
      "search_from": flags.DEFINE_integer("search_from", None, "Start the search at this "
                                          "per-chip batch (e.g. what a smaller slice of the same "
                                          "chip took).", **define),
      "members": flags.DEFINE_boolean("members", False, "Instead: how many members of the "
                                      "config, trained as a population at its whole batch each, "
                                      "fit on one chip of each target.", **define),
      "out": flags.DEFINE_string("out", None, "Also append the JSON lines to this file.",
                                 **define),
      "label": flags.DEFINE_string("label", "", "Free-text label stored with each line.",
                                   **define),
      "table": flags.DEFINE_string("table", None, "Print the JSON lines of this file as a "
                                   "Markdown table instead of compiling.", **define),
  }


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  given = _define_flags(flag_values, argv)
  common.parse_flags(argv, flag_values, __doc__)
  value = {name: holder.value for name, holder in given.items()}
  common.quiet_logs()
  # Imported once the flags are parsed, so --help and a bad flag answer at once.
  import jax

  if not jax.config.jax_platforms:
    # This machine's own devices are not used: compile on the CPU client for the described
    # target (and a CUDA plugin without a driver loads only so). Before any backend starts.
    jax.config.update("jax_platforms", "cpu")

  from wgan_jax import aot
  from wgan_jax.config import ConfigError

  if value["table"]:
    with open(value["table"]) as f:
      print(aot.markdown_table([json.loads(line) for line in f if line.strip()]))
    return 0
  status = 0
  for spec in value["target"]:
    try:
      if value["members"]:
        report = aot.members_per_chip(value["config"], aot.target(spec), value["tolerance"])
      else:
        report = aot.preflight(value["config"], aot.target(spec), value["per_chip_batch"],
                               value["search"], value["tolerance"], value["search_from"])
    except ConfigError as error:
      print(f"error: {error}", file=sys.stderr)
      return common.USAGE_ERROR
    except aot.CompilerMissing as error:
      print(f"error: {error}", file=sys.stderr)
      return COMPILER_MISSING
    except aot.PreflightError as error:
      print(f"error: {error}", file=sys.stderr)
      status = DOES_NOT_FIT
      continue
    line = json.dumps({"config": common.config_name(flag_values), **report,
                       "label": value["label"], "jax_version": jax.__version__})
    print(line, flush=True)
    if value["out"]:
      with open(value["out"], "a") as f:
        f.write(line + "\n")
  return status


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
