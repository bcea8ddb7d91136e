"""From a config to everything a run needs, built in one place.

    experiment = build(config)                    # opens the data and checks it
    experiment = build(config, open_data=False)   # shapes from the config alone
    state = experiment.init_state()
    state, metrics = jax.jit(experiment.train_step)(state, real_batches)

The sequence config -> data source and example shape -> models -> optimizers ->
constraint -> train step -> initial state is written here only: the trainer,
sampling and evaluation, the benchmark, the paper figures and the tests all
build their runs with `build`, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import optax
import flax.linen as nn

from wgan_jax.config import ConfigError, constraint_from_config, optimizers_from_config
from wgan_jax.data import shapes
from wgan_jax.latent import LatentPrior
from wgan_jax.lipschitz import Constraint, check_critic_compatible
from wgan_jax.models import create_models
from wgan_jax.schedule import CriticSchedule
from wgan_jax.state import GANState, critic_variables, init_state
from wgan_jax.step import TrainStep, make_train_step


@dataclasses.dataclass(frozen=True)
class Experiment:
  """What a config builds: data description, networks, optimizers, constraint and step."""

  config: ml_collections.ConfigDict
  source: Any  # a `data.sources.Source` when the data was opened, else None
  example_shape: tuple[int, ...]
  num_classes: int  # > 0: the data's labels reach the networks (conditional or classifier heads)
  generator: nn.Module
  critic: nn.Module
  generator_tx: optax.GradientTransformation
  critic_tx: optax.GradientTransformation
  constraint: Constraint
  train_step: TrainStep
  schedule: CriticSchedule
  latent: LatentPrior  # what the generator's input is drawn from

  def init_state(self, seed: int | None = None) -> GANState:
    """Freshly initialised networks and optimizer states (from `config.seed` by default)."""
    seed = self.config.seed if seed is None else seed
    state = init_state(self.generator, self.critic, self.generator_tx, self.critic_tx,
                       jax.random.PRNGKey(seed), jnp.zeros((1,) + self.example_shape))
    check_critic_compatible(self.constraint, critic_variables(state))
    return state

  @property
  def generated_classes(self) -> int:
    """The classes the generator is conditioned on: `num_classes`, or 0 for a generator built
    unconditional beside a critic that reads labels (the semi-supervised GAN)."""
    return int(getattr(self.generator, "num_classes", 0) or 0)

  @property
  def vocabulary(self):
    """Text runs: the `data.text.Vocabulary` of the opened data (None otherwise)."""
    return getattr(self.source, "vocabulary", None)

  def abstract_state(self) -> GANState:
    """The state's shapes and dtypes, with nothing allocated or computed."""
    return jax.eval_shape(self.init_state)


def build(config: ml_collections.ConfigDict, *, axis_name: str | None = None,
          open_data: bool = True) -> Experiment:
  """Builds the run `config` describes.

  With `open_data`, the data source is opened and its first example checked
  against the config (every data error surfaces here, before anything
  compiles); otherwise the example shape and class count come from the config
  (`data.shapes`), for machines without the data. `axis_name` is the device
  axis the step averages over and BatchNorm synchronises on (None: one device).
  """
  if open_data:
    from wgan_jax.data import pipeline, sources  # TensorFlow

    source = sources.make_source(config.data, config.seed)
    if config.data.labelled_per_class:
      source = sources.labelled_subset(source, config.data.labelled_per_class, config.seed)
    example_shape = pipeline.check_example_shape(pipeline.peek(source), config.data,
                                                 source.description, source.vocabulary)
    num_classes = source.num_classes if config.data.use_labels else 0
  else:
    source = None
    example_shape = shapes.declared_example_shape(config.data)
    num_classes = shapes.declared_num_classes(config.data)
  generator, critic = create_models(config.model, example_shape, num_classes, axis_name=axis_name)
  latent = LatentPrior(generator.latent_dim, **config.model.latent)
  critic = _with_q_head(critic, latent, num_classes)
  generator_tx, critic_tx = optimizers_from_config(config)
  constraint = constraint_from_config(config)
  schedule = CriticSchedule.from_config(config)
  train_step = make_train_step(
      generator, critic, generator_tx, critic_tx, objective=config.objective,
      constraint=constraint, generator_batch_multiple=config.generator_batch_multiple,
      acgan_scale=config.acgan_scale, acgan_scale_generator=config.acgan_scale_generator,
      feature_matching=config.feature_matching, latent=latent, info_scale=config.info_scale,
      info_continuous_weight=config.info_continuous_weight,
      axis_name=axis_name, compute_dtype=config.model.compute_dtype,
      matmul_precision=config.model.matmul_precision, critic_iterations=schedule.counts)
  return Experiment(config, source, tuple(example_shape), num_classes, generator, critic,
                    generator_tx, critic_tx, constraint, train_step, schedule, latent)


def _with_q_head(critic: nn.Module, latent: LatentPrior, num_classes: int) -> nn.Module:
  """An InfoGAN critic with its Q head sized from the latent codes; other critics unchanged."""
  if not latent.code_dim:
    return critic
  if getattr(critic, "conditioning", None) != "info":
    raise ConfigError(f"model.latent has codes ({latent.categorical}-way categorical, "
                      f"{latent.continuous} continuous): set --config.model.critic.conditioning="
                      f"info so the critic reads them back (InfoGAN).")
  if num_classes:
    raise ConfigError("InfoGAN's codes are learned without labels: set "
                      "--config.data.use_labels=False.")
  return critic.clone(num_classes=latent.code_dim)
