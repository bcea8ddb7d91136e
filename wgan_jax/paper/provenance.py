"""What made a figure, recorded in its JSON, and whether the code as it is would make it again.

`record` is written into every figure's JSON (`drawing.save_figure`): the item, the settings it
was drawn with and how they differ from the item's config (`--config.KEY=...`), every run it
draws with the settings that can change its result (as differences from the library's defaults,
recorded once) and the training revision of the code that trained it, the package version,
commit, machine and date.

`stale_reasons` rebuilds the item from today's config with the recorded overrides and data path,
and names every difference that can change the picture: a run's changed setting, a run trained
by an older training revision (`rundir.TRAINING_REVISION`), a run added or dropped, a changed
figure setting. Keys that cannot change a result (`rundir.OUTCOME_FREE_KEYS`: logging and
evaluation cadence, data location) do not count, nor does an option added to the library since,
left at its default.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import pathlib
import subprocess
from typing import Any, Mapping

import jax
import ml_collections

import wgan_jax
from wgan_jax import paper, rundir
from wgan_jax.config import base_config

_FIGURE_LEVEL_SKIPPED = ("runs.", "quick.")  # runs are compared one by one; quick via the runs
_UNCOMPARED = ("name", "data_path")  # the item itself; the data's place on the drawing machine

# Runs each figure config has read since it was last saved: {id(fig): (fig, {label: run
# directory, or None for a run trained in the figure's own process})}. Kept per config object,
# so a figure that stopped before saving leaves nothing in another one's record.
_READ: dict[int, tuple[ml_collections.ConfigDict, dict[str, str | None]]] = {}


def note_run(fig: ml_collections.ConfigDict, label: str, directory: str | None = None) -> None:
  """Marks run `label` as drawn by `fig` (trained in `directory`, or in this process)."""
  held, read = _READ.get(id(fig), (None, {}))
  if held is not fig:
    read = {}
  read[label] = directory
  _READ[id(fig)] = (fig, read)


def _flat(config: ml_collections.ConfigDict) -> dict[str, Any]:
  return rundir.flat_settings(config)


def _figure_settings(fig: ml_collections.ConfigDict) -> dict[str, Any]:
  return {key: value for key, value in _flat(fig).items()
          if not key.startswith(_FIGURE_LEVEL_SKIPPED) and key not in _UNCOMPARED}


def _overrides(fig: ml_collections.ConfigDict) -> dict[str, Any]:
  """The keys whose values differ from the item's config as shipped (`--config.KEY=...`): the
  figure's own, then those of its runs that these do not already explain."""
  shipped = paper.figure(fig.name).get_config()
  default, given = _flat(shipped), _flat(fig)
  figure_keys = {key: value for key, value in given.items()
                 if not key.startswith("runs.") and key not in _UNCOMPARED and key in default
                 and default[key] != value}
  _apply(shipped, figure_keys)
  following = _flat(shipped)
  return figure_keys | {key: value for key, value in given.items() if key.startswith("runs.")
                        and key in following and following[key] != value}


def _revision(directory: str | None) -> int | None:
  """The oldest training revision that trained the run (None: not recorded)."""
  if directory is None:
    return rundir.TRAINING_REVISION
  revisions = rundir.training_revisions(directory)
  return None if not revisions or None in revisions else min(revisions)


