"""Sampling from a trained run: rebuild the models from `config.json`, restore the newest checkpoint."""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from wgan_jax import builder, rundir
from wgan_jax.checkpoint import Checkpointer
from wgan_jax.config import with_new_defaults
from wgan_jax.errors import ConfigError, RunDirError, UserError
from wgan_jax.latent import LatentPrior, latent_paths
from wgan_jax.plotting import save_image_grid, save_toy_plot, to_uint8
from wgan_jax.outputs import written_whole
from wgan_jax.state import all_finite
from wgan_jax.step import generate


def load_run(workdir: str, member: int | None = None):
  """Returns `(config, experiment, state)`: the run's config, what it builds (`builder.build`),
  and its newest checkpoint; of a population's run directory, those of member `member`."""
  saved = rundir.saved_config(workdir)
  if saved is None:
    raise RunDirError(f"{workdir} has no {rundir.CONFIG_FILE}: is it a training directory?")
  config = with_new_defaults(saved)
  size = config.population.size
  if size or member is not None:
    if not size:
      raise RunDirError(f"{workdir} holds one run, not a population: leave out --member.")
    if member is None or not 0 <= member < size:
      raise RunDirError(f"{workdir} holds a population of {size} runs: choose one with "
                        f"--member 0..{size - 1}.")
    from wgan_jax.train_population import load_member
    return load_member(workdir, config, member)
  directory = os.path.join(workdir, "checkpoints")
  if not os.path.isdir(directory):  # looked for first: the checkpointer would create it
    raise RunDirError(f"No checkpoint in {directory}: has the run saved one yet?")
  checkpointer = Checkpointer(directory, read_only=True)
  if checkpointer.latest_step() is None:
    checkpointer.close()
    raise RunDirError(f"No checkpoint in {directory}: has the run saved one yet?")
  experiment = builder.build(config)
  rundir.check_vocabulary(workdir, experiment.vocabulary)  # text: decode as training encoded
  step = checkpointer.latest_step()
  try:
    state = checkpointer.restore(experiment.init_state(), step)
  finally:
    checkpointer.close()
  if not bool(all_finite(state)):
    raise RunDirError(f"The checkpoint of step {step} in {directory} holds NaN or "
                     f"infinite values (the run diverged before it was saved); nothing to "
                     f"sample from.")
  return config, experiment, state


SAMPLE_STATISTICS = ("batch", "running")


@dataclasses.dataclass(frozen=True)
class SampleSettings:
  """How a generator is sampled: which BatchNorm statistics, over batches of what size."""

  batch_statistics: bool
  batch: int
  ema: bool = False  # the generator's moving average of weights rather than the weights


def sample_settings(config: ml_collections.ConfigDict, statistics: str | None = None,
                    batch: int | None = None, ema: bool | None = None) -> SampleSettings:
  """The run's `eval.sample_statistics` and `eval.sample_batch`, unless given here; the
  generator's moving average when the run keeps one, unless `ema` is False.

  A saved config from before these keys samples with batch statistics over the
  generator's global training batch, like any new run.
  """
  kept = bool(config.get("ema", {}).get("decay", 0.0))
  if ema and not kept:
    raise ConfigError("This run keeps no moving average of the generator (its ema.decay is 0): "
                      "sample without --ema true.")
  ema = kept if ema is None else bool(ema)
  statistics = statistics or config.eval.get("sample_statistics", "batch")
  if statistics not in SAMPLE_STATISTICS:
    raise ConfigError(f"eval.sample_statistics={statistics!r}: choose 'batch' (each sample batch's "
                      f"own BatchNorm statistics) or 'running' (the averages kept in training).")
  batch = batch or config.eval.get("sample_batch", 0) or (
      config.batch_size * config.get("generator_batch_multiple", 1))
  if batch < 1:
    raise ConfigError(f"eval.sample_batch={batch}: give a positive batch size (0: the "
                      f"generator's training batch).")
  return SampleSettings(statistics == "batch", int(batch), ema)


class Sampler:
  """Samples a generator in fixed batches of `settings.batch`.

  Noise is drawn in whole batches and the surplus dropped, so with batch statistics
  every sample is normalised over a full batch and does not depend on how many are
  asked for; the same seed gives the same noise under either statistics.
  """

  def __init__(self, generator: Any, num_classes: int, settings: SampleSettings,
               latent: LatentPrior | None = None):
    if settings.batch_statistics and getattr(generator, "axis_name", None) is not None:
      generator = generator.clone(axis_name=None)  # sampled on one device, outside pmap
    self.generator, self.num_classes, self.settings = generator, num_classes, settings
    self.latent = latent or LatentPrior(generator.latent_dim)
    self._apply = jax.jit(lambda state, z, y: generate(
        generator, state, z, y, batch_statistics=settings.batch_statistics, ema=settings.ema))

  def noise(self, key: jax.Array, count: int):
    """Noise and labels (or None) for `count` samples, padded to whole batches. Labels, and an
    InfoGAN prior's categorical code, cycle through the classes so each is equally common."""
    padded = math.ceil(count / self.settings.batch) * self.settings.batch
    categories = (jnp.arange(padded) % self.latent.categorical if self.latent.categorical
                  else None)
    z = self.latent.sample(key, padded, categories)
    return z, (jnp.arange(padded) % self.num_classes if self.num_classes else None)

  def categories(self, z: jax.Array, count: int) -> np.ndarray | None:
    """The InfoGAN categorical code of the first `count` rows of `noise(...)`, on the host (None
    without one)."""
    codes = self.latent.codes(z[:count])[0]
    return np.asarray(codes) if codes is not None else None

  def __call__(self, state, z, labels, count: int | None = None) -> np.ndarray:
    """The first `count` (default all) samples of `noise(...)`, as float arrays on the host."""
    batch = self.settings.batch
    parts = [np.asarray(self._apply(state, z[i:i + batch],
                                       labels[i:i + batch] if labels is not None else None))
             for i in range(0, len(z), batch)]
    return np.concatenate(parts)[:count]


