"""The training loop, top to bottom: build, restore, step, log, sample, evaluate, checkpoint.

`train(config, workdir)` writes into `workdir` (see `wgan_jax.rundir` for what a rerun does):
  config.json      the resolved config the checkpoints were trained with
  metrics.jsonl    one JSON object per logged step
  history.jsonl    one JSON object per start or resume
  train.lock       held while a trainer runs here
  samples/         image grids or 2-D scatter plots with the critic's value surface
  checkpoints/     orbax checkpoints (resumed from automatically)
  tensorboard/     TensorBoard event files
Only process 0 writes logs, samples and TensorBoard files; every process
takes part in checkpointing, as orbax requires.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import signal
import sys
import time
from typing import Any

import jax
import ml_collections
import numpy as np
from jax.experimental import multihost_utils

from wgan_jax import builder, parallel, program, rundir
from wgan_jax.checkpoint import Checkpointer
from wgan_jax.data import pipeline
from wgan_jax.data._tf import tf  # TensorBoard's summaries, beside the input pipeline
from wgan_jax.data.toy import toy_dataset
from wgan_jax.evaluation import Evaluator
from wgan_jax.errors import ConfigError
from wgan_jax.extras import train_extra
from wgan_jax.metrics.classifier import CriticClassifier
from wgan_jax.plotting import save_image_grid, save_toy_plot
from wgan_jax.state import GANState, all_finite
from wgan_jax.sampling import Sampler, sample_settings, write_text_samples
from wgan_jax.networks import split_scores

with train_extra(__name__):
  from tqdm import tqdm

AXIS = parallel.DEFAULT_AXIS


class NonFiniteLossError(RuntimeError):
  """Training produced a NaN or infinity; the run stopped without saving it."""


class StoppedBySignal(KeyboardInterrupt):
  """A signal stopped the trainer without a save: during start-up, or a second signal after
  the first had asked for a save. `signal_name` says which; the checkpoints are untouched."""

  def __init__(self, signal_name: str, before_training: bool):
    super().__init__(signal_name)
    self.signal_name, self.before_training = signal_name, before_training
    self.signal_number = int(signal.Signals[signal_name])


# SIGHUP is a closed terminal or a lost SSH session: treated as a request to stop, like SIGTERM.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class _StopRequested:
  """What a stop signal (`STOP_SIGNALS`) does, by phase: during start-up it stops the trainer
  at once (`StoppedBySignal`); while training the first one is a flag the loop checks after
  each step (save, then stop) and a second one aborts without that save; once the stop's save
  is complete, further signals are ignored, so the exit code stays "stopped with a checkpoint".
  """

  def __init__(self):
    self.signal_name: str | None = None
    self._phase = "starting"
    self._previous = {}

  def __enter__(self):
    for sig in STOP_SIGNALS:
      try:
        self._previous[sig] = signal.signal(sig, self._handle)
      except ValueError:  # not the main thread: signals cannot be caught here
        pass
    return self

  def training(self) -> None:
    """From now on a first signal asks for a save and a stop."""
    self._phase = "training"

  def saved(self) -> None:
    """The stop's checkpoint is complete: later signals change nothing."""
    self._phase = "saved"

  def _handle(self, signum, frame):
    del frame
    name = signal.Signals(signum).name
    if self._phase == "starting":
      raise StoppedBySignal(name, before_training=True)
    if self._phase == "saved":
      return
    if self.signal_name is not None:  # asked twice: stop now, without the final save
      raise StoppedBySignal(name, before_training=False)
    self.signal_name = name

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)


def _first_local_device_index() -> int:
  """Where this process's devices start in the global device order that pmap indexes."""
  owners = [device.process_index for device in jax.devices()]
  return owners.index(jax.process_index())


def _any_process(flag: bool) -> bool:
  """True on every process if `flag` is true on any (so all processes stop at the same step)."""
  if jax.process_count() == 1:
    return flag
  return bool(np.any(multihost_utils.process_allgather(np.array(flag))))


def _is_finite(metrics: dict[str, float]) -> tuple[bool, str]:
  for name, value in metrics.items():
    if not math.isfinite(value):
      return False, name
  return True, ""


