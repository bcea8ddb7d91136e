"""Train a GAN: `python -m wgan_jax.train --config NAME[:ARGS] --workdir DIR [--config.KEY=VALUE ...]`.

NAME is a shipped config (`wgan_gp_cifar:wgan`, `wgan_jax.configs.wgan_gp_cifar:wgan`) or a
config file (`configs/wgan_gp_cifar.py:wgan`). With no --config it runs the embedded default
(WGAN-GP on 8 Gaussians, a few minutes on 2 CPU cores). Re-running the same command resumes
from the newest checkpoint in DIR.
Exit codes: 0 finished, 1 an unexpected error (with its traceback), 2 a bad command line,
config or data, 3 diverged, 4 DIR in use by another trainer, 5 a checkpoint or sample could not
be written, 75 stopped by a signal with a checkpoint saved, 128+N stopped by signal N before
training started or by a second signal before the save.
Several hosts: pass --coordinator_address, --num_processes and --process_id (or set them in the
environment that `jax.distributed.initialize` reads).
"""

from __future__ import annotations

import os
import sys

from absl import flags

from wgan_jax import configs
from wgan_jax.commands import common


def _define_flags(flag_values: flags.FlagValues, argv: list[str]) -> dict:
  return {
      "config": common.define_config_file(
          "config", configs.CONFIG_DIR / "default.py",
          "Experiment config: a shipped config's name or a config file, optionally with :ARGS.",
          flag_values, argv),
      "workdir": flags.DEFINE_string("workdir", "runs/default",
                                     "Directory for logs, samples and checkpoints.",
                                     flag_values=flag_values),
      "coordinator_address": flags.DEFINE_string(
          "coordinator_address", None, "host:port of process 0 (multi-host).",
          flag_values=flag_values),
      "num_processes": flags.DEFINE_integer("num_processes", None,
                                            "Number of processes (multi-host).",
                                            flag_values=flag_values),
      "process_id": flags.DEFINE_integer("process_id", None, "This process's index (multi-host).",
                                         flag_values=flag_values),
      "allow_config_change": flags.DEFINE_boolean(
          "allow_config_change", False,
          "Resume a run in --workdir under a config that differs from its saved one (the change "
          "is recorded in the run's history.jsonl); without it such a resume is refused.",
          flag_values=flag_values),
      "start_over": flags.DEFINE_boolean(
          "start_over", False,
          "Begin a new run in a --workdir that holds an earlier run's logs but no checkpoints; "
          "the earlier run's files are moved to DIR/replaced-TIME/. Without it such a "
          "directory is refused.", flag_values=flag_values),
  }


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  given = _define_flags(flag_values, argv)
  common.parse_flags(argv, flag_values, __doc__)
  common.quiet_logs()
  # Imported once the flags are parsed, so --help and a bad flag answer at once.
  import jax

  from wgan_jax.checkpoint import CheckpointSaveError
  from wgan_jax.errors import UserError
  from wgan_jax.outputs import OutputError
  from wgan_jax.rundir import WorkdirBusyError
  from wgan_jax.train import NonFiniteLossError, StoppedBySignal, train

  if given["coordinator_address"].value or given["num_processes"].value:
    # CPU processes need a collectives backend to talk to each other; GPUs and TPUs ignore this.
    if not os.environ.get("JAX_CPU_COLLECTIVES_IMPLEMENTATION"):
      jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=given["coordinator_address"].value,
                               num_processes=given["num_processes"].value,
                               process_id=given["process_id"].value)
  # A mistake the user can fix (config, data, run directory) is one line and exit code 2; any
  # other exception is a bug or an environment failure: its traceback, exit code 1.
  exit_codes = ((WorkdirBusyError, common.WORKDIR_BUSY), (NonFiniteLossError, common.DIVERGED),
                (CheckpointSaveError, common.SAVE_FAILED), (OutputError, common.SAVE_FAILED),
                (UserError, common.USAGE_ERROR))
  workdir = given["workdir"].value
  try:
    result = train(given["config"].value, workdir, given["allow_config_change"].value,
                   given["start_over"].value)
  except tuple(kind for kind, _ in exit_codes) as error:
    return common.refuse(error, next(code for kind, code in exit_codes if isinstance(error, kind)))
  except StoppedBySignal as stopped:
    if stopped.before_training:
      print(f"Stopped by {stopped.signal_name} before training started; no checkpoint was "
            f"written.", file=sys.stderr)
    else:
      print(f"Stopped by a second {stopped.signal_name} without saving; the earlier "
            f"checkpoints in {workdir} are kept.", file=sys.stderr)
    return 128 + stopped.signal_number
  if result["stopped_by"]:
    if jax.process_index() == 0:
      print(f"Stopped by {result['stopped_by']} at generator iteration {result['step']} with a "
            f"checkpoint saved; run the same command again to resume.", file=sys.stderr)
    return common.INTERRUPTED
  if jax.process_index() == 0:
    print(f"Finished at generator iteration {result['step']}; outputs in {workdir}")
  return 0


def run() -> None:
  try:
    code = main()
  except KeyboardInterrupt:  # Ctrl-C before the trainer handles signals (while importing)
    print("Stopped by SIGINT before training started; no checkpoint was written.",
          file=sys.stderr)
    code = 128 + 2
  sys.exit(code)


if __name__ == "__main__":
  run()
