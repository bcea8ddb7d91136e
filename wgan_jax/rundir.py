"""What the run directory promises: one trainer at a time, a config that matches its
checkpoints, and a metrics log that reads as one run.

  train.lock      held (flock) by the trainer writing here; names its host and pid
  config.json     the config the checkpoints were trained with
  history.jsonl   one line per start or resume: when, where, from which step, what changed
  metrics.jsonl   one line per logged step; on resume the rows after the restored step go
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import socket
from typing import Any, Mapping

import ml_collections

from wgan_jax.data.text import VOCABULARY_FILE, Vocabulary
from wgan_jax.errors import RunDirError
from wgan_jax.outputs import cause, written_whole

LOCK_FILE = "train.lock"
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.jsonl"
METRICS_FILE = "metrics.jsonl"

# Keys that change how a run is watched or how long it lasts, not what it trains: a resume may
# change them freely (for example a longer num_steps to extend a finished run).
FREE_KEYS = frozenset({"num_steps", "log_every", "checkpoint_every", "sample_every",
                       "keep_checkpoints", "num_sample_images", "donate_state",
                       "model.conv_lowering", "parallelism"})
FREE_PREFIXES = ("eval.",)

# Keys that cannot change what a run trains, logs or draws: how often it is watched or saved,
# where its data files lie, how the work is laid out. A figure drawn from a run is still current
# when only these changed (`python -m wgan_jax.reproduce --stale`).
OUTCOME_FREE_KEYS = frozenset({
    "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "donate_state",
    "parallelism", "model.conv_lowering", "eval.every", "eval.batch_size", "data.path",
    "data.tfds_data_dir", "data.download", "data.verify_images"})

# What an unchanged config trains to. Raised with every change to the library that makes an
# unchanged config train to different numbers or draw different samples (tests/test_revision.py
# fails until it is). Each run's history records it, so figures drawn from runs of an older
# revision are found stale.
#   1: the first releases: a clipped critic took its first gradient at its unclipped weights,
#      and samples were drawn with the generator's running BatchNorm statistics.
#   2: the critic is clipped before each pass as well as after each update, as the official
#      WGAN code clamps; samples use each batch's own statistics, as both official codes do.
TRAINING_REVISION = 2


class WorkdirBusyError(RuntimeError):
  """Another live trainer holds the run directory."""


class LockLostError(WorkdirBusyError):
  """The run directory this trainer locked was moved or replaced while it trained."""


class ConfigChangedError(RunDirError):
  """A resume asked for a config that differs from the one the checkpoints were trained with."""


def _now() -> str:
  return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


class WorkdirLock:
  """An exclusive lock on a run directory, released when the process ends however it ends.

  The lock is the kernel's `flock` on the directory itself, so neither a killed trainer nor a
  deleted `train.lock` lets a second trainer in; `train.lock` only names the holder (host, pid,
  start time) and is emptied on release. Finding it filled while acquiring means the previous
  holder died without releasing: `stale_holder` then describes it. `check()` confirms, before
  the trainer writes shared files, that the directory it locked is still the one at its path.
  """

  def __init__(self, workdir: str):
    self.workdir = workdir
    self.path = os.path.join(workdir, LOCK_FILE)
    self.stale_holder: str | None = None
    self._fd: int | None = None
    self._record = b""

  def __enter__(self) -> "WorkdirLock":
    fd = os.open(self.workdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      os.close(fd)
      raise WorkdirBusyError(
          f"{self.workdir} is in use by another trainer ({_describe(_read(self.path))}). Wait "
          f"for it to finish or stop it, or train in another --workdir.") from None
    previous = _read(self.path)
    if previous.strip():
      self.stale_holder = _describe(previous)
    self._record = (json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                "since": _now()}) + "\n").encode()
    self._fd = fd
    self._write_record()
    return self

  def _write_record(self) -> None:
    with open(self.path, "wb") as f:
      f.write(self._record)

  def check(self) -> None:
    """Raises `LockLostError` if the locked directory is no longer at its path (moved, or
    deleted and made again); puts back a deleted `train.lock`."""
    try:
      same = os.path.samestat(os.fstat(self._fd), os.stat(self.workdir))
    except FileNotFoundError:
      same = False
    if not same:
      raise LockLostError(
          f"{self.workdir} is no longer the directory this trainer locked (it was moved or "
          f"deleted while training); stopped without writing there. Its checkpoints are where "
          f"the directory went.")
    if not os.path.exists(self.path):
      self._write_record()

  def __exit__(self, *exc) -> None:
    if self._fd is not None:
      try:
        if os.path.exists(self.path) and _read(self.path) == self._record:
          with open(self.path, "wb"):
            pass  # emptied: the next trainer finds no stale holder
      finally:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def _read(path: str) -> bytes:
  try:
    with open(path, "rb") as f:
      return f.read(4096)
  except OSError:
    return b""


def _describe(record: bytes) -> str:
  try:
    holder = json.loads(record.decode())
    return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
  except (ValueError, KeyError, UnicodeDecodeError):
    return "holder unknown"


# ----------------------------------------------------------------------------- config


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
  flat = {}
  for key, value in tree.items():
    if isinstance(value, Mapping):
      flat.update(_flatten(value, f"{prefix}{key}."))
    else:
      flat[f"{prefix}{key}"] = value
  return flat


def config_json(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The config as `config.json` stores it (tuples become lists, and so on)."""
  return json.loads(config.to_json_best_effort())