class _Writer:
  """metrics.jsonl plus TensorBoard, on process 0 only."""

  def __init__(self, workdir: str, enabled: bool):
    self.enabled = enabled
    if enabled:
      self._jsonl = open(os.path.join(workdir, rundir.METRICS_FILE), "a")
      self._tb = tf.summary.create_file_writer(os.path.join(workdir, "tensorboard"))

  def write(self, step: int, values: dict[str, float]) -> None:
    if not self.enabled:
      return
    self._jsonl.write(json.dumps({"step": step, **values}) + "\n")
    self._jsonl.flush()
    with self._tb.as_default(step=step):
      for name, value in values.items():
        tf.summary.scalar(name, value)
    self._tb.flush()

  def text(self, step: int, name: str, lines: list[str]) -> None:
    """Text samples in TensorBoard's text tab (one markdown code block)."""
    if not self.enabled:
      return
    with self._tb.as_default(step=step):
      tf.summary.text(name, "```\n" + "\n".join(lines) + "\n```")
    self._tb.flush()

  def close(self) -> None:
    if self.enabled:
      self._jsonl.close()
      self._tb.close()


def _summary_line(step: int, values: dict[str, float]) -> str:
  keys = ("critic_loss", "wasserstein_estimate", "js_estimate", "gradient_penalty",
          "generator_loss", "gen_iters_per_sec", "w1", "modes_covered", "fid", "kid",
          "inception_score", "mnist_frechet", "mnist_class_entropy", "mnist_label_accuracy",
          "ngram_js4")
  parts = [f"{k}={values[k]:.4g}" for k in keys if k in values]
  return f"step {step}: " + " ".join(parts)


class _Timer:
  """Training wall-clock, and the rate since the last log, both without side work.

  Side work (evaluation, sample pictures, checkpoint saves) is timed apart, so the logged rate
  stays a training rate and `train_sec` a training time (compilation included).
  """

  def __init__(self):
    self._start = self._interval_start = time.time()
    self._interval_steps = 0
    self._side = 0.0

  def step(self) -> None:
    self._interval_steps += 1

  def lap(self) -> dict[str, float]:
    """The rate since the last lap, elapsed and training seconds; starts a new interval."""
    now = time.time()
    rate = self._interval_steps / max(now - self._interval_start, 1e-9)
    self._interval_start, self._interval_steps = now, 0
    return {"gen_iters_per_sec": rate, "elapsed_sec": now - self._start,
            "train_sec": now - self._start - self._side}

  @contextlib.contextmanager
  def side_work(self):
    start = time.time()
    try:
      yield
    finally:
      spent = time.time() - start
      self._side += spent
      self._interval_start += spent


def train(config: ml_collections.ConfigDict, workdir: str, allow_config_change: bool = False,
          start_over: bool = False) -> dict[str, Any]:
  """Trains (or resumes) the run in `workdir`; returns the final state and last metrics.

  `allow_config_change` lets a resume continue under a config that differs from the saved
  one in keys that change what is trained (see `rundir.config_changes`); without it such a
  resume is refused before anything in `workdir` changes. `start_over` begins a new run in a
  directory that has an earlier run's logs but no checkpoints, moving those logs aside;
  without it such a directory is refused.
  """
  if config.get("population", {}).get("size"):  # N runs as one program: their own loop
    from wgan_jax.train_population import train_population
    return train_population(config, workdir, allow_config_change, start_over)
  builder.check_config(config, jax.device_count())
  placement = parallel.make_placement(config.parallelism, AXIS)
  rundir.prepare(workdir)
  with contextlib.ExitStack() as cleanup:
    stop = cleanup.enter_context(_StopRequested())  # first in, so it outlasts the cleanup below
    run = _RunDirectory.open(config, workdir, allow_config_change, start_over, cleanup)
    # Data, models, step and evaluation: every data or metric error surfaces here, before
    # anything is compiled (evaluation weights load here too).
    experiment = builder.build(config, axis_name=AXIS)
    if run.resuming:
      rundir.check_vocabulary(workdir, experiment.vocabulary)
    evaluator = Evaluator(config.eval, config.data, experiment.source, experiment.example_shape,
                          config.seed)
    pictures = _EvaluationAndPictures(config, experiment, evaluator)
    state = run.restore(experiment.init_state())
    run.record_start(config, experiment.vocabulary, int(state.step))
    with _out_of_memory_named(config):
      advance = _stepper(config, experiment, placement, int(state.step))
      loop = _Loop(config, experiment.schedule, placement, run, pictures, stop, cleanup)
      return loop.run(advance, state)


