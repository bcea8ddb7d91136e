"""Spectral normalization (`wgan_jax.spectral`, `lipschitz.SpectralNormalization`): the power
iteration against the SVD, one step against the textbook update and flax's `SpectralNorm`, the
gradient through W / sigma(W), and its state through the step and a checkpoint."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import lipschitz, spectral
from wgan_jax.checkpoint import Checkpointer
from tests.helpers import assert_trees_close, image_batches, tiny_image_setup

SPECTRAL = lipschitz.SpectralNormalization()


def _params(seed=0):
  rng = np.random.default_rng(seed)
  return {"dense": {"kernel": jnp.asarray(rng.normal(size=(20, 12)), jnp.float32),
                    "bias": jnp.asarray(rng.normal(size=(12,)), jnp.float32)},
          "conv": {"kernel": jnp.asarray(rng.normal(size=(3, 3, 4, 6)), jnp.float32)},
          "norm": {"scale": jnp.ones((6,), jnp.float32)}}


def test_power_iteration_finds_the_largest_singular_value_of_each_reshaped_kernel():
  params = _params()
  vectors = spectral.init_vectors(params, jax.random.PRNGKey(0))
  assert set(vectors) == {"dense", "conv"}  # weights only: no bias, no normalization scale
  update = jax.jit(spectral.update_vectors)
  for _ in range(200):
    vectors = update(params, vectors)
  sigmas = spectral.sigmas(params, vectors)
  for name, kernel in (("dense/kernel", params["dense"]["kernel"]),
                       ("conv/kernel", params["conv"]["kernel"])):
    # A convolution [h, w, in, out] is the matrix [h * w * in, out], as SN-GAN reshapes it.
    largest = jnp.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
    np.testing.assert_allclose(float(sigmas[name]), float(largest), rtol=1e-4)
  normalized = spectral.normalize(params, vectors)
  top = jnp.linalg.svd(normalized["conv"]["kernel"].reshape(-1, 6), compute_uv=False)[0]
  np.testing.assert_allclose(float(top), 1.0, rtol=1e-4)
  np.testing.assert_array_equal(normalized["dense"]["bias"], params["dense"]["bias"])
  np.testing.assert_array_equal(normalized["norm"]["scale"], params["norm"]["scale"])


def test_one_step_is_the_textbook_update_and_matches_flax_spectral_norm():
  w = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
  u0 = np.random.default_rng(2).normal(size=(5,)).astype(np.float32)
  u0 /= np.linalg.norm(u0)
  pair = spectral.power_iteration(jnp.asarray(w), {"u": jnp.asarray(u0), "v": jnp.zeros(7)})
  v = w @ u0 / np.linalg.norm(w @ u0)
  u = w.T @ v / np.linalg.norm(w.T @ v)
  np.testing.assert_allclose(pair["v"], v, rtol=1e-5)
  np.testing.assert_allclose(pair["u"], u, rtol=1e-5)
  np.testing.assert_allclose(float(spectral.sigma(jnp.asarray(w), pair)), v @ w @ u, rtol=1e-5)

  # flax.linen.SpectralNorm, started from the same u, divides the kernel by the same sigma.
  layer = nn.SpectralNorm(nn.Dense(5), n_steps=1)
  x = jnp.asarray(np.random.default_rng(3).normal(size=(4, 7)), jnp.float32)
  variables = layer.init(jax.random.PRNGKey(0), x, update_stats=False)
  variables["params"]["layer_instance"]["kernel"] = jnp.asarray(w)
  variables["batch_stats"]["layer_instance/kernel/u"] = jnp.asarray(u0)[None]
  flax_out, _ = layer.apply(variables, x, update_stats=True, mutable=["batch_stats"])
  ours = x @ spectral.normalize({"k": jnp.asarray(w)}, {"k": pair})["k"]
  np.testing.assert_allclose(flax_out, ours + variables["params"]["layer_instance"]["bias"],
                             rtol=1e-5, atol=1e-6)


def test_the_gradient_reaches_the_weight_through_sigma_and_not_the_vectors():
  w = jnp.asarray(np.random.default_rng(4).normal(size=(6, 4)), jnp.float32)
  pair = spectral.power_iteration(w, {"u": jnp.ones(4) / 2.0, "v": jnp.zeros(6)})
  r = jnp.asarray(np.random.default_rng(5).normal(size=(6, 4)), jnp.float32)
  loss = lambda w: jnp.sum(r * spectral.normalize({"k": w}, {"k": pair})["k"])  # noqa: E731
  sigma = pair["v"] @ w @ pair["u"]
  # d/dW sum(R * W / sigma) with sigma = v^T W u and (u, v) held fixed.
  expected = r / sigma - jnp.sum(r * w) / sigma ** 2 * jnp.outer(pair["v"], pair["u"])
  np.testing.assert_allclose(jax.grad(loss)(w), expected, rtol=1e-4, atol=1e-6)
  vector_grad = jax.grad(lambda u: jnp.sum(spectral.normalize(
      {"k": w}, {"k": {"u": u, "v": pair["v"]}})["k"]))(pair["u"])
  assert np.all(np.isfinite(vector_grad))  # differentiable, but the step never asks for it


def test_a_spectral_step_advances_the_vectors_and_resumes_exactly(tmp_path):
  _, _, state, step = tiny_image_setup(SPECTRAL, critic_norm="none", objective="hinge")
  assert state.constraint_state is not None
  step = jax.jit(step)
  batches = [image_batches(3, 8, seed=s) for s in range(3)]
  first, metrics = step(state, batches[0])
  assert np.isfinite(float(metrics["critic_loss"]))
  moved = jax.tree_util.tree_map(lambda a, b: float(jnp.max(jnp.abs(a - b))),
                                 state.constraint_state, first.constraint_state)
  assert max(jax.tree_util.tree_leaves(moved)) > 0  # three power-iteration steps taken
  checkpointer = Checkpointer(str(tmp_path / "ckpt"), async_save=False)
  checkpointer.save(1, first)
  checkpointer.wait()
  restored = checkpointer.restore(state)
  assert_trees_close(restored, first, rtol=0, atol=0)
  continued, _ = step(first, batches[1])
  resumed, _ = step(restored, batches[1])
  assert_trees_close(resumed, continued, rtol=0, atol=0)


def test_a_state_without_vectors_is_refused_with_the_way_to_make_one():
  _, _, state, step = tiny_image_setup(SPECTRAL, critic_norm="none")
  with pytest.raises(ValueError, match="init_state\\(..., constraint=losses.constraint\\)"):
    step(state.replace(constraint_state=None), image_batches(1, 4))
