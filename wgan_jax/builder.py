"""From a config to everything a run needs, checked and built in one place.

    experiment = build(config)                    # checks the config, opens the data
    experiment = build(config, open_data=False)   # shapes from the config alone
    state = experiment.init_state()
    state, metrics = jax.jit(experiment.train_step)(state, real_batches)

The sequence config -> checks -> data source and example shape -> models -> optimizers ->
constraint -> train step -> initial state is written here only: the trainer, sampling and
evaluation, the benchmark, the pre-flight, the paper figures and the tests all build their
runs with `build`, so they cannot drift apart. `check_config` is the one place a config's
values are checked: before any data is read or anything compiled, the first mistake raises
`ConfigError` naming its key.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from wgan_jax import lipschitz, metrics, parallel
from wgan_jax.data import DataError, shapes
from wgan_jax.augment import parse_policy
from wgan_jax.data.toy import TOY_SAMPLERS
from wgan_jax.ema import GeneratorEMA
from wgan_jax.errors import ConfigError
from wgan_jax.latent import LatentPrior
from wgan_jax.lipschitz import Constraint, check_critic_compatible
from wgan_jax.losses import Losses
from wgan_jax.models import conv, create_models, network_class
from wgan_jax.objectives import get_objective
from wgan_jax.optim import optimizer_from_config
from wgan_jax.schedule import CriticSchedule
from wgan_jax.state import GANState, critic_variables, init_state
from wgan_jax.step import MATMUL_PRECISIONS, TrainStep, make_train_step


@dataclasses.dataclass(frozen=True)
class Experiment:
  """What a config builds: data description, networks, optimizers, losses and step."""

  config: ml_collections.ConfigDict
  source: Any  # a `data.sources.Source` when the data was opened, else None
  example_shape: tuple[int, ...]
  num_classes: int  # > 0: the data's labels reach the networks (conditional or classifier heads)
  generator: nn.Module
  critic: nn.Module
  generator_tx: optax.GradientTransformation
  critic_tx: optax.GradientTransformation
  losses: Losses  # the objective, the critic's constraint and the extra terms
  train_step: TrainStep
  schedule: CriticSchedule
  latent: LatentPrior  # what the generator's input is drawn from
  ema: GeneratorEMA | None = None  # the generator's moving average, when kept

  def init_state(self, seed: int | None = None) -> GANState:
    """Freshly initialised networks and optimizer states (from `config.seed` by default)."""
    seed = self.config.seed if seed is None else seed
    state = init_state(self.generator, self.critic, self.generator_tx, self.critic_tx,
                       jax.random.PRNGKey(seed), jnp.zeros((1,) + self.example_shape),
                       constraint=self.losses.constraint, ema=self.ema)
    check_critic_compatible(self.losses.constraint, critic_variables(state))
    return state

  def critic_variables(self, state: GANState) -> dict[str, Any]:
    """The critic's variables as training applies it: under spectral normalization, with
    every weight divided by its estimated largest singular value."""
    params = self.losses.constraint.normalize(state.critic_params, state.constraint_state)
    return critic_variables(state.replace(critic_params=params))

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
  """Builds the run `config` describes, after `check_config`.

  With `open_data`, the data source is opened and its first example checked
  against the config (every data error surfaces here, before anything
  compiles); otherwise the example shape and class count come from the config
  (`data.shapes`), for machines without the data. `axis_name` is the device
  axis the step averages over and BatchNorm synchronises on (None: one device).
  """
  check_config(config)
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
  with _setting("model"):
    generator, critic = create_models(config.model, example_shape, num_classes,
                                      axis_name=axis_name)
    latent = LatentPrior(generator.latent_dim, **config.model.latent)
  critic = _with_q_head(critic, latent)
  schedule = CriticSchedule.from_config(config)
  step = step_from_config(config, generator, critic, latent, axis_name)
  return Experiment(config, source, tuple(example_shape), num_classes, generator, critic,
                    step.generator_tx, step.critic_tx, step.losses, step.train_step, schedule,
                    latent, step.ema)


@dataclasses.dataclass(frozen=True)
class StepParts:
  """The optimizers, losses and moving average a config asks for, and the step made of them."""

  generator_tx: optax.GradientTransformation
  critic_tx: optax.GradientTransformation
  losses: Losses
  ema: GeneratorEMA | None
  train_step: TrainStep


def step_from_config(config: ml_collections.ConfigDict, generator: nn.Module,
                     critic: nn.Module, latent: LatentPrior,
                     axis_name: str | None = None) -> StepParts:
  """The train step of `config` for built networks. A population builds one per member inside
  its vmapped program, from a view of the config whose swept values are traced arrays."""
  generator_tx, critic_tx = optimizers_from_config(config)
  losses = losses_from_config(config)
  ema = ema_from_config(config)
  train_step = make_train_step(
      generator, critic, generator_tx, critic_tx, losses, latent=latent,
      generator_batch_multiple=config.generator_batch_multiple, axis_name=axis_name,
      compute_dtype=config.model.compute_dtype, matmul_precision=config.model.matmul_precision,
      critic_iterations=CriticSchedule.from_config(config).counts, ema=ema)
  return StepParts(generator_tx, critic_tx, losses, ema, train_step)


def _with_q_head(critic: nn.Module, latent: LatentPrior) -> nn.Module:
  """An InfoGAN critic with its Q head sized from the latent codes; other critics unchanged."""
  return critic.clone(code_dim=latent.code_dim) if latent.code_dim else critic


# ----------------------------------------------------------------------------- translation


def losses_from_config(config: ml_collections.ConfigDict) -> Losses:
  """The objective, the constraint and the extra terms the config names."""
  return Losses(config.objective, constraint_from_config(config),
                acgan_scale=config.acgan_scale, acgan_scale_generator=config.acgan_scale_generator,
                feature_matching=config.feature_matching, info_scale=config.info_scale,
                info_continuous_weight=config.info_continuous_weight, augment=config.augment)


def ema_from_config(config: ml_collections.ConfigDict) -> GeneratorEMA | None:
  """The generator's moving average `config.ema` asks for (None: decay 0, not kept)."""
  if not config.ema.decay:
    return None
  return GeneratorEMA(config.ema.decay, config.ema.start)