class OutOfDeviceMemoryError(ConfigError):
  """The run does not fit in the devices' memory; the message names the settings to lower."""


@contextlib.contextmanager
def _out_of_memory_named(config):
  """Turns the devices running out of memory into an error naming the settings that size it."""
  try:
    yield
  except jax.errors.JaxRuntimeError as error:
    text = str(error)
    if "RESOURCE_EXHAUSTED" not in text and "out of memory" not in text.lower():
      raise
    resident = (" The data set is held on the devices (data.device_resident=True): set it to "
                "False to stream it from the host." if config.data.device_resident else "")
    raise OutOfDeviceMemoryError(
        f"The devices ran out of memory ({text.strip().splitlines()[0][:200]}) at "
        f"batch_size={config.batch_size} over {jax.device_count()} device(s), "
        f"n_critic={config.n_critic}. Lower --config.batch_size (or the models' width), set "
        f"--config.model.compute_dtype=bfloat16, or train on more devices.{resident} The "
        f"checkpoints already saved are kept.") from None


class _RunDirectory:
  """The run directory as this trainer holds it: the lock (process 0), the checkpoints, and
  whether and under which config changes the run resumes."""

  def __init__(self, workdir: str, is_writer: bool, lock: rundir.WorkdirLock | None,
               checkpointer: Checkpointer, changes: dict[str, Any], config_json: dict[str, Any],
               set_aside: str | None = None):
    self.workdir, self.is_writer, self.lock = workdir, is_writer, lock
    self.checkpointer, self.changes, self.config_json = checkpointer, changes, config_json
    self.set_aside = set_aside  # where --start_over moved the previous run's files
    self.resuming = checkpointer.latest_step() is not None
    self.sample_dir = os.path.join(workdir, "samples")
    self.last_saved: int | None = None

  @classmethod
  def open(cls, config, workdir: str, allow_config_change: bool, start_over: bool,
           cleanup: contextlib.ExitStack) -> "_RunDirectory":
    """Takes the run: one trainer at a time, resumed only under the config it ran with, and
    begun again over an earlier run's logs only when asked to."""
    is_writer = jax.process_index() == 0
    lock = cleanup.enter_context(rundir.WorkdirLock(workdir)) if is_writer else None
    rundir.check_logs(workdir)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), config.keep_checkpoints)
    cleanup.callback(checkpointer.close)  # waits for a pending save, also on an error
    changes, set_aside = {}, None
    if checkpointer.latest_step() is not None:
      saved = rundir.saved_config(workdir)
      if saved is None:  # config.json deleted: the one saved with the newest checkpoint
        saved = checkpointer.saved_config()
      if saved is None and not allow_config_change:
        rundir.refuse_unknown_config(workdir, checkpointer.latest_step())
      changes = rundir.config_changes(saved, config) if saved is not None else {}
    elif rundir.has_history(workdir):
      if not start_over:
        rundir.refuse_history_without_checkpoints(workdir)
      set_aside = rundir.set_aside(workdir) if is_writer else None
    if changes and not allow_config_change:
      rundir.refuse_changes(workdir, changes)
    return cls(workdir, is_writer, lock, checkpointer, changes, rundir.config_json(config),
               set_aside)

  def restore(self, state: GANState) -> GANState:
    """The newest checkpoint read into `state`'s structure (`state` itself on a fresh run)."""
    if not self.resuming:
      return state
    state = self.checkpointer.restore(state)
    if not bool(all_finite(state)):
      raise NonFiniteLossError(
          f"The checkpoint of step {self.checkpointer.latest_step()} in "
          f"{self.checkpointer.directory} holds NaN or infinite values; delete that step's "
          f"folder to resume from an earlier one (saved: {self.checkpointer.all_steps()}).")
    self.last_saved = int(state.step)
    return state

  def record_start(self, config, vocabulary, start_step: int) -> None:
    """Records the (re)start: config.json is rewritten only once the checkpoint has been read
    under the new config, and metrics logged after the checkpoint are dropped."""
    if not self.is_writer:
      return
    workdir, lock = self.workdir, self.lock
    os.makedirs(self.sample_dir, exist_ok=True)
    rundir.write_config(workdir, config)
    rundir.write_vocabulary(workdir, vocabulary)
    dropped = rundir.trim_metrics(workdir, start_step)
    rundir.record(workdir, "resume" if self.resuming else "start", start_step,
                  config_changes=self.changes or None, metrics_rows_dropped=dropped or None,
                  stale_lock=lock.stale_holder, previous_run_moved_to=self.set_aside)
    if lock.stale_holder:
      print(f"note: {workdir} was locked by a trainer that ended without releasing it "
            f"({lock.stale_holder}); continuing.", file=sys.stderr)

  def check_owner(self) -> None:
    """Raises `rundir.LockLostError` if this trainer no longer holds the directory."""
    if self.lock is not None:
      self.lock.check()

  def kept(self) -> str:
    """What a failure leaves behind, for its message."""
    if self.last_saved is None:
      return "No checkpoint had been saved yet."
    return (f"The last good checkpoint (step {self.last_saved}) is intact in "
            f"{self.checkpointer.directory}; a rerun resumes from it.")


