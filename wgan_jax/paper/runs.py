"""A figure's training runs: trained once with the library's trainer, then read back.

A run lives in `workdir/LABEL-HASH`, HASH being that of its settings that differ from the
library's defaults, so a finished run is read back, an interrupted one resumes, a run shared by
several figures (WGAN Figs. 3-7 share eight) is trained once, and an option added later at its
default renames nothing.
"""

from __future__ import annotations

import dataclasses
import gc
import glob
import hashlib
import json
import os
import re

import jax
import ml_collections
import numpy as np

from wgan_jax import rundir
from wgan_jax.config import base_config
from wgan_jax.data import shapes, sources
from wgan_jax.evaluation import Evaluator
from wgan_jax.paper.provenance import note_run
from wgan_jax.train import train


@dataclasses.dataclass
class RunRecord:
  """A finished training run as the figures read it."""

  label: str
  config: ml_collections.ConfigDict
  directory: str
  metrics: list[dict]  # one per logged step, in step order; 'train_sec' summed over resumptions
  samples: dict[int, str]  # generator iteration -> sample grid PNG (or text file)

  def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of a logged metric."""
    rows = [m for m in self.metrics if key in m]
    return (np.array([m["step"] for m in rows]), np.array([m[key] for m in rows], np.float64))

  def final(self, prefix: str = "") -> dict[str, float]:
    """The last logged row's metrics whose names start with `prefix`."""
    last = self.metrics[-1] if self.metrics else {}
    return {k: v for k, v in last.items() if k.startswith(prefix)}


class RunInterrupted(RuntimeError):
  """A figure's training run stopped on a signal before its last step; no figure is drawn."""


def prepared_run(fig: ml_collections.ConfigDict, label: str,
                 quick: bool) -> ml_collections.ConfigDict:
  """Run `label` of figure config `fig`, with local data and the quick overrides applied.

  The figure's own settings reach its runs as references (`settings.follows`); here they are
  resolved into plain values.
  """
  run = ml_collections.ConfigDict(fig.runs[label].to_dict())
  run.lock()
  if fig.data_path and fig.local_source:  # '': the item's runs read generated data only
    run.data.source, run.data.path = fig.local_source, fig.data_path
  if quick:
    q = fig.quick
    run.num_steps = q.num_steps
    run.sample_every = run.checkpoint_every = q.sample_every
    run.log_every = q.log_every
    run.wgan_schedule = False
    if run.eval.every:
      run.eval.every = q.eval_every
    run.eval.num_samples = min(run.eval.num_samples, q.eval_samples)
    run.eval.num_reference = min(run.eval.num_reference, q.reference)
  return run


def run_directory(workdir: str, label: str, config: ml_collections.ConfigDict) -> str:
  """`workdir/LABEL-HASH`, HASH identifying the settings that differ from `base_config()`, so
  that an option added to the library later, at its default, does not rename finished runs."""
  differing = {key: value for key, (_, value) in rundir.setting_differences(
      rundir.flat_settings(base_config()), rundir.flat_settings(config)).items()}
  digest = hashlib.sha1(json.dumps(differing, sort_keys=True).encode()).hexdigest()[:8]
  return os.path.join(workdir, f"{label}-{digest}")


def read_metrics(path: str) -> list[dict]:
  """metrics.jsonl in step order, the last line kept per step, training time summed over resumes."""
  by_step: dict[int, dict] = {}
  offset, previous_raw = 0.0, None
  if not os.path.exists(path):
    return []
  with open(path) as f:
    for line in f:
      record = json.loads(line)
      raw = record.get("train_sec")
      if raw is not None:
        if previous_raw is not None and raw < previous_raw:  # a resumed run restarts its clock
          earlier = [m for s, m in by_step.items() if s < record["step"]]
          offset = max((m["train_sec"] for m in earlier), default=0.0)
        previous_raw = raw
        record["train_sec"] = raw + offset
      by_step[record["step"]] = record
  return [by_step[s] for s in sorted(by_step)]


def is_finished(directory: str, config: ml_collections.ConfigDict) -> bool:
  """Whether the run in `directory` has its last checkpoint and logged its last step."""
  metrics_path = os.path.join(directory, "metrics.jsonl")
  return (os.path.isdir(os.path.join(directory, "checkpoints", str(config.num_steps))) and
          any(m["step"] == config.num_steps for m in read_metrics(metrics_path)))


def older_revision(directory: str) -> bool:
  """Whether a start or resume of the run was by code of an older training revision (a run
  recorded before revisions were is not known to be)."""
  known = [r for r in rundir.training_revisions(directory) if r is not None]
  return bool(known) and min(known) < rundir.TRAINING_REVISION


