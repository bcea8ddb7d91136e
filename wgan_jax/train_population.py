"""The trainer of a population (`config.population.size > 0`): N runs of one config as one
program, in one run directory.

The loop is the trainer's (`wgan_jax.train`): the same run directory promises (lock, config,
resume), signals, checkpoints and timing. What differs:
  metrics.jsonl    one row per member per logged step, with its index `member`
  tensorboard/     member_I/ per member, so TensorBoard shows each as a run
  samples/         member_I/ per member
  checkpoints/     the stacked members (`population.Members`), resumed bit-exactly
  history.jsonl    also a `member_diverged` event per member that turned non-finite
A member whose state or metrics turn non-finite keeps its last finite state (in every later
checkpoint) and stops, while the others go on; the run fails (exit 3) only when every member has.
`python -m wgan_jax.export_member` writes one member out as an ordinary run directory.
Each member reads what its own run would. Held on the devices (data.device_resident=True), the
data are one copy for all (or one each where a run's data depend on its seed: the toy
distributions' pool, a labelled subset) and each member draws its batches with its own key.
Streamed, each member has its own tf.data pipeline, shuffled by its seed, and the batches are
stacked along the member axis; with `population.shared_batches` one pipeline feeds every member
the same batches, so the host's input work does not grow with N.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from typing import Any

import jax
import ml_collections
import numpy as np

from wgan_jax import builder, parallel, population, rundir
from wgan_jax.data import pipeline, resident as resident_data
from wgan_jax.errors import RunDirError
from wgan_jax.evaluation import Evaluator
from wgan_jax.train import (AXIS, _EvaluationAndPictures, _first_local_device_index, _Loop,
                            _out_of_memory_named, _RunDirectory, _StopRequested)

MEMBER_DIR = "member_{}"


def train_population(config: ml_collections.ConfigDict, workdir: str,
                     allow_config_change: bool = False, start_over: bool = False) -> dict[str, Any]:
  """Trains (or resumes) the population of `config` in `workdir` (as `train.train` a run)."""
  builder.check_config(config, jax.device_count())
  members = population.population_configs(config)
  placement = parallel.make_placement(config.parallelism, AXIS)
  rundir.prepare(workdir)
  with contextlib.ExitStack() as cleanup:
    stop = cleanup.enter_context(_StopRequested())
    run = _RunDirectory.open(config, workdir, allow_config_change, start_over, cleanup)
    pop = population.build_population_of(members, axis_name=AXIS)
    experiment = pop.experiment
    if run.resuming:
      rundir.check_vocabulary(workdir, experiment.vocabulary)
    pictures = [_EvaluationAndPictures(m, experiment, Evaluator(
        m.eval, m.data, experiment.source, experiment.example_shape, m.seed)) for m in members]
    state = run.restore(pop.init())
    run.record_start(config, experiment.vocabulary, int(state.step))
    with _out_of_memory_named(config):
      advance = (_resident_stepper(config, pop, placement) if config.data.device_resident
                 else _pipeline_stepper(config, pop, placement, int(state.step)))
      loop = _PopulationLoop(config, experiment.schedule, placement, run, pictures, stop, cleanup)
      return loop.run(advance, state)


def _data_per_member(config) -> bool:
  """Whether a run's data depend on its seed (the toy distributions' pool, a labelled subset),
  so that each member needs its own source."""
  return config.data.source == "toy" or bool(config.data.labelled_per_class)


def _member_source(member_config, pop: population.Population):
  """The source member `member_config`'s own run reads."""
  if not _data_per_member(member_config):
    return pop.experiment.source
  from wgan_jax.data import sources

  source = sources.make_source(member_config.data, member_config.seed)
  if member_config.data.labelled_per_class:
    source = sources.labelled_subset(source, member_config.data.labelled_per_class,
                                     member_config.seed)
  return source


def _member_data(config, pop: population.Population) -> tuple[Any, bool]:
  """`(arrays, shared)`: the data set the members draw from, one copy for all, or one per
  member (`[N, ...]`) where a run's data depend on its seed."""
  if not _data_per_member(config):
    return pipeline.load_resident(pop.experiment.source, config.data), True
  parts = [pipeline.load_resident(_member_source(m, pop), m.data) for m in pop.members]
  return {key: np.stack([part[key] for part in parts]) for key in parts[0]}, False


