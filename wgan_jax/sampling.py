"""Sampling from a trained run: rebuild the models from `config.json`, restore the newest checkpoint."""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from wgan_jax import builder, rundir
from wgan_jax.checkpoint import Checkpointer
from wgan_jax.plotting import save_image_grid, to_uint8
from wgan_jax.state import all_finite
from wgan_jax.step import generate


def load_run(workdir: str):
  """Returns `(config, experiment, state)`: the run's config, what it builds (`builder.build`),
  and its newest checkpoint."""
  saved = rundir.saved_config(workdir)
  if saved is None:
    raise FileNotFoundError(f"{workdir} has no {rundir.CONFIG_FILE}: is it a training directory?")
  config = ml_collections.ConfigDict(saved)
  directory = os.path.join(workdir, "checkpoints")
  if not os.path.isdir(directory):  # looked for first: the checkpointer would create it
    raise FileNotFoundError(f"No checkpoint in {directory}: has the run saved one yet?")
  checkpointer = Checkpointer(directory, read_only=True)
  if checkpointer.latest_step() is None:
    checkpointer.close()
    raise FileNotFoundError(f"No checkpoint in {directory}: has the run saved one yet?")
  experiment = builder.build(config)
  step = checkpointer.latest_step()
  try:
    state = checkpointer.restore(experiment.init_state(), step)
  finally:
    checkpointer.close()
  if not bool(all_finite(state)):
    raise ValueError(f"The checkpoint of step {step} in {directory} holds NaN or "
                     f"infinite values (the run diverged before it was saved); nothing to "
                     f"sample from.")
  return config, experiment, state


def generate_samples(generator, state, num: int, num_classes: int = 0, seed: int = 0,
                     batch: int = 500):
  """`num` samples (float, in the data's range) and their labels (or None)."""
  if num < 1:
    raise ValueError(f"Asked for {num} samples: ask for at least one.")
  key = jax.random.PRNGKey(seed)
  labels = np.arange(num) % num_classes if num_classes else None
  fn = jax.jit(lambda z, y: generate(generator, state, z, y))
  outputs = []
  for start in range(0, num, batch):
    key, sub = jax.random.split(key)
    count = min(batch, num - start)
    z = jax.random.normal(sub, (count, generator.latent_dim))
    y = jnp.asarray(labels[start:start + count]) if labels is not None else None
    outputs.append(np.asarray(fn(z, y)))
  return np.concatenate(outputs), labels


def sample(workdir: str, num: int, seed: int = 0):
  """`num` samples from the newest checkpoint in `workdir`, and their labels (or None)."""
  _, experiment, state = load_run(workdir)
  return generate_samples(experiment.generator, state, num, experiment.num_classes, seed)


def write_samples(samples: np.ndarray, labels, out: str) -> None:
  """`.npz` (key 'samples', uint8 images or float points; 'labels' if conditional) or `.png` grid."""
  if out.endswith(".npz"):
    arrays = {"samples": to_uint8(samples) if samples.ndim == 4 else samples.astype(np.float32)}
    if labels is not None:
      arrays["labels"] = labels
    np.savez(out, **arrays)
  elif out.endswith(".png"):
    if samples.ndim != 4:
      from wgan_jax.plotting import save_toy_plot
      save_toy_plot(samples[:0], samples, out, title=f"{len(samples)} samples")
    else:
      save_image_grid(samples, out)
  else:
    raise ValueError(f"--out must end in .npz or .png, got {out!r}.")