class _Loop:
  """Steps until `num_steps` or a stop signal; logs, evaluates, draws and saves on schedule."""

  def __init__(self, config, schedule, placement, run: _RunDirectory,
               pictures: "_EvaluationAndPictures", stop: _StopRequested,
               cleanup: contextlib.ExitStack):
    self.config, self.schedule, self.placement, self.run_dir = config, schedule, placement, run
    self.pictures = pictures
    self.writer = self._writer(run)
    cleanup.callback(self.writer.close)
    self.stop = stop
    self.timer = _Timer()
    self.finite = placement.map_state(all_finite)
    self.cleanup = cleanup

  def _writer(self, run: _RunDirectory):
    return _Writer(run.workdir, run.is_writer)

  def run(self, advance, state: GANState) -> dict[str, Any]:
    config, placement, run = self.config, self.placement, self.run_dir
    step = int(state.step)
    progress = tqdm(total=config.num_steps, initial=step, disable=not run.is_writer,
                    unit="it", dynamic_ncols=True, desc="generator iterations")
    self.cleanup.callback(progress.close)
    placed = placement.place_state(state)
    del state
    self.stop.training()
    last_metrics: dict[str, float] = {}
    previous = None  # (step, finite flag) of the step before the newest
    stopped_by = None
    while step < config.num_steps:
      placed, metrics = advance(placed, self.schedule(step))
      step += 1
      newest = (step, self.finite(placed))
      if previous is not None:
        # Waiting for the previous step keeps the device one step ahead of this loop at most,
        # so a stop signal takes effect at the next step boundary.
        self._check_finite(previous)
      previous = newest
      self.timer.step()
      progress.update(1)
      run.checkpointer.poll()  # a save that failed in the background stops the run now
      stopping = _any_process(self.stop.signal_name is not None)
      log_now = step % config.log_every == 0 or step == config.num_steps
      save_now = step % config.checkpoint_every == 0 or step == config.num_steps
      evaluate_now = step == config.num_steps or bool(
          config.eval.every and step % config.eval.every == 0)  # eval.every 0: only at the end
      if log_now or save_now or stopping or evaluate_now:
        self._check_finite(newest)
        last_metrics = self._report(step, metrics, placed, evaluate_now)
        if log_now and run.is_writer:
          progress.set_postfix_str(_summary_line(step, last_metrics).split(": ", 1)[1],
                                   refresh=False)
          progress.write(_summary_line(step, last_metrics))
      self._draw_and_save(step, placed, save_now or stopping)
      if stopping:
        run.checkpointer.wait()
        self.stop.saved()
        stopped_by = self.stop.signal_name or "a stop signal to another process"
        progress.write(f"{stopped_by} received: saved a checkpoint at step {step}; "
                       f"resume by running the same command again.")
        break
    return {"state": placement.host_state(placed), "metrics": last_metrics, "step": step,
            "stopped_by": stopped_by if step < config.num_steps else None}

  def _check_finite(self, step_and_flag) -> None:
    """Raises if the state after that step holds a NaN or infinity (waits for the step)."""
    at, flag = step_and_flag
    if not np.all(jax.device_get(flag)):
      raise NonFiniteLossError(f"{self._non_finite(at)} {self.run_dir.kept()}")

  def _non_finite(self, at: int) -> str:
    return (f"The training state became non-finite (NaN or infinity) at generator iteration "
            f"{at}; training stopped without saving it.")

  def _report(self, step: int, metrics, placed, evaluate: bool) -> dict[str, float]:
    """The step's metrics with the rate (and the evaluation if `evaluate`), written to the
    log."""
    placement = self.placement
    values = {k: float(v) for k, v in placement.host_state(metrics).items()}
    finite_metrics, bad = _is_finite(values)
    if not finite_metrics:
      raise NonFiniteLossError(
          f"Non-finite {bad} = {values[bad]} at generator iteration {step}; training stopped "
          f"without saving. {self.run_dir.kept()}")
    values.update(self.timer.lap())
    if evaluate:
      with self.timer.side_work():
        values.update(self.pictures.evaluate(placement.host_state(placed)))
    self.run_dir.check_owner()
    self.writer.write(step, values)
    return values

  def _draw_and_save(self, step: int, placed, save: bool) -> None:
    """The sample picture and the checkpoint, when due; timed apart from training."""
    config, run = self.config, self.run_dir
    with self.timer.side_work():
      if run.is_writer and (step % config.sample_every == 0 or step == config.num_steps):
        self.pictures.save(self.placement.host_state(placed), run.sample_dir, step, self.writer)
      if save:
        run.check_owner()
        run.checkpointer.save(step, jax.device_get(self.placement.host_state(placed)),
                              run.config_json)
        run.last_saved = step