def flat_settings(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The config as `config.json` stores it, flattened to dotted keys."""
  return _flatten(config_json(config))


ABSENT = "<absent>"  # the value a flattened config has for a key it lacks


def outcome_settings(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The flattened settings that can change what the run trains, logs or draws."""
  return {key: value for key, value in flat_settings(config).items()
          if key not in OUTCOME_FREE_KEYS}


def setting_differences(old: Mapping[str, Any],
                        new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
  """`{dotted key: (old value, new value)}` for every key whose value differs between two
  flattened configs, `ABSENT` standing for a key one of them lacks."""
  return {key: (old.get(key, ABSENT), new.get(key, ABSENT))
          for key in sorted(old.keys() | new.keys())
          if old.get(key, ABSENT) != new.get(key, ABSENT)}


def saved_config(workdir: str) -> dict[str, Any] | None:
  """The run's `config.json`, None if there is none; an unreadable one is a `RunDirError`."""
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(path):
    return None
  try:
    with open(path, encoding="utf-8") as f:
      saved = json.load(f)
  except (ValueError, UnicodeDecodeError) as error:
    raise RunDirError(f"{path} is not the JSON config a trainer writes ({error}). Put back the "
                      f"original, or delete it: a rerun then reads the config saved with the "
                      f"newest checkpoint.") from None
  if not isinstance(saved, dict):
    raise RunDirError(f"{path} holds {type(saved).__name__}, not a config. Put back the "
                      f"original, or delete it: a rerun then reads the config saved with the "
                      f"newest checkpoint.")
  return saved


def config_changes(saved: Mapping[str, Any],
                   config: ml_collections.ConfigDict) -> dict[str, tuple[Any, Any]]:
  """`{key: (saved value, new value)}` for every key that changes what the run trains.

  Keys in `FREE_KEYS` or under `FREE_PREFIXES` may change. A key the saved config lacks is
  an option newer than the run; it counts as unchanged.
  """
  return {key: change for key, change in setting_differences(_flatten(saved),
                                                            flat_settings(config)).items()
          if key not in FREE_KEYS and not key.startswith(FREE_PREFIXES) and change[0] != ABSENT}


def refuse_changes(workdir: str, changes: Mapping[str, tuple[Any, Any]]) -> None:
  """Raises `ConfigChangedError` listing `changes` and the two ways forward."""
  lines = "\n".join(f"  {key}: {old!r} -> {new!r}" for key, old, new in
                    ((k, *v) for k, v in changes.items()))
  raise ConfigChangedError(
      f"{workdir} holds a run trained with a different config; resuming it would mix two "
      f"experiments. Changed keys (saved -> now):\n{lines}\nEither train in a new --workdir, or "
      f"rerun with --allow_config_change to continue this run under the new config (the change "
      f"is recorded in {HISTORY_FILE}).")


def refuse_unknown_config(workdir: str, step: int) -> None:
  """Raises `RunDirError`: checkpoints whose config is neither in config.json nor saved with
  them (checkpoints written before configs were saved with each one)."""
  raise RunDirError(
      f"{workdir} has checkpoints but no {CONFIG_FILE}, and its newest checkpoint (step {step}) "
      f"was saved without its config, so nothing says what it was trained with. Put back "
      f"{CONFIG_FILE}, or rerun with --allow_config_change to resume it under this config "
      f"(recorded in {HISTORY_FILE}).")


def write_config(workdir: str, config: ml_collections.ConfigDict) -> None:
  _atomic_write(os.path.join(workdir, CONFIG_FILE), config.to_json_best_effort(indent=2))


def check_vocabulary(workdir: str, vocabulary) -> None:
  """Text runs: refuses a resume whose data now gives other character ids than the run's
  `vocabulary.json` (the checkpoint's embeddings would mean other characters)."""
  path = os.path.join(workdir, VOCABULARY_FILE)
  if vocabulary is None or not os.path.exists(path):
    return
  saved = Vocabulary.load(path)
  if saved != vocabulary:
    raise ConfigChangedError(
        f"The text data now gives a different vocabulary ({len(vocabulary)} symbols, sequences "
        f"of {vocabulary.seq_len}) from the one {workdir} was trained with ({len(saved)} "
        f"symbols, sequences of {saved.seq_len}, in {path}). Point --config.data.path at the "
        f"text the run was trained on, or train in a new --workdir.")


def write_vocabulary(workdir: str, vocabulary) -> None:
  """Saves a text run's vocabulary, so sampling decodes as training encoded."""
  if vocabulary is not None:
    path = os.path.join(workdir, VOCABULARY_FILE)
    _atomic_write(path, vocabulary.to_json())


# ----------------------------------------------------------------------------- logs

# What a run writes beside its checkpoints: set aside together when a run is begun again.
RUN_FILES = (CONFIG_FILE, HISTORY_FILE, METRICS_FILE, VOCABULARY_FILE, "samples", "tensorboard")


def check_logs(workdir: str) -> None:
  """Refuses a metrics log or history that is not UTF-8 text, naming it, before anything is
  built (a rerun would otherwise fail on it only after compiling)."""
  for name in (METRICS_FILE, HISTORY_FILE):
    path = os.path.join(workdir, name)
    if not os.path.exists(path):
      continue
    try:
      with open(path, encoding="utf-8") as f:
        f.read()
    except UnicodeDecodeError as error:
      raise RunDirError(
          f"{path} is not UTF-8 text (byte {error.start} cannot be decoded): it was damaged. "
          f"Move it aside to continue the run without it, or put back a good copy.") from None


def has_history(workdir: str) -> bool:
  """Whether an earlier run logged here (a start, a resume or a metrics row)."""
  return any(os.path.exists(path) and os.path.getsize(path) > 0
             for path in (os.path.join(workdir, HISTORY_FILE),
                          os.path.join(workdir, METRICS_FILE)))


def refuse_history_without_checkpoints(workdir: str) -> None:
  """Raises `RunDirError`: a directory with an earlier run's logs and no checkpoint to resume
  (deleted, or the run stopped before its first save)."""
  history = os.path.join(workdir, HISTORY_FILE)
  started = ""
  if os.path.exists(history):
    lines = [line for line in _read_lines(history) if line.strip()]
    if lines:
      try:
        started = f" (started {json.loads(lines[0]).get('time', '?')}, {len(lines)} starts)"
      except ValueError:
        started = ""
  raise RunDirError(
      f"{workdir} holds an earlier run's logs{started} but no checkpoint to resume (deleted, or "
      f"the run stopped before its first save). Rerun with --start_over to begin a new run there "
      f"(the earlier run's files are moved to {workdir}/replaced-TIME/), or train in a new "
      f"--workdir.")


def set_aside(workdir: str) -> str:
  """Moves an earlier run's files (`RUN_FILES`) into `replaced-TIME/`; returns that path."""
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
  target = os.path.join(workdir, f"replaced-{stamp}")
  suffix = 1
  while os.path.exists(target):
    target, suffix = os.path.join(workdir, f"replaced-{stamp}-{suffix}"), suffix + 1
  os.makedirs(target)
  for name in RUN_FILES:
    if os.path.exists(os.path.join(workdir, name)):
      os.rename(os.path.join(workdir, name), os.path.join(target, name))
  return target


def _read_lines(path: str) -> list[str]:
  with open(path, encoding="utf-8", errors="replace") as f:
    return f.readlines()



def record(workdir: str, event: str, step: int, **details: Any) -> None:
  """Appends one event (`start`, `resume`) to the run's history."""
  entry = {"time": _now(), "event": event, "step": step, "host": socket.gethostname(),
           "pid": os.getpid(), "training_revision": TRAINING_REVISION, **details}
  with open(os.path.join(workdir, HISTORY_FILE), "a") as f:
    f.write(json.dumps(entry, default=str) + "\n")


def training_revisions(workdir: str) -> list[int | None]:
  """The training revision of each start and resume in the run's history, oldest first; None
  for one recorded before revisions were."""
  path = os.path.join(workdir, HISTORY_FILE)
  if not os.path.exists(path):
    return []
  revisions = []
  for line in _read_lines(path):
    try:
      revisions.append(json.loads(line).get("training_revision"))
    except ValueError:  # a line cut short by a crash
      continue
  return revisions


def trim_metrics(workdir: str, step: int) -> int:
  """Drops the metrics rows logged after `step` (the state a resume restarts from); returns
  how many went. Rows after the restored checkpoint describe training that was lost."""
  path = os.path.join(workdir, METRICS_FILE)
  if not os.path.exists(path):
    return 0
  with open(path) as f:
    lines = f.readlines()
  kept = [line for line in lines if _row_step(line) is not None and _row_step(line) <= step]
  if len(kept) != len(lines):
    _atomic_write(path, "".join(kept))
  return len(lines) - len(kept)


def _row_step(line: str) -> int | None:
  try:
    return int(json.loads(line)["step"])
  except (ValueError, KeyError, TypeError):
    return None  # a torn last line from a killed run


def _atomic_write(path: str, text: str) -> None:
  with written_whole(path) as temporary, open(temporary, "w") as f:
    f.write(text)
    f.flush()
    os.fsync(f.fileno())


def prepare(workdir: str) -> None:
  """Makes `workdir` if needed; refuses an empty name, a path that is a file, and a directory
  this process cannot write, before anything else happens."""
  if not workdir:
    raise RunDirError("--workdir is empty: name the run's directory.")
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise RunDirError(f"--workdir {workdir} is a file, not a directory: name a directory.")
  try:
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, f".write-test-{os.getpid()}")
    with open(probe, "w"):
      pass
    os.remove(probe)
  except OSError as error:
    raise RunDirError(f"--workdir {workdir} cannot be written: {cause(error)}. Train in a "
                      f"directory you can write.") from None
