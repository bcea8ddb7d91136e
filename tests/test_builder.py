"""`builder.build`: the one place a config becomes models, optimizers, constraint, step and state.

The trainer, the benchmark and the paper figures all build through it, so for one config they run
the same step: the same metrics on the same state, batches and key.
"""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from wgan_jax.configs import wgan_gp_cifar_resnet
from tests.helpers import assert_trees_close
from wgan_jax import benchmark, builder, parallel
from wgan_jax.errors import ConfigError
from wgan_jax.paper import wgangp_fig5b
from wgan_jax.train import train


@pytest.fixture(scope="module")
def labelled_images(tmp_path_factory):
  rng = np.random.default_rng(0)
  path = tmp_path_factory.mktemp("data") / "images.npz"
  np.savez(path, x=rng.integers(0, 256, (48, 32, 32, 3)).astype(np.uint8),
           label=rng.integers(0, 10, 48))
  return str(path)


def _acgan_config(path):
  """The AC-GAN config with the settings earlier copies of the builder dropped (the class-loss
  weights, `generator_batch_multiple`, bfloat16 compute), on small MLPs: what is compared is
  how the step is built, and the ResNet pair compiles about 20x slower."""
  c = wgan_gp_cifar_resnet.get_config("acgan")
  c.data.update(dict(source="npz", path=path, device_resident=True, num_classes=10))
  c.model.generator = ml_collections.ConfigDict(dict(
      kind="mlp", latent_dim=16, width=16, depth=2, output_activation="tanh"))
  c.model.critic = ml_collections.ConfigDict(dict(
      kind="mlp", width=16, depth=2, conditioning="acgan"))
  c.batch_size, c.n_critic, c.num_steps = 8, 1, 1
  c.acgan_scale, c.acgan_scale_generator = 0.5, 0.3
  c.eval.num_samples, c.num_sample_images = 8, 8
  return c


@pytest.mark.slow
def test_trainer_benchmark_and_figure_run_the_same_step(labelled_images, tmp_path, monkeypatch):
  config = _acgan_config(labelled_images)
  built = {}
  real_build = builder.build

  def recording_build(cfg, **kwargs):
    experiment = real_build(cfg, **kwargs)
    built.setdefault(consumer, experiment)
    return experiment

  monkeypatch.setattr(builder, "build", recording_build)
  consumer = "trainer"
  train(config, str(tmp_path / "run"))
  consumer = "benchmark"
  benchmark.build_jax_step(config, count_flops=False)
  consumer = "figure"
  fig = wgangp_fig5b.get_config()
  with fig.unlocked():
    fig.runs = {"penalty": config}
  fig.train_examples, fig.validation_examples, fig.measure_batch = 16, 16, 8
  fig.quick.num_steps = 1
  wgangp_fig5b.overfitting_curves(fig, "penalty", quick=True)
  assert set(built) == {"trainer", "benchmark", "figure"}

  state = built["figure"].init_state()
  rng = np.random.default_rng(1)
  batches = {"x": jnp.asarray(rng.uniform(-1, 1, (1, 8, 32, 32, 3)), jnp.float32),
             "label": jnp.asarray(rng.integers(0, 10, (1, 8)), jnp.int32)}
  key = jax.random.PRNGKey(7)
  metrics = {"figure": jax.jit(built["figure"].train_step)(state, batches, key)[1]}
  one = jax.local_devices()[:1]
  for name in ("trainer", "benchmark"):  # both built for the device axis: run on one device
    mapped = jax.pmap(built[name].train_step, axis_name=parallel.DEFAULT_AXIS, devices=one,
                      in_axes=(0, 0, None))
    metrics[name] = parallel.unreplicate(mapped(parallel.replicate(state, one),
                                                parallel.replicate(batches, one), key)[1])
  assert {"critic_acgan_loss", "generator_acgan_loss"} <= set(metrics["benchmark"])
  for name in ("figure", "trainer"):
    assert_trees_close(metrics[name], metrics["benchmark"], rtol=1e-5, atol=1e-6)


def test_without_data_the_config_declares_the_shapes(labelled_images):
  config = _acgan_config(labelled_images)
  opened = builder.build(config)
  declared = builder.build(config, open_data=False)
  assert opened.source is not None and declared.source is None
  assert opened.example_shape == declared.example_shape == (32, 32, 3)
  assert opened.num_classes == declared.num_classes == 10
  abstract = declared.abstract_state()
  concrete = opened.init_state()
  assert jax.tree_util.tree_structure(abstract) == jax.tree_util.tree_structure(concrete)
  assert jax.tree_util.tree_all(jax.tree_util.tree_map(
      lambda a, b: a.shape == b.shape and a.dtype == b.dtype, abstract, concrete))
  assert opened.schedule(0) == config.n_critic