def _stepper(config, experiment, placement, start_step: int):
  """One generator iteration: from the whole data set held on the devices, or from a host
  tf.data pipeline resumed where `start_step` left off."""
  per_device_batch = config.batch_size // jax.device_count()
  if config.data.device_resident:
    return _resident_stepper(config, experiment, placement, per_device_batch)
  return _pipeline_stepper(config, experiment, placement, per_device_batch, start_step,
                           jax.device_count(), jax.local_device_count())


def _pipeline_stepper(config, experiment, placement, per_device_batch, start_step, num_devices,
                      local_devices):
  """One generator iteration fed by the tf.data pipeline, resumed where `start_step` left off."""
  step = program.compile_step(experiment, placement, config.n_critic, per_device_batch)
  data = pipeline.make_pipeline(
      experiment.source, config.data, per_device_batch=per_device_batch,
      local_devices=local_devices, n_critic=config.n_critic, seed=config.seed,
      skip_groups=experiment.schedule.groups_consumed(start_step),
      global_devices=num_devices, device_offset=_first_local_device_index())

  def advance(placed, n_critic):
    batches, _ = pipeline.take_critic_batches(data, n_critic, config.n_critic)
    return step(placed, placement.place_batches(batches))

  return advance


def _resident_stepper(config, experiment, placement, per_device_batch):
  """One generator iteration drawing its batches in-graph from the data set held on each device."""
  arrays = pipeline.load_resident(experiment.source, config.data)
  dataset = placement.place_dataset(arrays)
  compiled = {}  # n_critic -> compiled step (two under the WGAN schedule)

  def advance(placed, n_critic):
    if n_critic not in compiled:
      compiled[n_critic] = program.compile_step(experiment, placement, n_critic,
                                                per_device_batch, resident=arrays)
    return compiled[n_critic](placed, dataset)

  return advance


