"""The device-resident path: batches drawn in-graph equal the plain step on the same batches,
on one device and data-parallel."""

import jax
import jax.numpy as jnp
import numpy as np

from tests.helpers import PENALTY, assert_trees_close, image_batches, tiny_image_setup
from wgan_jax import parallel
from wgan_jax.data.resident import holds_pixels, pixel_preprocess
from wgan_jax.program import resident_step

N_CRITIC = 3


def test_device_resident_step_is_the_plain_step_on_the_drawn_batches():
  _, _, state, step = tiny_image_setup(PENALTY)
  rng = np.random.default_rng(3)
  pixels = jnp.asarray(rng.integers(0, 256, (20, 16, 16, 1)).astype(np.uint8))
  dequantize = lambda x, noise: x.astype(jnp.float32) / 128 - 1 + noise / 128  # noqa: E731
  advance = jax.jit(resident_step(step, N_CRITIC, 6, dequantize))
  got_state, got_metrics = advance(state, pixels)

  # The same draws, made by hand, fed to the plain fused step.
  key = jax.random.fold_in(state.key, state.step)
  index_key, noise_key = jax.random.split(jax.random.fold_in(key, 0x5EED))
  indices = jax.random.randint(index_key, (6, N_CRITIC), 0, 20).T
  noise = jax.random.uniform(noise_key, (6, N_CRITIC, 16, 16, 1)).swapaxes(0, 1)
  batches = dequantize(pixels[indices], noise)
  assert float(batches.min()) >= -1 and float(batches.max()) < 1
  want_state, want_metrics = jax.jit(step)(state, batches, key)
  assert_trees_close(got_state, want_state, rtol=1e-6, atol=1e-7)
  assert_trees_close(got_metrics, want_metrics, rtol=1e-6, atol=1e-7)


def test_device_resident_step_is_the_same_on_four_devices():
  axis = parallel.DEFAULT_AXIS
  labels = jnp.arange(24) % 10
  data = {"x": image_batches(1, 24, seed=4)[0], "label": labels}
  _, _, state, single_step = tiny_image_setup(PENALTY)
  _, _, _, multi_step = tiny_image_setup(PENALTY, axis_name=axis)
  reference, reference_metrics = jax.jit(resident_step(single_step, N_CRITIC, 8))(state, data)
  pmapped = jax.pmap(resident_step(multi_step, N_CRITIC, 2), axis_name=axis)
  replicated, metrics = pmapped(parallel.replicate(state), parallel.replicate(data))
  assert_trees_close(parallel.unreplicate(replicated), reference, rtol=2e-4, atol=2e-5)
  assert_trees_close(parallel.unreplicate(metrics), reference_metrics, rtol=2e-4, atol=2e-5)


def test_pixel_preprocess_matches_the_pipeline_scaling():
  pixels = jnp.asarray([0, 127, 255], jnp.uint8)
  np.testing.assert_allclose(pixel_preprocess(False)(pixels, 0.0), [-1.0, 127 / 127.5 - 1, 1.0],
                             rtol=1e-6, atol=1e-6)
  noise = jnp.asarray([0.0, 0.5, 0.999])
  np.testing.assert_allclose(pixel_preprocess(True)(pixels, noise),
                             np.array([0, 127, 255]) / 128 - 1 + noise / 128, rtol=1e-6)


def test_pixels_are_integer_or_resized_images():
  images = {"x": np.zeros((4, 8, 8, 1), np.uint8)}
  assert holds_pixels(images, {})
  assert holds_pixels({"x": np.zeros((4, 8, 8, 1), np.int64)}, {})  # any integer dtype
  assert holds_pixels({"x": np.zeros((4, 8, 8, 1), np.float32)}, {"resize": True,
                                                                     "image_size": 8})
  assert not holds_pixels({"x": np.zeros((4, 8, 8, 1), np.float32)}, {})  # already in [-1, 1]
  assert not holds_pixels({"x": np.zeros((4, 2), np.float32)}, {})  # points
  assert not holds_pixels(jax.ShapeDtypeStruct((4, 32), np.int32), {})  # token ids
