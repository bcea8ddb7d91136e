"""WGAN-GP Fig. 5b: the negative critic loss on the training set against a validation set,
training on 1,000 MNIST digits, under the penalty and under clipping: the critic overfits and
the two curves part.

The runs are short and measured as they go (the critic is scored on held-out digits between
updates), so they train their own loop here and keep nothing.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from wgan_jax import builder, program
from wgan_jax.configs import wgan_gp_mnist
from wgan_jax.data import pipeline
from wgan_jax.extras import train_extra
from wgan_jax.objectives import wasserstein_critic_loss
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import figure_header, save_figure, subplots
from wgan_jax.paper.provenance import note_run
from wgan_jax.paper.runs import prepared_run, present_runs
from wgan_jax.networks import split_scores
from wgan_jax.step import generate

with train_extra(__name__):
  from tqdm import tqdm


def get_config():
  c = settings.training_figure("wgangp_fig5b")
  c.num_steps = 500
  c.train_examples = 1000
  c.validation_examples = 1000
  c.measure_every = 20
  c.measure_batch = 1000  # real and fake examples behind each loss estimate
  c.quick.update(dict(num_steps=20, log_every=10))
  for label, mode in (("penalty", "wgan-gp"), ("clip", "wgan")):
    c.runs[label] = settings.scaled(wgan_gp_mnist.get_config(mode), {
        "num_steps": settings.follows(c, "num_steps"), "eval.metrics": ()})
  c.lock()
  return c


def _real_subset(config, split: str, count: int, seed: int) -> dict[str, np.ndarray]:
  """`count` examples of `split` (`{'x'}`, plus `'label'` for conditional configs), scaled."""
  arrays = pipeline.load_split(config.data, split, seed)
  order = np.sort(np.random.default_rng(seed).permutation(len(arrays["x"]))[:count])
  return {name: values[order] for name, values in arrays.items()}


def overfitting_curves(fig, label: str, quick: bool) -> dict:
  """Trains on `train_examples` digits, measuring the negative critic loss on them and held out."""
  config = prepared_run(fig, label, quick)
  note_run(fig, label)  # trained here, by this process's code
  experiment = builder.build(config)
  generator, critic, constraint = experiment.generator, experiment.critic, experiment.losses.constraint
  dataset = jax.tree_util.tree_map(
      jnp.asarray, _real_subset(config, "train", fig.train_examples, config.seed))
  validation = _real_subset(config, "test", fig.validation_examples, config.seed + 1)
  advance = jax.jit(program.resident_step(experiment.train_step, config.n_critic,
                                          config.batch_size), donate_argnums=0)

  @jax.jit
  def negative_critic_loss(state, real, key):
    """E f(real) - E f(fake) - penalty, the critic's objective as its training logs it."""
    x, labels = real["x"], real.get("label")
    z_key, a_key = jax.random.split(key)
    z = experiment.latent.sample(z_key, x.shape[0])
    fake = generate(generator, state, z, labels, batch_statistics=True)  # as the step makes them
    score = lambda x: split_scores(critic.apply(experiment.critic_variables(state), x,  # noqa: E731
                                                train=False))[0]
    alpha = jax.random.uniform(a_key, (x.shape[0],))
    penalty, _ = constraint.penalty(score, x, fake, alpha)
    return -(wasserstein_critic_loss(score(x), score(fake)) + penalty)

  state = experiment.init_state()
  measure_batch = min(fig.measure_batch, len(dataset["x"]), len(validation["x"]))
  # On the device once, not copied every measurement.
  measured = {"train": jax.tree_util.tree_map(lambda a: a[:measure_batch], dataset),
              "validation": jax.tree_util.tree_map(lambda a: jnp.asarray(a[:measure_batch]),
                                                   validation)}
  every = fig.quick.log_every if quick else fig.measure_every
  curve = {"steps": [], "train": [], "validation": []}
  started = time.time()
  for i in tqdm(range(1, config.num_steps + 1), desc=f"fig5b/{label}", unit="it"):
    state, _ = advance(state, dataset)
    if i % every == 0 or i == config.num_steps:
      key = jax.random.PRNGKey(i)  # the same fakes for both sets
      curve["steps"].append(i)
      for name, real in measured.items():
        curve[name].append(float(negative_critic_loss(state, real, key)))
  return {"label": label, "constraint": config.constraint.kind,
          "optimizer": config.optimizer.critic.to_dict(), "critic": config.model.critic.to_dict(),
          "num_steps": config.num_steps, "train_sec": time.time() - started, **curve}


def make(fig, out_dir: str, workdir: str | None = None, quick: bool = False) -> dict:
  """On 1,000 digits the critic overfits: train and validation losses part."""
  del workdir  # the runs are short and measured as they go, so nothing is kept
  start = time.time()
  curves = [overfitting_curves(fig, label, quick)
            for label in present_runs(fig, ("penalty", "clip"))]
  figure, axes = subplots(1, len(curves), figsize=(5.5 * len(curves), 4), squeeze=False)
  for ax, curve in zip(axes[0], curves):
    ax.plot(curve["steps"], curve["train"], label="training set")
    ax.plot(curve["steps"], curve["validation"], label="validation set")
    ax.set_title("gradient penalty" if curve["label"] == "penalty" else "weight clipping")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("negative critic loss")
    ax.legend()
  data = figure_header(fig, quick, start)
  data.update(train_examples=fig.train_examples, validation_examples=fig.validation_examples,
              curves=curves)
  return save_figure(out_dir, fig, quick, figure, data)