def test_a_batchnorm_critic_under_the_penalty_is_refused_when_built(labelled_images):
  config = _acgan_config(labelled_images)
  config.model.critic = ml_collections.ConfigDict(dict(kind="gp_dcgan", width=4,
                                                      normalization="batch"))
  with pytest.raises(ConfigError, match="normalization='batch' under constraint.kind='penalty'.*"
                                        "normalization=layer"):
    builder.build(config, open_data=False)


def test_an_unknown_matmul_precision_is_refused_when_built(labelled_images):
  config = _acgan_config(labelled_images)
  config.model.matmul_precision = "tf32"  # a ConfigError: the commands answer it with exit code 2
  with pytest.raises(ConfigError, match="model.matmul_precision='tf32': choose one of default, "
                                        "high, highest"):
    builder.build(config, open_data=False)


def test_latent_codes_size_the_q_head_and_need_one():
  from wgan_jax.configs import infogan
  from wgan_jax.config import ConfigError
  config = infogan.get_config()
  experiment = builder.build(config, open_data=False)
  assert experiment.latent.code_dim == 12 and experiment.critic.code_dim == 12
  assert experiment.critic.num_classes == 0  # the Q head has its own width, not a class count
  assert experiment.latent.noise_dim == 62 and experiment.latent.noise == "uniform"
  config.model.critic.conditioning = "projection"
  with pytest.raises(ConfigError, match="conditioning=info"):
    builder.build(config, open_data=False)
  config.model.critic.conditioning = "info"
  config.data.use_labels = True
  with pytest.raises(ConfigError, match="use_labels=False"):
    builder.build(config, open_data=False)


# config as recorded in tests/data/metrics_before_gan_family.json: (the config's name today,
# overrides as when it was recorded); the toy's and the baseline's methods were renamed since.
REGRESSION_CASES = {
    "wgan_gp_toy:8gaussians,penalty": ("wgan_gp_toy:8gaussians,wgan-gp", {}),
    "wgan_lsun_bedrooms:dcgan,mnist": ("wgan_lsun_bedrooms:dcgan,mnist",
                                       {"model.generator.width": 8, "model.critic.width": 8}),
    "wgan_gp_mnist:wgan-gp": ("wgan_gp_mnist:wgan-gp",
                              {"model.generator.width": 8, "model.critic.width": 8}),
    "wgan_gp_mnist:wgan": ("wgan_gp_mnist:wgan",
                           {"model.generator.width": 8, "model.critic.width": 8}),
    "wgan_gp_cifar_resnet:acgan": ("wgan_gp_cifar_resnet:acgan",
                                   {"model.generator.width": 4, "model.critic.width": 4}),
    "gan_baseline:gan,mlp,mnist": ("gan_baseline:dcgan,mlp,mnist",
                                   {"model.generator.width": 16, "model.critic.width": 16}),
}


@pytest.mark.slow  # five configs' steps compiled and compared with recorded metrics
@pytest.mark.parametrize("name", sorted(REGRESSION_CASES))
def test_existing_configs_give_the_metrics_recorded_before_the_gan_family(name):
  """Conditional critics, new objectives and heads left the WGAN, WGAN-GP, AC-GAN and GAN steps
  as they were: the same metrics for the same seed, batches and settings."""
  import importlib
  import json
  import pathlib

  recorded = json.loads((pathlib.Path(__file__).parent / "data" /
                         "metrics_before_gan_family.json").read_text())["metrics"][name]
  spec, overrides = REGRESSION_CASES[name]
  module, arg = spec.split(":")
  config = importlib.import_module(f"wgan_jax.configs.{module}").get_config(arg)
  config.update_from_flattened_dict({"batch_size": 8, "n_critic": 2, **overrides})
  experiment = builder.build(config, open_data=False)
  state = experiment.init_state()
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.uniform(-1, 1, (2, 8) + experiment.example_shape).astype(np.float32))
  batch = ({"x": x, "label": jnp.asarray(rng.integers(0, 10, (2, 8)))}
           if experiment.num_classes else x)
  step = jax.jit(experiment.train_step)
  for _ in range(2):
    state, metrics = step(state, batch)
  assert sorted(metrics) == sorted(recorded)
  for key, value in recorded.items():
    np.testing.assert_allclose(float(metrics[key]), value, rtol=2e-4, atol=1e-6, err_msg=key)
