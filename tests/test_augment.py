"""DiffAugment (`wgan_jax.augment`): each transform by hand, one draw per example, determinism
under a key, gradients through it to the generator, and its place in the step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import augment
from tests.helpers import PENALTY, image_batches, tiny_image_setup

POLICY = ("color", "translation", "cutout")


def _images(n=4, size=8, channels=3, seed=0):
  return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)),
                     jnp.float32)


def test_policy_names_are_checked_and_put_in_order():
  assert augment.parse_policy("cutout, color") == ("color", "cutout")
  assert augment.parse_policy("") == ()
  with pytest.raises(ValueError, match="Unknown DiffAugment transform"):
    augment.parse_policy("color,flip")


def test_translation_moves_each_example_by_its_own_shift_and_fills_zeros():
  x = _images(2)
  shift = jnp.array([[1, -2], [0, 0]])
  out = augment.apply(x, {"shift": shift}, ("translation",))
  expected = np.zeros_like(np.asarray(x[0]))
  expected[:7, 2:] = np.asarray(x[0])[1:, :6]  # out[i, j] = x[i + 1, j - 2]
  np.testing.assert_array_equal(out[0], expected)
  np.testing.assert_array_equal(out[1], x[1])


def test_cutout_zeroes_a_square_half_the_side_around_its_centre():
  x = jnp.ones((1, 8, 8, 2))
  out = augment.apply(x, {"cutout_centre": jnp.array([[4, 0]])}, ("cutout",))
  zero = np.asarray(out[0, :, :, 0]) == 0
  assert zero.sum() == 4 * 2  # a 4x4 square centred at column 0, clipped to the image
  assert zero[2:6, 0:2].all()


def test_color_shifts_brightness_and_scales_saturation_and_contrast():
  x = _images(1)
  same = {"brightness": jnp.zeros(1), "saturation": jnp.ones(1), "contrast": jnp.ones(1)}
  np.testing.assert_allclose(augment.apply(x, same, ("color",)), x, atol=1e-6)
  brighter = dict(same, brightness=jnp.array([0.25]))
  np.testing.assert_allclose(augment.apply(x, brighter, ("color",)), x + 0.25, atol=1e-6)
  grey = dict(same, saturation=jnp.zeros(1))
  out = augment.apply(x, grey, ("color",))
  np.testing.assert_allclose(out, jnp.broadcast_to(x.mean(-1, keepdims=True), x.shape),
                             atol=1e-6)


def test_draws_are_per_example_and_fixed_by_the_key():
  x = _images(16)
  first = augment.augmenter(POLICY, jax.random.PRNGKey(3))(x)
  again = augment.augmenter(POLICY, jax.random.PRNGKey(3))(x)
  other = augment.augmenter(POLICY, jax.random.PRNGKey(4))(x)
  np.testing.assert_array_equal(first, again)
  assert not np.allclose(first, other)
  values = augment.draw(jax.random.PRNGKey(3), x.shape, POLICY)
  assert len(np.unique(np.asarray(values["brightness"]))) == 16
  limit = int(8 * augment.TRANSLATION_RATIO + 0.5)
  assert np.abs(np.asarray(values["shift"])).max() <= limit
  same = augment.augmenter((), jax.random.PRNGKey(3))(x)
  assert same is x


def test_gradients_flow_through_every_transform():
  x = _images(3)
  key = jax.random.PRNGKey(0)
  grad = jax.grad(lambda x: jnp.sum(augment.augmenter(POLICY, key)(x) ** 2))(x)
  assert np.all(np.isfinite(grad)) and np.abs(grad).sum() > 0


def test_only_images_are_augmented():
  with pytest.raises(ValueError, match="DiffAugment transforms images"):
    augment.augmenter(POLICY, jax.random.PRNGKey(0))(jnp.zeros((4, 10, 7)))


def test_the_step_augments_both_networks_views_and_the_penalty_composes():
  batches = image_batches(2, 8, image_shape=(16, 16, 1))
  _, _, plain_state, plain = tiny_image_setup(PENALTY)
  _, _, state, augmented = tiny_image_setup(PENALTY, augment=POLICY)
  plain_next, plain_metrics = jax.jit(plain)(plain_state, batches)
  next_state, metrics = jax.jit(augmented)(state, batches)
  assert np.isfinite(float(metrics["gradient_penalty"]))
  assert float(metrics["generator_grad_norm"]) > 0  # through the transforms to the generator
  assert not np.isclose(float(metrics["critic_loss"]), float(plain_metrics["critic_loss"]))
  # Deterministic under the state's key.
  again, _ = jax.jit(augmented)(state, batches)
  np.testing.assert_array_equal(jax.tree_util.tree_leaves(again.generator_params)[0],
                                jax.tree_util.tree_leaves(next_state.generator_params)[0])