def constraint_from_config(config: ml_collections.ConfigDict) -> Constraint:
  """The Lipschitz constraint `config.constraint` names."""
  kind = config.constraint.kind
  if kind == "penalty":
    return lipschitz.GradientPenalty(weight=config.constraint.weight,
                                     one_sided=config.constraint.one_sided)
  if kind == "clip":
    return lipschitz.WeightClipping(clip_value=config.constraint.clip_value)
  if kind in ("r1", "r2"):
    return lipschitz.get_constraint(kind, gamma=config.constraint.weight,
                                    every=config.constraint.every)
  return lipschitz.get_constraint(kind)


def optimizers_from_config(config: ml_collections.ConfigDict):
  """(generator_tx, critic_tx), with the linear decay counted in generator iterations."""
  decay = config.optimizer.linear_decay_steps
  generator = dict(config.optimizer.generator, linear_decay_steps=decay)
  critic = dict(config.optimizer.critic, linear_decay_steps=decay)
  return (optimizer_from_config(generator),
          optimizer_from_config(critic, updates_per_step=config.n_critic))


# ----------------------------------------------------------------------------- checks

# Settings that count something and must be at least 1, or at least 0.
_AT_LEAST_ONE = ("batch_size", "n_critic", "generator_batch_multiple", "log_every",
                 "sample_every", "checkpoint_every", "keep_checkpoints", "num_sample_images",
                 "eval.num_samples", "eval.num_reference", "eval.batch_size", "data.toy_pool_size")
