"""Latent paths: ends, norms, the great-circle formula against hand values, bad requests."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax.latent import latent_paths, linear_path, spherical_path


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