def _pipeline_stepper(config, pop: population.Population, placement, start_step: int):
  """One generator iteration of every member fed by tf.data: each member's own pipeline (the
  one its single run reads, shuffled by its seed) stacked along the member axis, or with
  `population.shared_batches` one pipeline for all; resumed where `start_step` left off."""
  shared = config.population.shared_batches
  per_device_batch = config.batch_size // jax.device_count()
  streams = [pipeline.make_pipeline(
      _member_source(m, pop), m.data, per_device_batch=per_device_batch,
      local_devices=jax.local_device_count(), n_critic=config.n_critic, seed=m.seed,
      skip_groups=pop.experiment.schedule.groups_consumed(start_step),
      global_devices=jax.device_count(), device_offset=_first_local_device_index())
      for m in (pop.members[:1] if shared else pop.members)]
  step = placement.compile(lambda members, batches: pop.train_step(
      members, batches, shared_data=shared), donate=config.donate_state, members=not shared)

  def advance(placed, n_critic):
    parts = [pipeline.take_critic_batches(s, n_critic, config.n_critic)[0] for s in streams]
    # [local_devices, (N,) n_critic, per_device_batch, ...]
    batches = parts[0] if shared else {k: np.stack([p[k] for p in parts], axis=1)
                                       for k in parts[0]}
    return step(placed, placement.place_batches(batches, members=not shared))

  return advance


def _resident_stepper(config, pop: population.Population, placement):
  """One generator iteration of every member, each drawing from the data held on the devices."""
  arrays, shared = _member_data(config, pop)
  dataset = placement.place_dataset(arrays)
  preprocess = (resident_data.pixel_preprocess(config.data.dequantize)
                if resident_data.holds_pixels(arrays, config.data) else None)
  per_device_batch = config.batch_size // jax.device_count()
  compiled = {}  # n_critic -> compiled step (two under the WGAN schedule)

  def advance(placed, n_critic):
    if n_critic not in compiled:
      compiled[n_critic] = placement.compile(
          pop.resident_step(n_critic, per_device_batch, preprocess, shared),
          donate=config.donate_state, resident=True)
    return compiled[n_critic](placed, dataset)

  return advance


class _MemberWriters:
  """metrics.jsonl rows with a `member` index, and a TensorBoard run per member."""

  def __init__(self, workdir: str, size: int, enabled: bool):
    from wgan_jax.data._tf import tf

    self.enabled, self._tf = enabled, tf
    if enabled:
      self._jsonl = open(os.path.join(workdir, rundir.METRICS_FILE), "a")
      self._tb = [tf.summary.create_file_writer(
          os.path.join(workdir, "tensorboard", MEMBER_DIR.format(i))) for i in range(size)]

  def write(self, step: int, member: int, values: dict[str, float]) -> None:
    if not self.enabled:
      return
    self._jsonl.write(json.dumps({"step": step, "member": member, **values}) + "\n")
    self._jsonl.flush()
    with self._tb[member].as_default(step=step):
      for name, value in values.items():
        self._tf.summary.scalar(name, value)
    self._tb[member].flush()

  def text(self, step: int, name: str, lines: list[str], member: int = 0) -> None:
    if self.enabled:
      with self._tb[member].as_default(step=step):
        self._tf.summary.text(name, "```\n" + "\n".join(lines) + "\n```")

  def close(self) -> None:
    if self.enabled:
      self._jsonl.close()
      for writer in self._tb:
        writer.close()


class _OneMember:
  """A member's view of `_MemberWriters`, as the sample pictures write text summaries."""

  def __init__(self, writers: _MemberWriters, member: int):
    self.writers, self.member = writers, member

  def text(self, step: int, name: str, lines: list[str]) -> None:
    self.writers.text(step, name, lines, self.member)