def _commit() -> str | None:
  """The git commit the package was loaded from, `+modified` if its code differs from it."""
  root = pathlib.Path(__file__).resolve().parents[2]
  git = ["git", "-C", str(root)]
  try:
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True,
                          timeout=20, check=True).stdout.strip()
    changed = subprocess.run(git + ["status", "--porcelain", "--", "wgan_jax", "configs"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
  except (OSError, subprocess.SubprocessError):
    return None  # an installed wheel: the package version says what made it
  return head + ("+modified" if changed.strip() else "")


def machine() -> str:
  """The device and host a figure was computed on."""
  import platform
  device = jax.devices()[0]
  return f"{device.platform} ({device.device_kind}), {os.cpu_count()} cores, {platform.machine()}"


def compact(settings: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
  """A run's settings as their differences from `defaults` (`ABSENT` for a default it lacks)."""
  differing = {key: value for key, value in settings.items()
               if defaults.get(key, rundir.ABSENT) != value}
  return differing | {key: rundir.ABSENT for key in defaults if key not in settings}


def expand(differing: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
  """The settings `compact` was given back."""
  settings = dict(defaults) | dict(differing)
  return {key: value for key, value in settings.items() if value != rundir.ABSENT}


def record(fig: ml_collections.ConfigDict, quick: bool) -> dict:
  """The provenance of figure `fig` as drawn now, from the runs it has read (`note_run`)."""
  from wgan_jax.paper.runs import prepared_run

  held, read = _READ.pop(id(fig), (None, {}))
  read = read if held is fig else {}
  defaults = rundir.outcome_settings(base_config())
  runs = {label: {"run": os.path.basename(directory) if directory else None,
                  "training_revision": _revision(directory),
                  "settings": compact(rundir.outcome_settings(prepared_run(fig, label, quick)),
                                      defaults)}
          for label, directory in sorted(read.items())}
  return {"item": fig.name, "quick": quick, "data_path": fig.get("data_path", ""),
          "overrides": _overrides(fig), "settings": _figure_settings(fig),
          "run_defaults": defaults, "runs": runs,
          "training_revision": rundir.TRAINING_REVISION, "package": wgan_jax.__version__,
          "commit": _commit(), "jax": jax.__version__, "machine": machine(),
          "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def _apply(config: ml_collections.ConfigDict, overrides: Mapping[str, Any]) -> list[str]:
  """Sets the recorded overrides (figure keys before run keys); names those that no longer
  apply."""
  missing = []
  for key in sorted(overrides, key=lambda k: (k.startswith("runs."), k)):
    *path, leaf = key.split(".")
    node = config
    try:
      for part in path:
        node = node[part]
      current = node[leaf]
    except (KeyError, AttributeError, TypeError):
      missing.append(key)
      continue
    value = overrides[key]
    if isinstance(current, tuple) and isinstance(value, list):
      value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    with config.unlocked():
      node[leaf] = value
  return missing


def drawn_runs(fig: ml_collections.ConfigDict, quick: bool = False) -> list[str]:
  """The runs item `fig` draws: its module's `drawn_runs`, else every run of its config."""
  module = paper.figure(fig.name)
  if hasattr(module, "drawn_runs"):
    return list(module.drawn_runs(fig, quick))
  return list(fig.runs) if "runs" in fig else []


def _differences(recorded: Mapping[str, Any], current: Mapping[str, Any],
                 defaults: Mapping[str, Any]) -> list[str]:
  """`KEY: OLD -> NEW` for each setting that differs; a key new since, at its default, is not
  a difference."""
  changes = []
  for key, (old, new) in rundir.setting_differences(recorded, current).items():
    if old == rundir.ABSENT and key in defaults and defaults[key] == new:
      continue
    changes.append(f"{key}: {json.dumps(old)} -> {json.dumps(new)}")
  return changes


def stale_reasons(data: Mapping[str, Any]) -> list[str]:
  """Why a figure's JSON `data` is not what the current code and configs would draw (empty:
  it is current)."""
  from wgan_jax.paper.runs import prepared_run

  if "provenance" not in data:
    return ["no provenance: drawn before figures recorded what made them"]
  made = data["provenance"]
  try:
    fig = paper.figure(made["item"]).get_config()
  except paper.UnknownFigure:
    return [f"{made['item']} is no longer an item"]
  reasons = [f"override {key} no longer exists" for key in _apply(fig, made["overrides"])]
  if "data_path" in fig and made["data_path"]:
    with fig.unlocked():
      fig.data_path = made["data_path"]
  reasons += [f"figure setting {change}" for change in
              _differences(made["settings"], _figure_settings(fig), {})]
  quick, recorded = made["quick"], made["runs"]
  if not recorded and made["training_revision"] != rundir.TRAINING_REVISION:  # trained in-process
    reasons.append(f"drawn by training revision {made['training_revision']}, the code trains "
                   f"as revision {rundir.TRAINING_REVISION}")
  expected = drawn_runs(fig, quick)
  reasons += [f"run {label} is in the config but not in the figure"
              for label in expected if label not in recorded]
  defaults = rundir.outcome_settings(base_config())
  for label, run in recorded.items():
    if label not in fig.get("runs", {}):
      reasons.append(f"run {label} is no longer in the config")
      continue
    if label not in expected:
      reasons.append(f"run {label} is no longer drawn")
    current = rundir.outcome_settings(prepared_run(fig, label, quick))
    settings = expand(run["settings"], made["run_defaults"])
    reasons += [f"run {label}: {change}" for change in _differences(settings, current, defaults)]
    revision = run["training_revision"]
    if revision != rundir.TRAINING_REVISION:
      reasons.append(f"run {label} was trained by training revision {revision}, the code "
                     f"trains as revision {rundir.TRAINING_REVISION}")
  return reasons


def figure_files(out_dir: str) -> list[str]:
  """Every figure JSON under `out_dir` (variants drawn with `--out` into subfolders too)."""
  found = []
  for path in sorted(glob.glob(os.path.join(out_dir, "**", "*.json"), recursive=True)):
    name = os.path.splitext(os.path.basename(path))[0]
    if name in paper.FIGURES:
      found.append(path)
  return found


def stale_figures(out_dir: str) -> dict[str, list[str]]:
  """{figure JSON path: reasons} for every stale figure under `out_dir`, and for every item
  with no JSON in `out_dir` itself."""
  stale = {}
  for path in figure_files(out_dir):
    with open(path) as f:
      reasons = stale_reasons(json.load(f))
    if reasons:
      stale[path] = reasons
  for name in paper.FIGURES:
    path = os.path.join(out_dir, f"{name}.json")
    if not os.path.exists(path):
      stale[path] = ["not drawn"]
  return stale