class _EvaluationAndPictures:
  """The trainer's evaluation and sample pictures, each from fixed noise (and labels)."""

  def __init__(self, config, experiment, evaluator):
    self.evaluator = evaluator
    self.critic = experiment.critic
    settings = sample_settings(config)
    self.sampler = Sampler(experiment.generator, experiment.generated_classes, settings,
                           experiment.latent)
    # With a moving average, the samples are the average's; the evaluation also scores the
    # trained weights (`METRIC_no_ema`), so one run shows what the average changes.
    self.trained_sampler = (Sampler(experiment.generator, experiment.generated_classes,
                                    dataclasses.replace(settings, ema=False), experiment.latent)
                            if settings.ema else None)
    self.low_dim = len(experiment.example_shape) == 1
    self.vocabulary = experiment.vocabulary
    self.count = config.eval.num_samples if self.low_dim else config.num_sample_images
    self.z, self.labels = self.sampler.noise(jax.random.PRNGKey(config.seed + 1), self.count)
    self.eval_count = config.eval.num_samples
    self.eval_z, self.eval_labels = self.sampler.noise(jax.random.PRNGKey(config.seed + 3),
                                                        self.eval_count)
    # The class each evaluation sample is made for, on the host for the metrics.
    self.eval_classes = (np.asarray(self.eval_labels[:self.eval_count])
                         if self.eval_labels is not None else None)
    # InfoGAN: the categorical code each evaluation sample is made with.
    self.eval_codes = self.sampler.categories(self.eval_z, self.eval_count)
    if self.low_dim and config.data.source == "toy":
      self.reference = toy_dataset(config.data.name, self.count, seed=config.seed + 2)
    else:
      self.reference = None
    # A critic with a classifier head, scored on a held-out labelled split at each evaluation.
    self.classifier = self.held_out = None
    if config.eval.classifier_split:
      self.classifier = CriticClassifier(experiment.critic, latent=experiment.latent,
                                         variables=experiment.critic_variables)
      self.held_out = pipeline.load_split(config.data, config.eval.classifier_split,
                                          config.seed, with_labels=True)
    # The critic in eval mode: BatchNorm (WGAN only) with running statistics, no device axis.
    self._critic_values = jax.jit(lambda state, x: split_scores(
        self.critic.apply(experiment.critic_variables(state), x, train=False))[0])

  def evaluate(self, state: GANState) -> dict[str, float]:
    results = {}
    if self.evaluator.metrics:
      results.update(self.evaluator(
          self.sampler(state, self.eval_z, self.eval_labels, self.eval_count), self.eval_classes,
          self.eval_codes))
      if self.trained_sampler is not None:
        trained = self.evaluator(
            self.trained_sampler(state, self.eval_z, self.eval_labels, self.eval_count),
            self.eval_classes, self.eval_codes)
        results.update({f"{name}_no_ema": value for name, value in trained.items()})
    if self.classifier is not None:
      results.update(self.classifier(state, self.held_out))
    return results

  def save(self, state: GANState, directory: str, step: int, writer: _Writer) -> str:
    fake = self.sampler(state, self.z, self.labels, self.count)
    if self.vocabulary is not None:
      path = os.path.join(directory, f"samples_{step:07d}.txt")
      lines = write_text_samples(fake, self.vocabulary, path)
      writer.text(step, "samples", lines)
      return path
    if self.low_dim and fake.shape[-1] == 2:
      path = os.path.join(directory, f"samples_{step:07d}.png")
      real = self.reference[: len(fake)] if self.reference is not None else fake[:0]
      save_toy_plot(real, fake, path, critic_fn=lambda x: np.asarray(self._critic_values(state, x)),
                    title=f"generator iteration {step}")
      return path
    path = os.path.join(directory, f"samples_{step:07d}.png")
    save_image_grid(fake, path)
    return path


if __name__ == "__main__":  # python -m wgan_jax.train: the command (wgan_jax.commands.train)
  from wgan_jax.commands import train as command

  command.run()