def train_or_load(fig: ml_collections.ConfigDict, label: str, workdir: str,
                  quick: bool) -> RunRecord:
  """Trains run `label` to its last step (resuming if interrupted) and reads back its logs."""
  config = prepared_run(fig, label, quick)
  directory = run_directory(workdir, label, config)
  finished = is_finished(directory, config)
  if finished and older_revision(directory):
    moved = f"{directory}.revision-{min(rundir.training_revisions(directory))}"
    os.rename(directory, moved)
    print(f"{fig.name}/{label}: trained by an older training revision than the code's "
          f"({rundir.TRAINING_REVISION}); moved to {moved} and trained again", flush=True)
    finished = False
  note_run(fig, label, directory)
  print(f"{fig.name}/{label}: {'reusing ' if finished else ''}{directory}", flush=True)
  if not finished:
    try:
      # The directory is this run's by its config's hash: logs of an attempt that stopped before
      # its first checkpoint are moved aside and the run begins again.
      result = train(config, directory, start_over=True)
    finally:
      # Each run compiles its own programs, and XLA maps every one into memory; a study of many
      # runs in one process would otherwise exhaust the kernel's map limit (vm.max_map_count).
      jax.clear_caches()
      gc.collect()
    if result["step"] < config.num_steps:  # a stop signal: the figure would show a partial run
      raise RunInterrupted(
          f"{fig.name}/{label} stopped at step {result['step']} of {config.num_steps} "
          f"({result['stopped_by'] or 'a stop signal to another process'}); its checkpoint is "
          f"saved, and running the same command again resumes it.")
  samples = {int(re.findall(r"(\d+)\.(?:png|txt)$", p)[0]): p  # image grids or text
             for p in glob.glob(os.path.join(directory, "samples", "samples_*.*"))}
  return RunRecord(label, config, directory,
                   read_metrics(os.path.join(directory, "metrics.jsonl")), samples)


def _seconds_by_label(node, found: dict) -> dict:
  """`{label: training seconds}` of every run a figure's JSON describes."""
  if isinstance(node, dict):
    if "label" in node and node.get("train_sec") is not None:
      seconds = node["train_sec"]
      found[node["label"]] = seconds[-1] if isinstance(seconds, list) else seconds
    for value in node.values():
      _seconds_by_label(value, found)
  elif isinstance(node, list):
    for value in node:
      _seconds_by_label(value, found)
  return found


def progress(fig: ml_collections.ConfigDict, labels, workdir: str, quick: bool,
             previous: dict | None) -> str:
  """How much of a figure is left: its runs finished in `workdir`, and the training time the
  others took when the figure was last drawn (`previous`, its JSON, if at the same scale)."""
  left = [label for label in labels if not is_finished(
      run_directory(workdir, label, prepared_run(fig, label, quick)),
      prepared_run(fig, label, quick))]
  text = f"{len(labels)} runs, {len(labels) - len(left)} finished, {len(left)} to train"
  if previous and previous.get("quick") == quick and left:
    seconds = _seconds_by_label(previous, {})
    known = [seconds[label] for label in left if label in seconds]
    if known:
      text += (f"; these took {sum(known) / 60:.0f} min of training "
               f"{'' if len(known) == len(left) else f'({len(known)} of them) '}when last drawn"
               f" ({previous.get('machine', 'machine unknown')})")
  return text


def present_runs(fig: ml_collections.ConfigDict, labels) -> list[str]:
  """`labels` in the figure's order, less any run the config leaves out (the tests keep few)."""
  return [label for label in labels if label in fig.runs]


def sample_stages(record: RunRecord, wanted) -> list[int]:
  """The sample stages to show: the configured ones if the run has them, else up to four."""
  have = sorted(record.samples)
  chosen = [s for s in wanted if s in record.samples]
  if len(chosen) == len(wanted):
    return chosen
  return have[:: max(1, len(have) // 4)][-4:] if have else []


def last_samples(record: RunRecord | None) -> str | None:
  """The run's last sample file, if any."""
  return record.samples[max(record.samples)] if record is not None and record.samples else None


def run_summary(record: RunRecord) -> dict:
  """What a figure's JSON says of each run it draws."""
  c = record.config
  return {"label": record.label,
          "run": os.path.basename(record.directory),  # its directory under --workdir
          "objective": c.objective,
          "constraint": c.constraint.kind, "generator": c.model.generator.to_dict(),
          "critic": c.model.critic.to_dict(), "optimizer": c.optimizer.critic.to_dict(),
          "n_critic": c.n_critic, "wgan_schedule": c.wgan_schedule, "batch_size": c.batch_size,
          "num_steps": c.num_steps,
          "train_sec": record.metrics[-1].get("train_sec") if record.metrics else None}


def real_fid(record: RunRecord) -> float | None:
  """The FID held-out real images get against the run's reference set: its logged value, or
  computed here (from the cached features) for runs made before the trainer logged it."""
  logged = [m["fid_real_vs_real"] for m in record.metrics if "fid_real_vs_real" in m]
  if logged:
    return logged[-1]
  config = record.config
  source = sources.make_source(config.data, config.seed)
  return Evaluator(config.eval, config.data, source, shapes.declared_example_shape(config.data),
                   config.seed).real_fid()
