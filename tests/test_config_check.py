"""`builder.check_config`: the one place a config is checked. Each mistake is refused before any
data is read or anything compiled, naming its key."""

import pytest

from wgan_jax import builder
from wgan_jax.configs import default as default_config, wgan_gp_cifar
from wgan_jax.errors import ConfigError, UserError


def _default(**overrides):
  c = default_config.get_config()
  c.update_from_flattened_dict(overrides)
  return c


@pytest.mark.parametrize("key, value, message", [
    ("batch_size", 0, "batch_size=0: it must be a number of at least 1"),
    ("checkpoint_every", 0, "checkpoint_every=0"),
    ("log_every", 0, "log_every=0"),
    ("sample_every", 0, "sample_every=0"),
    ("n_critic", 0, "n_critic=0"),
    ("num_steps", -1, "num_steps=-1: it must be a number of at least 0"),
    ("model.generator.width", 0, "model.generator.width=0: it must be a whole number"),
    ("model.critic.depth", 0, "model.critic.depth=0"),
    ("optimizer.critic.learning_rate", -1e-4, "optimizer.critic.learning_rate=-0.0001: it must "
                                              "be positive"),
    ("optimizer.generator.b2", 1.5, "optimizer.generator.b2=1.5: it must be in [0, 1)"),
    ("constraint.weight", -10.0, "constraint.weight=-10.0"),
    ("constraint.kind", "lipschitz", "constraint.kind='lipschitz': choose one of penalty, clip, r1,"),
    ("constraint.every", 0, "constraint.every=0: it is a count of critic updates"),
    ("constraint.every", 16, "constraint.every=16 makes R1 / R2 lazy; it does not apply to "
                             "constraint.kind='penalty'"),
    ("augment", "color,flip", "augment: Unknown DiffAugment transform(s) ['flip']"),
    ("augment", "color", "augment='color': DiffAugment transforms images, and this run's data "
                         "are points"),
    ("ema.decay", 1.0, "ema.decay=1.0: it must be in [0, 1)"),
    ("ema.start", -5, "ema.start=-5: it is a generator iteration"),
    ("objective", "hinge-ish", "objective: Unknown objective 'hinge-ish'"),
    ("model.compute_dtype", "fp8", "model.compute_dtype='fp8': choose one of float32"),
    ("model.conv_lowering", "fast", "model.conv_lowering: Unknown conv_lowering 'fast'"),
    ("model.generator.kind", "vae", "model.generator: Unknown generator kind 'vae'"),
    ("data.source", "csv", "data.source='csv': choose one of toy, tfds"),
    ("data.name", "9gaussians", "data.name='9gaussians': choose one of 8gaussians"),
    ("eval.metrics", ("fid",), "eval.metrics: ['fid'] need image data"),
    ("eval.sample_statistics", "moving", "eval.sample_statistics='moving'"),
    ("parallelism", "dp", "parallelism: Unknown parallelism 'dp'"),
])
def test_a_bad_setting_is_refused_naming_its_key(key, value, message):
  with pytest.raises(ConfigError) as refusal:
    builder.check_config(_default(**{key: value}))
  assert message in str(refusal.value)
  assert isinstance(refusal.value, UserError)  # what the commands answer with exit code 2


def test_a_negative_clip_value_and_a_batchnorm_critic_under_the_penalty_are_refused():
  clip = wgan_gp_cifar.get_config("wgan")
  clip.constraint.clip_value = -0.01
  with pytest.raises(ConfigError, match="constraint.clip_value=-0.01: weights are clipped"):
    builder.check_config(clip)
  penalty = wgan_gp_cifar.get_config()
  penalty.model.critic.normalization = "batch"
  with pytest.raises(ConfigError, match="normalization=layer"):
    builder.check_config(penalty)
  penalty.constraint.kind = "r1"  # R1 is taken per example too
  with pytest.raises(ConfigError, match="under constraint.kind='r1'"):
    builder.check_config(penalty)
  penalty.constraint.kind = "spectral"  # no per-example gradient: BatchNorm is allowed
  builder.check_config(penalty)


def test_diffaugment_is_refused_on_text():
  from wgan_jax.configs import wgan_gp_language
  config = wgan_gp_language.get_config()
  config.augment = "translation"
  with pytest.raises(ConfigError, match="this run's data are text"):
    builder.check_config(config)


def test_the_batch_must_split_over_the_devices():
  builder.check_config(_default(batch_size=256), devices=4)
  with pytest.raises(ConfigError, match="batch_size=250 does not split over the 4 devices"):
    builder.check_config(_default(batch_size=250), devices=4)


def test_infogan_codes_need_a_q_head_and_no_labels():
  from wgan_jax.configs import infogan
  config = infogan.get_config()
  builder.check_config(config)
  config.model.critic.conditioning = "projection"
  with pytest.raises(ConfigError, match="conditioning=info"):
    builder.check_config(config)


def test_every_shipped_config_passes():
  from wgan_jax import configs
  import importlib
  for name in configs.shipped():
    builder.check_config(importlib.import_module(f"wgan_jax.configs.{name}").get_config())
