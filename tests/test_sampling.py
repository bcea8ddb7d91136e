"""Sampling from a run directory: what it refuses, and that it leaves the directory as it was."""

import json
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from wgan_jax.configs import default as default_config
from tests.helpers import PENALTY, tiny_image_setup
from wgan_jax import sampling
from wgan_jax.errors import ConfigError, RunDirError
from wgan_jax.state import generator_variables
from wgan_jax.step import generate


def test_sampling_needs_a_saved_checkpoint_and_creates_nothing(tmp_path):
  workdir = tmp_path / "run"
  with pytest.raises(RunDirError, match="config.json"):
    sampling.load_run(str(workdir))
  workdir.mkdir()
  (workdir / "config.json").write_text(json.dumps({"seed": 0}))
  with pytest.raises(RunDirError, match="No checkpoint"):
    sampling.load_run(str(workdir))
  assert os.listdir(workdir) == ["config.json"]  # no empty checkpoints/ left behind


@pytest.mark.parametrize("num", [0, -5])
def test_a_sample_count_below_one_is_refused(num):
  with pytest.raises(ValueError, match="at least one"):
    sampling.draw_samples(None, None, num, sampling.SampleSettings(True, 8))


def _batchnorm_generator(axis_name=None):
  """A tiny BatchNorm generator whose running averages are far from any batch's statistics."""
  generator, _, state, _ = tiny_image_setup(PENALTY, generator_norm="batch", axis_name=axis_name)
  shifted = jax.tree_util.tree_map(lambda s: s + 3.0, state.generator_batch_stats)
  return generator, state.replace(generator_batch_stats=shifted)


def test_batch_statistics_sample_as_the_generator_trains():
  generator, state = _batchnorm_generator()
  z = jax.random.normal(jax.random.PRNGKey(0), (8, generator.latent_dim))
  training_pass = generator.apply(generator_variables(state), z, None, train=True,
                                  mutable=["batch_stats"])[0]
  np.testing.assert_allclose(generate(generator, state, z, batch_statistics=True), training_pass,
                             rtol=1e-6, atol=1e-6)
  running = generate(generator, state, z)
  assert np.abs(np.asarray(running) - np.asarray(training_pass)).max() > 0.1


def test_runs_sample_with_batch_statistics_over_the_generator_batch_by_default():
  config = default_config.get_config()
  config.batch_size, config.generator_batch_multiple = 64, 2
  assert sampling.sample_settings(config) == sampling.SampleSettings(True, 128)
  config.eval.sample_statistics, config.eval.sample_batch = "running", 100
  assert sampling.sample_settings(config) == sampling.SampleSettings(False, 100)
  assert sampling.sample_settings(config, "batch", 7) == sampling.SampleSettings(True, 7)
  saved_before_the_keys = ml_collections.ConfigDict(
      {"batch_size": 64, "eval": {"num_samples": 10}})
  assert sampling.sample_settings(saved_before_the_keys) == sampling.SampleSettings(True, 64)
  config.eval.sample_statistics = "moving"
  with pytest.raises(ConfigError, match="'batch'.*'running'"):
    sampling.sample_settings(config)


def test_the_sampler_normalises_over_whole_batches_on_one_device():
  generator, state = _batchnorm_generator()
  settings = sampling.SampleSettings(True, 4)
  sampler = sampling.Sampler(generator, 0, settings)
  z, labels = sampler.noise(jax.random.PRNGKey(1), 6)
  assert z.shape == (8, generator.latent_dim) and labels is None  # padded to whole batches
  six = sampler(state, z, labels, 6)
  assert six.shape == (6, 16, 16, 1)
  np.testing.assert_array_equal(six, sampler(state, z, labels)[:6])
  np.testing.assert_allclose(six[:4], generate(generator, state, z[:4], batch_statistics=True),
                             rtol=1e-6, atol=1e-6)
  # A generator built for a data-parallel step (BatchNorm synchronised over a device axis) is
  # sampled outside pmap with the same result.
  synced, _ = _batchnorm_generator(axis_name="batch")
  np.testing.assert_allclose(sampling.Sampler(synced, 0, settings)(state, z, labels, 6), six,
                             rtol=1e-6, atol=1e-6)
  running = sampling.Sampler(generator, 0, sampling.SampleSettings(False, 4))
  np.testing.assert_allclose(running(state, z, labels, 6), generate(generator, state, z[:6]),
                             rtol=1e-6, atol=1e-6)


def test_draw_samples_gives_the_number_asked_for():
  generator, _, state, _ = tiny_image_setup(PENALTY)
  samples, labels, codes = sampling.draw_samples(generator, state, 5,
                                                 sampling.SampleSettings(True, 4), seed=3)
  assert samples.shape == (5, 16, 16, 1) and labels is None and codes is None


def test_each_point_is_generated_apart_from_its_neighbours():
  generator, state = _batchnorm_generator()
  sampler = sampling.Sampler(generator, 0, sampling.SampleSettings(True, 4))
  key = jax.random.PRNGKey(2)
  z = jax.random.normal(jax.random.PRNGKey(5), (3, generator.latent_dim))
  three = sampling.sample_each(sampler, state, z, None, key)
  # The same point beside other points, or alone, gives the same image: one batch of it and the
  # same three companions of ordinary noise.
  alone = sampling.sample_each(sampler, state, z[1:2], None, key)
  np.testing.assert_allclose(three[1:2], alone, rtol=1e-6, atol=1e-6)
  companions, _ = sampler.noise(key, 3)
  batch = jnp.concatenate([z[1:2], companions[:3]])
  np.testing.assert_allclose(alone[0], generate(generator, state, batch, batch_statistics=True)[0],
                             rtol=1e-6, atol=1e-6)
  # With running averages every point is simply the generator's output for it.
  running = sampling.Sampler(generator, 0, sampling.SampleSettings(False, 4))
  np.testing.assert_allclose(sampling.sample_each(running, state, z, None, key),
                             generate(generator, state, z), rtol=1e-6, atol=1e-6)