def draw_samples(generator, state, num: int, settings: SampleSettings, num_classes: int = 0,
                 seed: int = 0, latent: LatentPrior | None = None):
  """`(samples, labels, codes)`: `num` samples (float, in the data's range), the label of each
  (None unless conditional) and its InfoGAN categorical code (None without one)."""
  if num < 1:
    raise UserError(f"Asked for {num} samples: ask for at least one.")
  sampler = Sampler(generator, num_classes, settings, latent)
  z, labels = sampler.noise(jax.random.PRNGKey(seed), num)
  return (sampler(state, z, labels, num), np.asarray(labels[:num]) if num_classes else None,
          sampler.categories(z, num))


def sample(workdir: str, num: int, seed: int = 0, statistics: str | None = None,
           batch: int | None = None, ema: bool | None = None, member: int | None = None):
  """`(samples, labels or None, vocabulary or None)`: `num` samples from the newest checkpoint
  in `workdir`; the vocabulary decodes a text run's samples.

  `statistics` / `batch` override the run's `eval.sample_statistics` / `eval.sample_batch`;
  `ema=False` samples the trained weights of a run that keeps their moving average.
  """
  config, experiment, state = load_run(workdir, member)
  samples, labels, _ = draw_samples(experiment.generator, state, num,
                                    sample_settings(config, statistics, batch, ema),
                                    experiment.generated_classes, seed, experiment.latent)
  return samples, labels, experiment.vocabulary