_AT_LEAST_ZERO = ("num_steps", "eval.every", "eval.sample_batch", "data.image_size",
                  "data.channels", "data.seq_len", "data.max_examples", "data.labelled_per_class",
                  "optimizer.linear_decay_steps", "acgan_scale", "acgan_scale_generator",
                  "info_scale", "info_continuous_weight", "constraint.weight", "population.size")
_COMPUTE_DTYPES = ("float32", "bfloat16", "float16")
_SAMPLE_STATISTICS = ("batch", "running")


@contextlib.contextmanager
def _setting(key: str):
  """A ValueError or TypeError raised while checking `key` becomes a ConfigError naming it."""
  try:
    yield
  except ConfigError:
    raise
  except (ValueError, TypeError) as error:
    raise ConfigError(f"{key}: {error}") from None


def _get(config: ml_collections.ConfigDict, key: str) -> Any:
  value = config
  for part in key.split("."):
    value = value[part]
  return value


def _choose(config: ml_collections.ConfigDict, key: str, choices) -> None:
  if _get(config, key) not in choices:
    raise ConfigError(f"{key}={_get(config, key)!r}: choose one of {', '.join(map(str, choices))}.")


def check_config(config: ml_collections.ConfigDict, devices: int | None = None) -> None:
  """Checks every setting a run is built from, before any data is read or anything compiled.

  The first mistake raises `ConfigError` naming its key and what it may be. `devices`: the
  number of devices the global batch is split over (the trainer's), when known.
  """
  for key in _AT_LEAST_ONE + _AT_LEAST_ZERO:
    value, least = _get(config, key), 1 if key in _AT_LEAST_ONE else 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
      raise ConfigError(f"{key}={value!r}: it must be a number of at least {least}.")
  if devices and config.batch_size % devices:
    raise ConfigError(f"batch_size={config.batch_size} does not split over the {devices} "
                      f"devices; choose a multiple of {devices}.")
  with _setting("objective"):
    get_objective(config.objective)
  _check_constraint(config)
  _check_optimizers(config)
  for role in ("generator", "critic"):
    with _setting(f"model.{role}"):
      network_class(role, config.model[role])
    for option in ("width", "depth", "latent_dim"):
      value = config.model[role].get(option)
      if value is not None and (not isinstance(value, int) or value < 1):
        raise ConfigError(f"model.{role}.{option}={value!r}: it must be a whole number of at "
                          f"least 1.")
  _check_model(config)
  _check_data_and_eval(config)
  _check_augment_and_ema(config)
  with _setting("parallelism"):
    parallel.resolve_parallelism(config.parallelism)


def _check_optimizers(config: ml_collections.ConfigDict) -> None:
  for role in ("generator", "critic"):
    settings = config.optimizer[role]
    if not settings.get("learning_rate", 0) > 0:
      raise ConfigError(f"optimizer.{role}.learning_rate={settings.get('learning_rate')!r}: "
                        f"it must be positive.")
    for beta in ("b1", "b2"):
      if beta in settings and not 0 <= settings[beta] < 1:
        raise ConfigError(f"optimizer.{role}.{beta}={settings[beta]!r}: it must be in [0, 1).")
  with _setting("optimizer"):
    optimizers_from_config(config)


def _check_constraint(config: ml_collections.ConfigDict) -> None:
  _choose(config, "constraint.kind", ("penalty", "clip", "r1", "r2", "spectral", "none"))
  every = config.constraint.every
  if isinstance(every, bool) or not isinstance(every, int) or every < 1:
    raise ConfigError(f"constraint.every={every!r}: it is a count of critic updates, at least 1.")
  if every > 1 and config.constraint.kind not in ("r1", "r2"):
    raise ConfigError(f"constraint.every={every} makes R1 / R2 lazy; it does not apply to "
                      f"constraint.kind={config.constraint.kind!r}. Leave it at 1.")
  if config.constraint.kind == "clip" and not config.constraint.clip_value > 0:
    raise ConfigError(f"constraint.clip_value={config.constraint.clip_value!r}: weights are "
                      f"clipped to [-c, c], so c must be positive (the WGAN paper: 0.01).")
  if (config.constraint.kind in ("penalty", "r1", "r2") and
      config.model.critic.get("normalization") == "batch"):
    raise ConfigError(
        f"model.critic.normalization='batch' under constraint.kind="
        f"'{config.constraint.kind}': the penalty is "
        "taken per example, which BatchNorm's batch statistics break; set "
        "--config.model.critic.normalization=layer (or none), as the WGAN-GP paper does.")


