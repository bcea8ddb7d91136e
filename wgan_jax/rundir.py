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

from wgan_jax.errors import RunDirError

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


class WorkdirBusyError(RuntimeError):
  """Another live trainer holds the run directory."""


class ConfigChangedError(RunDirError):
  """A resume asked for a config that differs from the one the checkpoints were trained with."""


def _now() -> str:
  return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


class WorkdirLock:
  """An exclusive lock on a run directory, released when the process ends however it ends.

  The lock is the kernel's `flock` on `train.lock`, so a killed trainer cannot leave a lock
  that blocks the next one; the file's contents (host, pid, start time) only name the holder.
  Finding contents while acquiring means the previous holder died without releasing:
  `stale_holder` then describes it.
  """

  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, LOCK_FILE)
    self.stale_holder: str | None = None
    self._fd: int | None = None

  def __enter__(self) -> "WorkdirLock":
    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = _describe(os.pread(fd, 4096, 0))
      os.close(fd)
      raise WorkdirBusyError(
          f"{os.path.dirname(self.path)} is in use by another trainer ({holder}). Wait for it "
          f"to finish or stop it, or train in another --workdir.") from None
    previous = os.pread(fd, 4096, 0)
    if previous.strip():
      self.stale_holder = _describe(previous)
    record = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "since": _now()})
    os.ftruncate(fd, 0)
    os.pwrite(fd, (record + "\n").encode(), 0)
    self._fd = fd
    return self

  def __exit__(self, *exc) -> None:
    if self._fd is not None:
      os.ftruncate(self._fd, 0)  # emptied, not removed: a removed file could be locked twice
      fcntl.flock(self._fd, fcntl.LOCK_UN)
      os.close(self._fd)
      self._fd = None


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


def _as_json(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The config as `config.json` stores it (tuples become lists, and so on)."""
  return json.loads(config.to_json_best_effort())


def flat_settings(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The config as `config.json` stores it, flattened to dotted keys."""
  return _flatten(_as_json(config))


ABSENT = "<absent>"  # the value a flattened config has for a key it lacks


def setting_differences(old: Mapping[str, Any],
                        new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
  """`{dotted key: (old value, new value)}` for every key whose value differs between two
  flattened configs, `ABSENT` standing for a key one of them lacks."""
  return {key: (old.get(key, ABSENT), new.get(key, ABSENT))
          for key in sorted(old.keys() | new.keys())
          if old.get(key, ABSENT) != new.get(key, ABSENT)}


def saved_config(workdir: str) -> dict[str, Any] | None:
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


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


def write_config(workdir: str, config: ml_collections.ConfigDict) -> None:
  _atomic_write(os.path.join(workdir, CONFIG_FILE), config.to_json_best_effort(indent=2))


def check_vocabulary(workdir: str, vocabulary) -> None:
  """Text runs: refuses a resume whose data now gives other character ids than the run's
  `vocabulary.json` (the checkpoint's embeddings would mean other characters)."""
  from wgan_jax.data.text import VOCABULARY_FILE, Vocabulary

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
  from wgan_jax.data.text import VOCABULARY_FILE

  if vocabulary is not None:
    path = os.path.join(workdir, VOCABULARY_FILE)
    _atomic_write(path, vocabulary.to_json())


# ----------------------------------------------------------------------------- logs


def record(workdir: str, event: str, step: int, **details: Any) -> None:
  """Appends one event (`start`, `resume`) to the run's history."""
  entry = {"time": _now(), "event": event, "step": step, "host": socket.gethostname(),
           "pid": os.getpid(), **details}
  with open(os.path.join(workdir, HISTORY_FILE), "a") as f:
    f.write(json.dumps(entry, default=str) + "\n")


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
  temporary = f"{path}.tmp-{os.getpid()}"
  with open(temporary, "w") as f:
    f.write(text)
    f.flush()
    os.fsync(f.fileno())
  os.replace(temporary, path)