class _PopulationLoop(_Loop):
  """The trainer's loop over stacked members: per-member logs, evaluations and pictures."""

  def __init__(self, config, schedule, placement, run, pictures, stop, cleanup):
    self.member_pictures = pictures
    super().__init__(config, schedule, placement, run, pictures[0], stop, cleanup)
    self.writers = self.writer
    self.finite = placement.map_state(lambda members: members.alive.any())
    self.reported_dead: set[int] = set()

  def _writer(self, run):
    return _MemberWriters(run.workdir, len(self.member_pictures), run.is_writer)

  def _non_finite(self, at: int) -> str:
    return (f"Every member of the population has diverged (the last at generator iteration "
            f"{at}); each one's last finite state is in the checkpoints.")

  def _report(self, step: int, metrics, placed, evaluate: bool) -> dict[str, float]:
    """Each member's row (evaluated when due); returns their medians for the progress line."""
    host = self.placement.host_state(placed)
    values = jax.device_get(self.placement.host_state(metrics))
    alive = np.asarray(jax.device_get(host.alive))
    rate = self.timer.lap()
    self.run_dir.check_owner()
    rows = {}
    for i in range(len(alive)):
      if not alive[i]:
        self._report_death(i, host, step)
        continue
      row = {k: float(np.asarray(v)[i]) for k, v in values.items()} | rate
      if evaluate:
        with self.timer.side_work():
          row.update(self.member_pictures[i].evaluate(population.member(host, i)))
      self.writers.write(step, i, row)
      rows[i] = row
    summary = {k: float(np.median([r[k] for r in rows.values()])) for k in next(
        iter(rows.values()))} if rows else {}
    summary["members_training"] = float(len(rows))
    return summary

  def _report_death(self, i: int, host, step: int) -> None:
    if i in self.reported_dead:
      return
    self.reported_dead.add(i)
    frozen_at = int(jax.device_get(host.state.step[i]))
    print(f"member {i} diverged (non-finite state or metrics) after generator iteration "
          f"{frozen_at}: frozen at that state; the others go on.", flush=True)
    if self.run_dir.is_writer:
      rundir.record(self.run_dir.workdir, "member_diverged", step, member=i,
                    frozen_at=frozen_at)

  def _draw_and_save(self, step: int, placed, save: bool) -> None:
    config, run = self.config, self.run_dir
    with self.timer.side_work():
      if run.is_writer and (step % config.sample_every == 0 or step == config.num_steps):
        host = self.placement.host_state(placed)
        for i, pictures in enumerate(self.member_pictures):
          directory = os.path.join(run.sample_dir, MEMBER_DIR.format(i))
          os.makedirs(directory, exist_ok=True)
          pictures.save(population.member(host, i), directory, step, _OneMember(self.writers, i))
      if save:
        run.check_owner()
        run.checkpointer.save(step, jax.device_get(self.placement.host_state(placed)),
                              run.config_json)
        run.last_saved = step


def _restored_members(workdir: str, config: ml_collections.ConfigDict, open_data: bool = True):
  """`(population, members at the newest checkpoint, its step)` of a population's directory."""
  from wgan_jax.checkpoint import Checkpointer

  pop = population.build_population_of(population.population_configs(config),
                                       open_data=open_data)
  checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), read_only=True)
  try:
    step = checkpointer.latest_step()
    if step is None:
      raise RunDirError(f"No checkpoint in {workdir}/checkpoints: has the run saved one yet?")
    return pop, checkpointer.restore(pop.init(), step), step
  finally:
    checkpointer.close()


def load_member(workdir: str, config: ml_collections.ConfigDict, index: int):
  """`(member's config, experiment, member's state)` at the newest checkpoint
  (`sampling.load_run` of a population)."""
  pop, members, _ = _restored_members(workdir, config)
  rundir.check_vocabulary(workdir, pop.experiment.vocabulary)
  return pop.members[index], pop.experiment, population.member(members, index)


def export_member(workdir: str, index: int, out: str) -> str:
  """Writes member `index` of the population in `workdir` as an ordinary run directory `out`:
  its config, its state at the newest checkpoint, its metrics rows and its samples; every tool
  that reads a run directory reads it. Returns `out`."""
  from wgan_jax.checkpoint import Checkpointer
  from wgan_jax.sampling import with_new_defaults

  saved = rundir.saved_config(workdir)
  if saved is None:
    raise RunDirError(f"{workdir} has no {rundir.CONFIG_FILE}: is it a training directory?")
  config = with_new_defaults(saved)
  size = config.population.size
  if not size:
    raise RunDirError(f"{workdir} holds one run, not a population: it is already a run "
                      f"directory.")
  if not 0 <= index < size:
    raise RunDirError(f"{workdir} holds a population of {size}: choose --member 0..{size - 1}.")
  if os.path.exists(out) and os.listdir(out):
    raise RunDirError(f"{out} is not empty: export into a new directory.")
  pop, members, step = _restored_members(workdir, config, open_data=False)
  state = population.member(members, index)
  member_config = pop.members[index]
  os.makedirs(out, exist_ok=True)
  rundir.write_config(out, member_config)
  checkpointer = Checkpointer(os.path.join(out, "checkpoints"), member_config.keep_checkpoints)
  try:
    checkpointer.save(int(state.step), jax.device_get(state), rundir.config_json(member_config))
    checkpointer.wait()
  finally:
    checkpointer.close()
  with open(os.path.join(workdir, rundir.METRICS_FILE)) as source, \
       open(os.path.join(out, rundir.METRICS_FILE), "w") as target:
    for line in source:
      row = json.loads(line)
      if row.pop("member", None) == index:
        target.write(json.dumps(row) + "\n")
  samples = os.path.join(workdir, "samples", MEMBER_DIR.format(index))
  if os.path.isdir(samples):
    shutil.copytree(samples, os.path.join(out, "samples"))
  vocabulary = os.path.join(workdir, rundir.VOCABULARY_FILE)
  if os.path.exists(vocabulary):
    shutil.copy(vocabulary, out)
  rundir.record(out, "exported", int(state.step), population=os.path.abspath(workdir),
                member=index, population_step=step)
  return out
