"""TPU pre-flight from any machine: `python scripts/preflight.py --config configs/NAME.py --target v5e-8`.

Compiles the configured train step as the trainer runs it on the TPU slice (jit + shard_map over
all its chips, the batch split per chip, the state donated) without a TPU attached, and prints
one JSON line per target: chips and hosts, compile seconds, HBM per chip (arguments, outputs,
temporaries, total) against the chip's capacity, FLOPs and all-reduce bytes per generator
iteration (the critic loop's trip count included), and the largest per-chip batch that compiles.
Every number is the compiler's analysis, not a measured speed. Needs libtpu:
`pip install -e ".[aot]"`.

  --target v5e-8,v4-8,v5p-8,v5e-256   slice names, or libtpu topologies such as tpu:v5e:2x2
  --per_chip_batch N                  compile at N examples per chip (default: the config's
                                      global batch split over the chips)
  --nosearch                          skip the largest-batch search
  --table FILE                        print saved JSON lines as a Markdown table
Exit codes: 0 compiled, 2 bad command line or config, 3 the target's compiler (libtpu or the
CUDA plugin) is not installed, 6 the step does not fit or compile.
"""

import json
import os
import sys

# The host's own devices are not used: compile on the CPU client, for the described TPU.
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from absl import app, flags, logging  # noqa: E402

from configs import CONFIG_DIR  # noqa: E402
from wgan_jax import cli  # noqa: E402

_CONFIG = cli.define_config_file("config", str(CONFIG_DIR / "wgan_gp_cifar.py"),
                                 "Experiment config.")
_TARGETS = flags.DEFINE_list("target", ["v5e-8"], "TPU slices or topologies to compile for.")
_PER_CHIP = flags.DEFINE_integer("per_chip_batch", None, "Examples per chip (default: the "
                                 "config's batch_size split over the chips).")
_SEARCH = flags.DEFINE_boolean("search", True, "Also find the largest per-chip batch that fits.")
_TOLERANCE = flags.DEFINE_float("tolerance", 1.25, "The search stops when the smallest batch "
                                "that does not fit is within this ratio of the largest that does.")
_SEARCH_FROM = flags.DEFINE_integer("search_from", None, "Start the search at this per-chip "
                                    "batch (e.g. what a smaller slice of the same chip took).")
_OUT = flags.DEFINE_string("out", None, "Also append the JSON lines to this file.")
_LABEL = flags.DEFINE_string("label", "", "Free-text label stored with each line.")
_TABLE = flags.DEFINE_string("table", None, "Print the JSON lines of this file as a Markdown "
                             "table instead of compiling.")

COMPILER_MISSING = 3
DOES_NOT_FIT = 6


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  import jax

  from wgan_jax import aot
  from wgan_jax.config import ConfigError

  if _TABLE.value:
    with open(_TABLE.value) as f:
      print(aot.markdown_table([json.loads(line) for line in f if line.strip()]))
    return 0
  config = _CONFIG.value
  config_name = flags.FLAGS["config"].serialize().split("=", 1)[-1]
  status = 0
  for spec in _TARGETS.value:
    try:
      report = aot.preflight(config, aot.target(spec), _PER_CHIP.value, _SEARCH.value,
                             _TOLERANCE.value, _SEARCH_FROM.value)
    except ConfigError as error:
      print(f"error: {error}", file=sys.stderr)
      return cli.USAGE_ERROR
    except aot.CompilerMissing as error:
      print(f"error: {error}", file=sys.stderr)
      return COMPILER_MISSING
    except aot.PreflightError as error:
      print(f"error: {error}", file=sys.stderr)
      status = DOES_NOT_FIT
      continue
    line = json.dumps({"config": config_name, **report, "label": _LABEL.value,
                       "jax_version": jax.__version__})
    print(line, flush=True)
    if _OUT.value:
      with open(_OUT.value, "a") as f:
        f.write(line + "\n")
  return status


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
