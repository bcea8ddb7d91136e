"""The latent space: the InfoGAN prior and its codes; paths (ends, norms, the great-circle formula
against hand values, bad requests)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax.latent import LatentPrior, latent_paths, linear_path, spherical_path


def test_the_straight_line_runs_from_start_to_end_in_even_steps():
  start, end = jnp.array([1.0, -2.0]), jnp.array([3.0, 2.0])
  points = linear_path(start, end, jnp.linspace(0.0, 1.0, 5))
  np.testing.assert_allclose(points, [[1, -2], [1.5, -1], [2, 0], [2.5, 1], [3, 2]], atol=1e-6)


def test_the_great_circle_between_orthogonal_unit_vectors():
  start, end = jnp.array([1.0, 0.0, 0.0]), jnp.array([0.0, 1.0, 0.0])
  points = spherical_path(start, end, jnp.array([0.0, 1 / 3, 0.5, 1.0]))
  # At fraction t the point is (cos(t pi/2), sin(t pi/2), 0).
  expected = [[1, 0, 0], [np.cos(np.pi / 6), np.sin(np.pi / 6), 0],
              [np.sqrt(0.5), np.sqrt(0.5), 0], [0, 1, 0]]
  np.testing.assert_allclose(points, expected, atol=1e-6)


def test_the_great_circle_keeps_the_norm_where_the_straight_line_shrinks_it():
  start, end = jax.random.normal(jax.random.PRNGKey(0), (2, 128))
  end = end * jnp.linalg.norm(start) / jnp.linalg.norm(end)  # equal norms
  t = jnp.linspace(0.0, 1.0, 9)
  spherical = jnp.linalg.norm(spherical_path(start, end, t), axis=-1)
  linear = jnp.linalg.norm(linear_path(start, end, t), axis=-1)
  np.testing.assert_allclose(spherical, jnp.linalg.norm(start), rtol=1e-5)
  # Independent Gaussian vectors are nearly orthogonal: the midpoint's norm is about 1/sqrt(2).
  assert 0.6 < float(linear[4] / linear[0]) < 0.8


def test_nearly_parallel_ends_fall_back_to_the_straight_line():
  start = jnp.array([1.0, 2.0, 3.0])
  points = spherical_path(start, 2.0 * start, jnp.array([0.0, 0.5, 1.0]))
  np.testing.assert_allclose(points, [start, 1.5 * start, 2.0 * start], rtol=1e-5)
  assert np.all(np.isfinite(points))


@pytest.mark.parametrize("path", ["linear", "spherical"])
def test_paths_are_laid_out_row_by_row_between_two_noise_draws(path):
  key = jax.random.PRNGKey(3)
  z = latent_paths(key, rows=3, steps=4, latent_dim=6, path=path).reshape(3, 4, 6)
  starts, ends = (jax.random.normal(k, (3, 6)) for k in jax.random.split(key))
  np.testing.assert_allclose(z[:, 0], starts, atol=1e-5)
  np.testing.assert_allclose(z[:, -1], ends, atol=1e-5)
  assert not np.allclose(z[:, 1], z[:, 2])


@pytest.mark.parametrize("kwargs, message", [
    (dict(path="circle"), "Unknown latent path"),
    (dict(steps=1), "two steps"),
    (dict(rows=0), "at least one row")])
def test_bad_paths_are_refused(kwargs, message):
  args = dict(rows=2, steps=3, latent_dim=4, path="linear") | kwargs
  with pytest.raises(ValueError, match=message):
    latent_paths(jax.random.PRNGKey(0), **args)


def test_a_prior_without_codes_is_the_plain_gaussian_draw():
  key = jax.random.PRNGKey(3)
  np.testing.assert_array_equal(LatentPrior(6).sample(key, 4), jax.random.normal(key, (4, 6)))
  uniform = LatentPrior(6, noise="uniform").sample(key, 1000)
  assert float(uniform.min()) >= -1 and float(uniform.max()) <= 1


def test_infogan_codes_sit_after_the_noise_and_are_read_back():
  prior = LatentPrior(9, categorical=4, continuous=2, noise="uniform")
  assert (prior.noise_dim, prior.code_dim) == (3, 6)
  z = prior.sample(jax.random.PRNGKey(0), 500)
  assert z.shape == (500, 9)
  one_hot = np.asarray(z[:, 3:7])
  np.testing.assert_array_equal(one_hot.sum(1), 1.0)
  assert set(np.unique(one_hot)) == {0.0, 1.0}
  assert len(np.unique(one_hot.argmax(1))) == 4  # every value drawn
  continuous = np.asarray(z[:, 7:])
  assert continuous.min() >= -1 and continuous.max() <= 1 and continuous.std() > 0.5
  categories, read = prior.codes(z)
  np.testing.assert_array_equal(categories, one_hot.argmax(1))
  np.testing.assert_array_equal(read, continuous)
  fixed = prior.sample(jax.random.PRNGKey(1), 6, categories=jnp.array([3, 2, 1, 0, 1, 2]))
  np.testing.assert_array_equal(prior.codes(fixed)[0], [3, 2, 1, 0, 1, 2])
  swept = prior.with_continuous(fixed, 1, jnp.linspace(-2, 2, 6))
  np.testing.assert_allclose(prior.codes(swept)[1][:, 1], np.linspace(-2, 2, 6), atol=1e-6)
  np.testing.assert_array_equal(swept[:, :8], fixed[:, :8])  # nothing else moved


@pytest.mark.parametrize("settings, message", [
    (dict(latent_dim=4, categorical=4), "no noise"),
    (dict(latent_dim=8, categorical=1), "at least 2"),
    (dict(latent_dim=8, noise="cauchy"), "noise"),
])
def test_bad_priors_are_refused(settings, message):
  with pytest.raises(ValueError, match=message):
    LatentPrior(**settings)