def _check_augment_and_ema(config: ml_collections.ConfigDict) -> None:
  with _setting("augment"):
    policy = parse_policy(config.augment)
  if policy and (config.data.source == "toy" or config.data.seq_len):
    what = "points" if config.data.source == "toy" else "text"
    raise ConfigError(f"augment={config.augment!r}: DiffAugment transforms images, and this "
                      f"run's data are {what}. Set --config.augment=''.")
  decay, start = config.ema.decay, config.ema.start
  if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1:
    raise ConfigError(f"ema.decay={decay!r}: it must be in [0, 1) (0: no moving average; "
                      f"StudioGAN's default is 0.9999).")
  if isinstance(start, bool) or not isinstance(start, int) or start < 0:
    raise ConfigError(f"ema.start={start!r}: it is a generator iteration, at least 0.")


def _check_model(config: ml_collections.ConfigDict) -> None:
  with _setting("model.conv_lowering"):
    conv.resolve_lowering(config.model.conv_lowering)
  _choose(config, "model.compute_dtype", _COMPUTE_DTYPES)
  _choose(config, "model.matmul_precision", MATMUL_PRECISIONS)
  latent_dim = config.model.generator.get("latent_dim", 1)
  with _setting("model.latent"):
    latent = LatentPrior(latent_dim, **config.model.latent)
  if latent.code_dim:
    if config.model.critic.get("conditioning") != "info":
      raise ConfigError(f"model.latent has codes ({latent.categorical}-way categorical, "
                        f"{latent.continuous} continuous): set --config.model.critic."
                        f"conditioning=info so the critic reads them back (InfoGAN).")
    if config.data.use_labels:
      raise ConfigError("InfoGAN's codes are learned without labels: set "
                        "--config.data.use_labels=False.")


def _check_data_and_eval(config: ml_collections.ConfigDict) -> None:
  _choose(config, "data.source", ("toy", "tfds", "mnist_idx", "image_folder", "npz", "text"))
  if config.data.source == "toy":
    _choose(config, "data.name", tuple(TOY_SAMPLERS))
  if config.data.labelled_per_class and not config.data.use_labels:
    raise ConfigError("data.labelled_per_class keeps some labels of a labelled data set; set "
                      "--config.data.use_labels=True too.")
  if config.population.get("shared_batches") and (config.data.device_resident or
                                                  not config.population.size):
    raise ConfigError("population.shared_batches applies to streamed data, one tf.data "
                      "pipeline for every member of a population; with data.device_resident "
                      "each member draws its own batches from the one copy on the devices. "
                      "Drop it, or set --config.data.device_resident=False.")
  _choose(config, "eval.sample_statistics", _SAMPLE_STATISTICS)
  if (config.eval.classifier_split and
      config.model.critic.get("conditioning") not in ("acgan", "semi_supervised")):
    raise ConfigError(f"eval.classifier_split={config.eval.classifier_split!r} scores the "
                      f"critic as a classifier, which needs a classifier head: "
                      f"--config.model.critic.conditioning=acgan or semi_supervised (with "
                      f"labelled data, --config.data.use_labels=True).")
  try:
    example_shape = shapes.declared_example_shape(config.data)
  except DataError:  # the shape comes from the data itself: checked when it is read
    example_shape = None
  with _setting("eval.metrics"):
    metrics.check_metrics(config.eval.metrics, config.data, example_shape)
