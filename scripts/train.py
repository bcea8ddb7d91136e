"""Train a GAN: `python scripts/train.py --config configs/NAME.py[:ARGS] --workdir DIR [--config.KEY=VALUE]`.

With no --config it runs the embedded default (WGAN-GP on 8 Gaussians, under two minutes
on 2 CPU cores). Re-running the same command resumes from the newest checkpoint in DIR.
Exit codes: 0 finished, 2 bad command line/config/data, 3 diverged, 4 DIR in use by another
trainer, 5 a checkpoint could not be saved, 75 stopped by a signal with a checkpoint saved.
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
_ALLOW_CONFIG_CHANGE = flags.DEFINE_boolean(
    "allow_config_change", False,
    "Resume a run in --workdir under a config that differs from its saved one (the change is "
    "recorded in the run's history.jsonl); without it such a resume is refused.")


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  import jax

  from wgan_jax.checkpoint import CheckpointMismatchError, CheckpointSaveError
  from wgan_jax.config import ConfigError
  from wgan_jax.data import DataError
  from wgan_jax.rundir import WorkdirBusyError
  from wgan_jax.train import NonFiniteLossError, train

  if _COORDINATOR.value or _NUM_PROCESSES.value:
    # CPU processes need a collectives backend to talk to each other; GPUs and TPUs ignore this.
    if not os.environ.get("JAX_CPU_COLLECTIVES_IMPLEMENTATION"):
      jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=_COORDINATOR.value,
                               num_processes=_NUM_PROCESSES.value, process_id=_PROCESS_ID.value)
  exit_codes = ((WorkdirBusyError, cli.WORKDIR_BUSY), (NonFiniteLossError, cli.DIVERGED),
                (CheckpointSaveError, cli.SAVE_FAILED), (ConfigError, cli.USAGE_ERROR),
                (DataError, cli.USAGE_ERROR), (CheckpointMismatchError, cli.USAGE_ERROR),
                (ValueError, cli.USAGE_ERROR))
  try:
    result = train(_CONFIG.value, _WORKDIR.value, _ALLOW_CONFIG_CHANGE.value)
  except tuple(kind for kind, _ in exit_codes) as error:
    print(f"error: {error}", file=sys.stderr)
    return next(code for kind, code in exit_codes if isinstance(error, kind))
  if result["stopped_by"]:
    if jax.process_index() == 0:
      print(f"Stopped by {result['stopped_by']} at generator iteration {result['step']} with a "
            f"checkpoint saved; run the same command again to resume.", file=sys.stderr)
    return cli.INTERRUPTED
  if jax.process_index() == 0:
    print(f"Finished at generator iteration {result['step']}; outputs in {_WORKDIR.value}")
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
