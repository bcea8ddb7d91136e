"""Train a GAN: `python scripts/train.py --config configs/NAME.py[:ARGS] --workdir DIR [--config.KEY=VALUE]`.

With no --config it runs the embedded default (WGAN-GP on 8 Gaussians, under two minutes
on 2 CPU cores). Re-running the same command resumes from the newest checkpoint in DIR.
Several hosts: pass --coordinator_address, --num_processes and --process_id (or set
them in the environment that `jax.distributed.initialize` reads).
"""

import os
import sys

from absl import app, flags, logging

from configs import CONFIG_DIR
from wgan_jax import cli

_CONFIG = cli.define_config_file(
    "config", str(CONFIG_DIR / "default.py"),
    "Experiment config file, optionally with :ARGS.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/default", "Directory for logs, samples and checkpoints.")
_COORDINATOR = flags.DEFINE_string("coordinator_address", None, "host:port of process 0 (multi-host).")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Number of processes (multi-host).")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index (multi-host).")


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  import jax

  from wgan_jax.data.sources import DataError
  from wgan_jax.train import ConfigError, NonFiniteLossError, train

  if _COORDINATOR.value or _NUM_PROCESSES.value:
    # CPU processes need a collectives backend to talk to each other; GPUs and TPUs ignore this.
    if not os.environ.get("JAX_CPU_COLLECTIVES_IMPLEMENTATION"):
      jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=_COORDINATOR.value,
                               num_processes=_NUM_PROCESSES.value, process_id=_PROCESS_ID.value)
  try:
    result = train(_CONFIG.value, _WORKDIR.value)
  except (ConfigError, DataError, NonFiniteLossError, ValueError) as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  if jax.process_index() == 0:
    print(f"Finished at generator iteration {result['step']}; outputs in {_WORKDIR.value}")
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