def by_class(workdir: str, per_class: int, seed: int = 0, statistics: str | None = None,
             batch: int | None = None, ema: bool | None = None, member: int | None = None):
  """`(samples, labels, vocabulary or None)`: `per_class` samples of class 0, then of class 1,
  ... from a conditional run's newest checkpoint, so that a grid `per_class` wide shows one
  class per row."""
  config, experiment, state = load_run(workdir, member)
  classes = experiment.generated_classes
  if not classes:
    raise UserError(f"{workdir} is not a conditional run (its generator takes no labels), so "
                     f"its samples have no class to sort them by.")
  sampler = Sampler(experiment.generator, classes, sample_settings(config, statistics, batch, ema),
                    experiment.latent)
  z, _ = sampler.noise(jax.random.PRNGKey(seed), classes * per_class)
  labels = (jnp.arange(len(z)) // per_class) % classes
  count = classes * per_class
  return sampler(state, z, labels, count), np.asarray(labels[:count]), experiment.vocabulary


def sample_each(sampler: Sampler, state, z, labels, key: jax.Array) -> np.ndarray:
  """The generator's output for each row of `z` (and `labels`) on its own, as a plain sample.

  With batch statistics each point is generated in a batch with the same `batch - 1`
  companions of ordinary noise, so its image depends on its own noise alone and not on
  the points beside it (a path's points are no ordinary batch: near-parallel, and on a
  straight path shorter than training noise). That costs a full batch per point.
  """
  batch = sampler.settings.batch
  if not sampler.settings.batch_statistics or batch == 1:
    padded_z, padded_labels = sampler.noise(key, len(z))
    padded_z = padded_z.at[:len(z)].set(z)
    if labels is not None:
      padded_labels = padded_labels.at[:len(z)].set(labels)
    return sampler(state, padded_z, padded_labels, len(z))
  companions, companion_labels = sampler.noise(key, batch - 1)
  z_all = jnp.concatenate([z[:, None], jnp.broadcast_to(
      companions[None, :batch - 1], (len(z), batch - 1, z.shape[-1]))], axis=1)
  labels_all = None
  if labels is not None:
    labels_all = jnp.concatenate([labels[:, None], jnp.broadcast_to(
        companion_labels[None, :batch - 1], (len(z), batch - 1))], axis=1).reshape(-1)
  out = sampler(state, z_all.reshape(-1, z.shape[-1]), labels_all)
  return out.reshape((len(z), batch) + out.shape[1:])[:, 0]


def interpolate(workdir: str, rows: int, steps: int, path: str = "linear", seed: int = 0,
                statistics: str | None = None, batch: int | None = None,
                ema: bool | None = None, member: int | None = None):
  """`(samples, labels or None, vocabulary or None)`: `rows` paths of `steps` samples each
  (row-major) through the newest checkpoint's latent space, from one noise vector to another
  (`wgan_jax.latent`), each point generated as a plain sample (`sample_each`). A conditional
  model keeps one class per row.
  """
  config, experiment, state = load_run(workdir, member)
  classes = experiment.generated_classes
  sampler = Sampler(experiment.generator, classes, sample_settings(config, statistics, batch, ema),
                    experiment.latent)
  path_key, fill_key = jax.random.split(jax.random.PRNGKey(seed))
  z = latent_paths(path_key, rows, steps, experiment.generator.latent_dim, path)
  labels = jnp.repeat(jnp.arange(rows) % classes, steps) if classes else None
  samples = sample_each(sampler, state, z, labels, fill_key)
  return samples, (np.asarray(labels) if labels is not None else None), experiment.vocabulary


def traverse(workdir: str, code: int, steps: int = 10, span: float = 2.0, seed: int = 0,
             statistics: str | None = None, batch: int | None = None, ema: bool | None = None,
             member: int | None = None):
  """`(samples, categorical code of each)`: an InfoGAN run's latent traversal (Chen et al. 2016,
  Fig. 2), row-major: one row per value of the categorical code, `steps` columns sweeping
  continuous code `code` from -`span` to `span` (past the [-1, 1] trained on), the other
  continuous codes at 0 and one noise vector per row, each point generated as a plain sample.
  """
  config, experiment, state = load_run(workdir, member)
  latent = experiment.latent
  if not latent.categorical or not latent.continuous:
    raise UserError(f"{workdir} has no categorical and continuous latent codes to traverse "
                     f"(model.latent: {latent.categorical}-way categorical, {latent.continuous} "
                     f"continuous).")
  sampler = Sampler(experiment.generator, experiment.generated_classes,
                    sample_settings(config, statistics, batch, ema), latent)
  row_key, fill_key = jax.random.split(jax.random.PRNGKey(seed))
  rows = latent.categorical
  categories = jnp.repeat(jnp.arange(rows), steps)
  row_noise = jnp.repeat(latent.sample(row_key, rows)[:, :latent.noise_dim], steps, axis=0)
  z = latent.sample(row_key, rows * steps, categories).at[:, :latent.noise_dim].set(row_noise)
  for other in range(latent.continuous):
    z = latent.with_continuous(z, other, 0.0)
  z = latent.with_continuous(z, code, jnp.tile(jnp.linspace(-span, span, steps), rows))
  samples = sample_each(sampler, state, z, None, fill_key)
  return samples, np.asarray(categories)


def write_text_samples(samples: np.ndarray, vocabulary, out: str) -> list[str]:
  """Text samples (`[N, seq_len, vocabulary]` softmax) as the characters they pick, one per line
  (padding kept, as the official code writes them); returns the lines."""
  lines = vocabulary.decode(np.argmax(samples, axis=-1))
  with written_whole(out) as temporary, open(temporary, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
  return lines


def write_samples(samples: np.ndarray, labels, out: str, vocabulary=None,
                  columns: int | None = None) -> None:
  """Writes samples by the suffix of `out` (`columns`: images per row of a grid).

  `.npz`: key 'samples' (uint8 images, float points, or a text run's character ids) with
  'labels' for conditional models and 'text' for text runs; `.png`: an image grid or a scatter
  plot; `.txt`: a text run's samples, one per line.
  """
  if vocabulary is not None:
    if out.endswith(".txt"):
      write_text_samples(samples, vocabulary, out)
    elif out.endswith(".npz"):
      ids = np.argmax(samples, axis=-1).astype(np.int32)
      with written_whole(out) as temporary:
        np.savez(temporary, samples=ids, text=np.array(vocabulary.decode(ids)))
    else:
      raise UserError(f"A text run's samples go to a .txt or .npz file, got {out!r}.")
  elif out.endswith(".npz"):
    arrays = {"samples": to_uint8(samples) if samples.ndim == 4 else samples.astype(np.float32)}
    if labels is not None:
      arrays["labels"] = labels
    with written_whole(out) as temporary:
      np.savez(temporary, **arrays)
  elif out.endswith(".png"):
    if samples.ndim != 4:
      save_toy_plot(samples[:0], samples, out, title=f"{len(samples)} samples")
    else:
      save_image_grid(samples, out, columns)
  else:
    check_output_path(out)


OUTPUT_SUFFIXES = (".npz", ".png", ".txt")


def check_output_path(out: str) -> None:
  """Refuses, before anything is loaded, an output whose suffix `write_samples` does not write
  or whose folder does not exist."""
  if not out.endswith(OUTPUT_SUFFIXES):
    raise UserError(f"--out must end in .npz, .png (images, points) or .txt (text), got {out!r}.")
  folder = os.path.dirname(os.path.abspath(out))
  if not os.path.isdir(folder):
    raise UserError(f"--out {out}: the folder {folder} does not exist.")
