"""Checkpoints with orbax: async saves every K steps, keep the last N, resume from the newest.

orbax writes each step to a temporary directory and renames it when complete, so an
interrupted save never replaces a good checkpoint. `poll()` turns a save that failed in the
background (a full disk, a permission error) into an error at the next step, not at the next
save, and removes what the failed save left.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from typing import Any

import jax

from wgan_jax.errors import RunDirError
from wgan_jax.extras import train_extra
from wgan_jax.outputs import cause

with train_extra(__name__):
  import orbax.checkpoint as ocp
  from etils import epath  # orbax's path type

class CheckpointSaveError(RuntimeError):
  """A checkpoint could not be written; the previous complete checkpoints are kept."""


class CheckpointMismatchError(RunDirError):
  """A checkpoint does not fit the state the config builds (other shapes or structure)."""


class CheckpointDamagedError(RunDirError):
  """A checkpoint's files are missing, truncated or corrupt; the message names its folder."""


class Checkpointer:
  """A thin wrapper over `ocp.CheckpointManager` for one pytree (the `GANState`).

  `read_only=True` (for sampling and evaluation) neither creates nor cleans anything.
  Otherwise the caller must hold the run directory's lock: unfinished saves left by a
  killed trainer are removed when the checkpointer opens.
  """

  def __init__(self, directory: str, keep: int = 3, async_save: bool = True,
               read_only: bool = False):
    self.directory = os.path.abspath(directory)
    self._keep = keep
    # Old checkpoints are removed here, once a newer one is known complete (orbax would remove
    # them as a save starts, so a failed save could leave none).
    # Unfinished saves are removed here, before the manager reads the directory: orbax's own
    # cleanup runs in a background thread that a trainer refusing its config at once would
    # leave to fail at interpreter shutdown.
    if not read_only:
      self._remove_unfinished()
    options = ocp.CheckpointManagerOptions(
        max_to_keep=None, create=not read_only, read_only=read_only,
        save_interval_steps=0 if read_only else 1, cleanup_tmp_directories=False,
        enable_async_checkpointing=async_save and not read_only)
    self._options = options
    self._manager = ocp.CheckpointManager(self.directory, options=options)
    self._pending: int | None = None  # the step of a save that may still be in flight

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return list(self._manager.all_steps())

  def save(self, step: int, state: Any, config: dict[str, Any] | None = None) -> None:
    """Starts saving `state` (an unreplicated pytree) as `step`, with the JSON `config` it was
    trained with in the step's metadata; returns before it is written."""
    self.wait()
    try:
      self._manager.save(step, args=ocp.args.StandardSave(_as_saved(state)), force=True,
                         custom_metadata={"config": config} if config is not None else None)
    except OSError as error:
      self._fail(step, error)
    self._pending = step

  def poll(self) -> None:
    """Raises `CheckpointSaveError` if the last save has finished and failed; never blocks."""
    if self._pending is not None and not self._manager.is_saving_in_progress():
      self.wait()

  def wait(self) -> None:
    """Blocks until the last save is complete; raises `CheckpointSaveError` if it failed."""
    if self._pending is None:
      return
    step, self._pending = self._pending, None
    try:
      self._manager.wait_until_finished()
    except Exception as error:  # noqa: BLE001 -- reported with its cause below
      self._fail(step, error)
    self._manager.reload()
    if step not in self._manager.all_steps():
      self._fail(step, None)
    for old in sorted(self._manager.all_steps())[:-self._keep]:
      self._manager.delete(old)

  def _remove_unfinished(self, step: int | None = None) -> None:
    """Removes the temporary folders of saves that never completed (of `step`, or all)."""
    if not os.path.isdir(self.directory):
      return
    prefix = f"{step}." if step is not None else ""
    for name in os.listdir(self.directory):
      if name.startswith(prefix) and ".orbax-checkpoint-tmp" in name:
        shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)

  def _fail(self, step: int, error: BaseException | None) -> None:
    self._remove_unfinished(step)  # what the failed save left
    detail = cause(error) if error else "it was not finalised"
    kept = self.all_steps()
    raise CheckpointSaveError(
        f"Saving the checkpoint of step {step} in {self.directory} failed: {detail}. Training "
        f"stopped; the complete checkpoints are kept ({_steps(kept)}). Fix the cause, then run "
        f"the same command again to resume from step {max(kept) if kept else 0}.") from error

  def saved_config(self, step: int | None = None) -> dict[str, Any] | None:
    """The config saved with the newest (or given) step; None for checkpoints saved without."""
    step = self.latest_step() if step is None else step
    try:
      metadata = self._manager.metadata(step).custom_metadata or {}
    except Exception:  # noqa: BLE001 -- unreadable or absent step metadata: no config
      return None
    return metadata.get("config")

  def restore(self, target: Any, step: int | None = None) -> Any:
    """Restores the newest (or given) step into the structure and shapes of `target`.

    A checkpoint that does not fit `target` (another architecture or optimizer) is refused
    with `CheckpointMismatchError` naming the differing arrays, before anything is read; one
    whose files are damaged with `CheckpointDamagedError` naming the folder to delete. The
    newest step removed while it is read (a trainer pruning old checkpoints beside a reader)
    is replaced by the newest complete one, once.
    """
    newest = step is None
    step = self.latest_step() if newest else step
    try:
      return self._restore(target, step)
    except CheckpointMismatchError:
      raise
    except Exception as error:  # noqa: BLE001 -- orbax and TensorStore raise many kinds
      folder = os.path.join(self.directory, str(step))
      if newest and not os.path.isdir(folder):
        # A fresh manager: one whose read failed keeps that step's layout.
        self._manager.close()
        self._manager = ocp.CheckpointManager(self.directory, options=self._options)
        if self.latest_step() is not None and self.latest_step() != step:
          return self._restore(target, self.latest_step())
      earlier = [s for s in self.all_steps() if s != step]
      raise CheckpointDamagedError(
          f"The checkpoint of step {step} cannot be read ({_first_line(error)}): its files in "
          f"{folder} are missing or damaged. Delete that folder to use an earlier checkpoint "
          f"({_steps(earlier)}).") from None

  def _restore(self, target: Any, step: int) -> Any:
    abstract = jax.tree_util.tree_map(ocp.utils.to_shape_dtype_struct, _as_saved(target))
    differences = self._differences(step, abstract)
    if differences:
      raise CheckpointMismatchError(
          f"The checkpoint of step {step} in {self.directory} does not fit the networks and "
          f"optimizers this config builds ({'; '.join(differences[:5])}"
          f"{'; ...' if len(differences) > 5 else ''}). It was trained with another "
          f"architecture or optimizer: use the config it was trained with, or a new workdir.")
    restored = self._manager.restore(step, args=ocp.args.StandardRestore(abstract))
    return target.replace(**restored) if dataclasses.is_dataclass(target) else restored

  def _differences(self, step: int, abstract: Any) -> list[str]:
    """How the arrays saved at `step` differ from `abstract` (names and shapes)."""
    try:
      saved = ocp.StandardCheckpointHandler().metadata(
          epath.Path(self.directory) / str(step) / "default")
    except Exception:  # noqa: BLE001 -- unreadable metadata: orbax's restore will say why
      return []
    saved, wanted = _shapes_by_name(saved), _shapes_by_name(abstract)
    differences = [f"{name}: saved {saved[name]}, built {wanted[name]}"
                   for name in sorted(saved.keys() & wanted.keys(), key=_params_first) if saved[name] != wanted[name]]
    differences += [f"{name} only in the checkpoint" for name in sorted(saved.keys() - wanted.keys())]
    differences += [f"{name} not in the checkpoint" for name in sorted(wanted.keys() - saved.keys())]
    return differences

  def close(self) -> None:
    try:
      self.wait()
    finally:
      self._manager.close()


def _as_saved(state: Any) -> Any:
  """A dataclass state as the dict of its fields that are not None.

  Parts a run does not use (`GANState.generator_ema`, ...) are None and are left out, so a
  checkpoint written before such a part existed and one written without it have the same
  layout, and each restores into the other's state.
  """
  if not dataclasses.is_dataclass(state):
    return state
  return {f.name: getattr(state, f.name) for f in dataclasses.fields(state)
          if getattr(state, f.name) is not None}


def _shapes_by_name(tree: Any) -> dict[str, tuple[int, ...]]:
  """`{"critic_params.mlp.hidden_0.kernel": shape, ...}` for a state or its saved metadata."""
  def name(path):
    return ".".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path)
  return {name(path): tuple(leaf.shape) for path, leaf in jax.tree_util.tree_leaves_with_path(tree)}


def _params_first(name: str) -> tuple[bool, str]:
  return "opt_state" in name, name


def _first_line(error: BaseException) -> str:
  text = str(error).strip().splitlines()
  line = text[0] if text else type(error).__name__
  return line if len(line) <= 160 else line[:157] + "..."


def _steps(steps: list[int]) -> str:
  return "steps " + ", ".join(map(str, steps)) if steps else "none yet"
