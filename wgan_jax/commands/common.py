"""What the commands share: their exit codes, and flags that answer a bad command line in one line.

A misspelt `--config.KEY`, a value of the wrong type, an unknown flag or a config file that does
not load stops the command with `error: ...` naming the problem and exit code 2
(`USAGE_ERROR`), not with a traceback. `--help` prints the command's description and flags.
"""

from __future__ import annotations

import logging as pylogging
import os
import pathlib
import sys
from typing import Callable

from absl import flags, logging
from ml_collections import config_flags
from ml_collections.config_flags import config_flags as _config_file_flags

from wgan_jax import configs

# Exit codes of the commands (README: "Exit codes"). 1 is Python's own: an unexpected error.
USAGE_ERROR = 2  # a bad command line, config or data set, or a refused config change
DIVERGED = 3  # training went non-finite; the last finite checkpoint is kept
WORKDIR_BUSY = 4  # another trainer holds the run directory
SAVE_FAILED = 5  # a checkpoint or another output could not be written (nothing partial is left)
INTERRUPTED = 75  # stopped by SIGTERM/SIGINT with a checkpoint saved: rerun to resume
#                   (75 is sysexits' EX_TEMPFAIL, "try again later")
_ERRORS = (flags.Error, AttributeError, KeyError, OSError, TypeError, ValueError, SyntaxError,
           ImportError)
_HELP = ("--help", "-h", "--helpfull", "-?", "--helpshort")


def quiet_logs() -> None:
  """What a command owns in its process: TensorFlow's C++ log below warnings (read when it
  loads), absl's at warnings (orbax logs every save at INFO), and orbax's background threads'
  errors as one line (the command reports a failed save itself, with its cause)."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  logging.set_verbosity(logging.WARNING)
  absl_logger = logging.get_absl_logger()
  if not any(isinstance(f, OrbaxTracebacks) for f in absl_logger.filters):
    absl_logger.addFilter(OrbaxTracebacks())


class OrbaxTracebacks(pylogging.Filter):
  """Keeps orbax's error records but drops their tracebacks: a save failing in orbax's thread
  (a full disk) would otherwise print one before the trainer's own message says what failed."""

  def filter(self, record: pylogging.LogRecord) -> bool:
    if record.exc_info and f"{os.sep}orbax{os.sep}" in (record.pathname or ""):
      record.exc_info, record.exc_text = None, None
    return True


def describe(error: BaseException) -> str:
  """One line for a flag or config error (tracebacks that config loading embeds are cut)."""
  while error.args and isinstance(error.args[0], BaseException):  # AttributeError(KeyError(...))
    error = error.args[0]
  if isinstance(error, SyntaxError):
    return f"the config file {error.filename}, line {error.lineno}, is not valid Python: {error.msg}"
  if isinstance(error, ImportError):
    return f"the config file could not be loaded: {error}"
  text = str(error.args[0]) if error.args else str(error)
  lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
  if any(line.startswith("Traceback") for line in lines):
    lines = [lines[0], lines[-1]]
  if isinstance(error, (AttributeError, KeyError)) and lines:
    key = lines[0].strip("'\"")
    return f"unknown config key {key!r}" + (f": {' '.join(lines[1:])}" if lines[1:] else "")
  return " ".join(lines) or type(error).__name__


def refuse(error: BaseException, code: int = USAGE_ERROR) -> int:
  """Prints `error: MESSAGE` on stderr and returns `code`, for a command's `main` to return.

  After a damaged checkpoint, orbax's other reads of its files fail too, and asyncio logs each
  of those tasks ("Task exception was never retrieved", with its traceback) when it is
  collected, often at shutdown; they would bury the one line, so asyncio's log is silenced
  from here on (the command is ending).
  """
  print(f"error: {error}", file=sys.stderr, flush=True)
  if type(error).__name__ == "CheckpointDamagedError":
    pylogging.getLogger("asyncio").disabled = True
  return code


def stop(message: str, code: int = USAGE_ERROR):
  """Ends the command with `error: MESSAGE` on stderr and exit code `code`."""
  print(f"error: {message}", file=sys.stderr)
  sys.exit(code)


