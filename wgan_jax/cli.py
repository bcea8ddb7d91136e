"""What the command-line scripts share: a flag parser that answers a bad command line in one line.

A misspelt `--config.KEY`, a value of the wrong type, an unknown flag or a config file that does
not load stops the script with `error: ...` naming the problem and exit code 2 (`USAGE_ERROR`),
not with a traceback.
"""

from __future__ import annotations

import sys

from absl import flags
from ml_collections import config_flags

# Exit codes of the scripts (README: "Exit codes"). 1 is Python's own: an unexpected error.
USAGE_ERROR = 2  # a bad command line, config or data set, or a refused config change
DIVERGED = 3  # training went non-finite; the last finite checkpoint is kept
WORKDIR_BUSY = 4  # another trainer holds the run directory
SAVE_FAILED = 5  # a checkpoint could not be written; the complete ones are kept
INTERRUPTED = 75  # stopped by SIGTERM/SIGINT with a checkpoint saved: rerun to resume
#                   (75 is sysexits' EX_TEMPFAIL, "try again later")
_ERRORS = (flags.Error, AttributeError, KeyError, OSError, TypeError, ValueError)


def describe(error: BaseException) -> str:
  """One line for a flag or config error (tracebacks that config loading embeds are cut)."""
  while error.args and isinstance(error.args[0], BaseException):  # AttributeError(KeyError(...))
    error = error.args[0]
  text = str(error.args[0]) if error.args else str(error)
  lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
  if any(line.startswith("Traceback") for line in lines):
    lines = [lines[0], lines[-1]]
  if isinstance(error, (AttributeError, KeyError)) and lines:
    key = lines[0].strip("'\"")
    return f"unknown config key {key!r}" + (f": {' '.join(lines[1:])}" if lines[1:] else "")
  return " ".join(lines) or type(error).__name__


def _stop(error: BaseException):
  print(f"error: {describe(error)}", file=sys.stderr)
  print("The flags: --helpfull; a config's keys: its file under configs/.", file=sys.stderr)
  sys.exit(USAGE_ERROR)


def define_config_file(name: str, default: str | None, help_string: str,
                       flag_values: flags.FlagValues = flags.FLAGS):
  """`config_flags.DEFINE_config_file`, locked. It applies `--NAME.KEY=VALUE` overrides to the
  default config as soon as it is defined, so a bad override is answered here, in one line."""
  try:
    return config_flags.DEFINE_config_file(name, default, help_string, flag_values=flag_values,
                                           lock_config=True)
  except _ERRORS as error:
    _stop(error)


def define_sampling_flags(flag_values: flags.FlagValues = flags.FLAGS):
  """`--statistics` and `--sample_batch` of the scripts that sample a run (default: the run's
  `eval.sample_statistics` and `eval.sample_batch`)."""
  statistics = flags.DEFINE_enum(
      "statistics", None, ["batch", "running"],
      "BatchNorm statistics of the generator: 'batch' (each batch of --sample_batch samples "
      "normalised over itself, as in training and the official codes) or 'running' (the "
      "averages kept in training). Default: the run's eval.sample_statistics ('batch').",
      flag_values=flag_values)
  sample_batch = flags.DEFINE_integer(
      "sample_batch", None, "Samples generated together (the batch the statistics are taken "
      "over). Default: the run's eval.sample_batch, else its generator training batch.",
      lower_bound=1, flag_values=flag_values)
  return statistics, sample_batch


def parse_flags(argv: list[str], flag_values: flags.FlagValues = flags.FLAGS) -> list[str]:
  """`flag_values(argv)`, exiting with `USAGE_ERROR` and one line on stderr when it fails."""
  try:
    rest = flag_values(argv)
    for name in flag_values:  # a config file that failed to load raises only when first read
      value = flag_values[name].value
      if type(value).__module__.startswith("ml_collections"):
        value.keys()
    return rest
  except _ERRORS as error:
    _stop(error)