def _stop_on_flag_error(error: BaseException):
  print(f"error: {describe(error)}", file=sys.stderr)
  print("The flags: --help; a config's keys: its module in wgan_jax.configs (configs/ in the "
        "repository).", file=sys.stderr)
  sys.exit(USAGE_ERROR)


# The parser of a config file flag (named so since ml-collections 1.0; the old name stays).
_ConfigFileParser = (getattr(_config_file_flags, "ConfigFileFlagParser", None) or
                     _config_file_flags._ConfigFileParser)  # noqa: SLF001


class _ShippedConfigParser(_ConfigFileParser):
  """A config file flag that also takes a shipped config by name (`configs.resolve`)."""

  def __init__(self, name: str, resolve: Callable[[str], str]):
    super().__init__(name=name, lock_config=True)
    self._resolve = resolve

  def parse(self, path):
    return super().parse(self._resolve(path))


def define_config_file(name: str, default: str | pathlib.Path | None, help_string: str,
                       flag_values: flags.FlagValues, argv: list[str] | None = None,
                       resolve: Callable[[str], str] = configs.resolve):
  """`config_flags.DEFINE_config_file`, locked, on `flag_values`, taking `--NAME` as a file or
  as a name `resolve` turns into one. It applies `--NAME.KEY=VALUE` overrides (read from
  `argv`, default `sys.argv`) to the default config as soon as it is defined, so a bad
  override is answered here, in one line."""
  try:
    holder = config_flags.DEFINE_config_file(
        name, None if default is None else str(default), help_string, flag_values=flag_values,
        lock_config=True, sys_argv=argv)
  except _ERRORS as error:
    _stop_on_flag_error(error)
  flag_values[name].parser = _ShippedConfigParser(name, resolve)
  return holder


def define_sampling_flags(flag_values: flags.FlagValues):
  """`--statistics`, `--sample_batch` and `--ema` of the commands that sample a run (default:
  the run's `eval.sample_statistics` and `eval.sample_batch`, and its moving average)."""
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
  ema = flags.DEFINE_enum(
      "ema", None, ["true", "false"],
      "Sample the generator's moving average of weights ('true') or its trained weights "
      "('false'). Default: the average when the run keeps one (ema.decay > 0).",
      flag_values=flag_values)
  member = flags.DEFINE_integer(
      "member", None, "Of a population's run directory (population.size > 0): the member to "
      "sample, 0 .. size - 1.", lower_bound=0, flag_values=flag_values)
  return statistics, sample_batch, ema, member


def ema_choice(value: str | None) -> bool | None:
  """`--ema` as sampling takes it: True, False, or None for the run's default."""
  return None if value is None else value == "true"


def parse_flags(argv: list[str], flag_values: flags.FlagValues, doc: str = "",
                positional: bool = False) -> list[str]:
  """`flag_values(argv)`, exiting with `USAGE_ERROR` and one line on stderr when it fails;
  returns argv less the flags. Arguments other than flags are refused unless `positional`.

  `--help` prints `doc` and the flags, and exits 0.
  """
  if any(arg in _HELP for arg in argv[1:]):
    print(doc.strip() + "\n\nFlags:\n" + flag_values.get_help(include_special_flags=False))
    sys.exit(0)
  try:
    rest = flag_values(argv)
    for name in flag_values:  # a config file that failed to load raises only when first read
      value = flag_values[name].value
      if type(value).__module__.startswith("ml_collections"):
        value.keys()
  except _ERRORS as error:
    _stop_on_flag_error(error)
  if rest[1:] and not positional:
    stop(f"unexpected arguments {rest[1:]}; every setting is a --flag (see --help).")
  return rest


def config_name(flag_values: flags.FlagValues, name: str = "config") -> str:
  """The config flag's text as given (e.g. 'wgan_gp_cifar:wgan'), for records; '' if none."""
  if flag_values[name].value is None:
    return ""
  return flag_values[name].serialize().split("=", 1)[-1]
