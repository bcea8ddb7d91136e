import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from tests.helpers import CLIPPING, assert_trees_close, image_batches, tiny_image_setup
from wgan_jax import lipschitz
from wgan_jax.models import MLPCritic


@pytest.mark.parametrize("batch,shape", [(1, (3,)), (7, (5,)), (4, (2, 3, 2))])
def test_penalty_of_linear_critic_is_exact(batch, shape):
  rng = np.random.default_rng(batch)
  w = jnp.asarray(rng.normal(size=shape).astype(np.float32))
  score_fn = lambda x: jnp.sum(x * w, axis=tuple(range(1, x.ndim)))
  real = jnp.asarray(rng.normal(size=(batch,) + shape).astype(np.float32))
  fake = jnp.asarray(rng.normal(size=(batch,) + shape).astype(np.float32))
  alpha = jnp.asarray(rng.random(batch).astype(np.float32))
  penalty, norms = lipschitz.gradient_penalty(score_fn, real, fake, alpha, weight=10.0)
  expected = 10.0 * (np.linalg.norm(np.asarray(w)) - 1.0) ** 2
  np.testing.assert_allclose(float(penalty), expected, rtol=1e-5)
  np.testing.assert_allclose(np.asarray(norms), np.linalg.norm(np.asarray(w)), rtol=1e-6)


def test_one_sided_penalty_ignores_small_slopes():
  w = jnp.array([0.3, 0.4])  # norm 0.5 < 1
  score_fn = lambda x: x @ w
  x = jnp.ones((3, 2))
  two_sided, _ = lipschitz.gradient_penalty(score_fn, x, -x, jnp.full((3,), 0.5), weight=1.0)
  one_sided, _ = lipschitz.gradient_penalty(score_fn, x, -x, jnp.full((3,), 0.5), weight=1.0,
                                            one_sided=True)
  np.testing.assert_allclose(float(two_sided), 0.25, rtol=1e-6)
  assert float(one_sided) == 0.0


def test_interpolation_uses_one_coefficient_per_example():
  real = jnp.ones((3, 2, 2))
  fake = jnp.zeros((3, 2, 2))
  x_hat = lipschitz.interpolate(real, fake, jnp.array([0.0, 0.5, 1.0]))
  np.testing.assert_allclose(np.asarray(x_hat[:, 0, 0]), [0.0, 0.5, 1.0])
  assert np.all(np.asarray(x_hat) == np.asarray(x_hat)[:, :1, :1])


def test_per_example_gradients_equal_gradients_of_the_sum():
  critic = MLPCritic(width=16, depth=3)
  x = jax.random.normal(jax.random.PRNGKey(0), (6, 4))
  params = critic.init(jax.random.PRNGKey(1), x)
  score_fn = lambda v: critic.apply(params, v)
  per_example = lipschitz.per_example_input_gradients(score_fn, x)
  summed = jax.grad(lambda v: jnp.sum(score_fn(v)))(x)
  np.testing.assert_allclose(np.asarray(per_example), np.asarray(summed), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("conditioning", ["projection", "input"])
def test_a_conditional_critic_keeps_each_example_s_label_in_its_gradient(conditioning):
  critic = MLPCritic(width=16, depth=2, num_classes=3, conditioning=conditioning)
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 5))
  labels = jnp.array([0, 2, 1, 2])
  params = critic.init(jax.random.PRNGKey(1), x, labels)
  params = jax.tree_util.tree_map(lambda v: v + 0.1, params)  # the projection starts near 0
  score_fn = lambda v, y: critic.apply(params, v, y)  # noqa: E731
  per_example = lipschitz.per_example_input_gradients(score_fn, x, labels)
  for i in range(len(x)):  # example i's gradient under its own label only
    alone = jax.grad(lambda v: score_fn(v[None], labels[i:i + 1])[0])(x[i])
    np.testing.assert_allclose(np.asarray(per_example[i]), np.asarray(alone), rtol=1e-5,
                               atol=1e-6)
  other = lipschitz.per_example_input_gradients(score_fn, x, jnp.zeros_like(labels))
  assert float(jnp.max(jnp.abs(per_example - other))) > 1e-4
  penalty, _ = lipschitz.gradient_penalty(score_fn, x, -x, jnp.full((4,), 0.3), labels=labels)
  assert np.isfinite(float(penalty))


def test_norm_is_over_all_non_batch_axes():
  grads = jnp.arange(2 * 3 * 4, dtype=jnp.float32).reshape(2, 3, 4)
  norms = lipschitz.per_example_norms(grads)
  expected = np.linalg.norm(np.asarray(grads).reshape(2, -1), axis=1)
  np.testing.assert_allclose(np.asarray(norms), expected, rtol=1e-6)
  # The gradient of the norm is finite at a zero gradient.
  assert np.all(np.isfinite(jax.grad(lambda g: lipschitz.per_example_norms(g).sum())(
      jnp.zeros((2, 3)))))


def test_clipped_critic_update_keeps_every_leaf_in_the_box():
  # A large learning rate pushes parameters far outside [-c, c] before projection.
  _, _, state, step = tiny_image_setup(CLIPPING, critic_norm="batch",
                                       optimizer=optax.sgd(10.0))
  state, _ = jax.jit(step.critic_update)(state, image_batches(1, 8)[0], jax.random.PRNGKey(3))
  leaves = jax.tree_util.tree_leaves(state.critic_params)
  assert any("scale" in str(path) for path, _ in
             jax.tree_util.tree_flatten_with_path(state.critic_params)[0])  # BN scales included
  for leaf in leaves:
    assert float(jnp.max(jnp.abs(leaf))) <= 0.01 + 1e-7
  # The clip is active: some leaves sit exactly on the boundary.
  assert any(float(jnp.max(jnp.abs(leaf))) == pytest.approx(0.01) for leaf in leaves)


def test_clip_weights_projects_every_leaf():
  tree = {"a": jnp.array([-3.0, 0.005, 2.0]), "b": {"c": jnp.array([[0.5]])}}
  clipped = lipschitz.clip_weights(tree, 0.01)
  np.testing.assert_allclose(np.asarray(clipped["a"]), [-0.01, 0.005, 0.01])
  np.testing.assert_allclose(np.asarray(clipped["b"]["c"]), [[0.01]])


def test_batchnorm_critic_with_penalty_is_rejected():
  from wgan_jax.models import DCGANCritic
  critic = DCGANCritic(width=4, normalization="batch")
  variables = critic.init(jax.random.PRNGKey(0), jnp.zeros((1, 16, 16, 1)), train=False)
  with pytest.raises(lipschitz.BatchNormWithPenaltyError, match="LayerNorm|'layer'"):
    lipschitz.check_critic_compatible(lipschitz.GradientPenalty(), variables)
  lipschitz.check_critic_compatible(lipschitz.WeightClipping(), variables)  # allowed


def test_r1_and_r2_are_half_gamma_times_the_mean_squared_gradient_on_their_data():
  # f(x) = sum(x^2) / 2 has gradient x: the penalty is gamma / 2 * mean ||x_i||^2.
  score_fn = lambda x: 0.5 * jnp.sum(x ** 2, axis=(1, 2))  # noqa: E731
  real = jnp.arange(12.0).reshape(2, 3, 2)
  fake = -2.0 * jnp.ones((2, 3, 2))
  alpha = jnp.full((2,), 0.5)
  r1, metrics = lipschitz.ZeroCentredPenalty(gamma=4.0).penalty(score_fn, real, fake, alpha)
  squared = np.sum(np.asarray(real).reshape(2, -1) ** 2, axis=1)
  np.testing.assert_allclose(float(r1), 0.5 * 4.0 * squared.mean(), rtol=1e-6)
  np.testing.assert_allclose(float(metrics["real_grad_norm"]), np.sqrt(squared).mean(), rtol=1e-6)
  r2, metrics = lipschitz.get_constraint("r2", gamma=4.0).penalty(score_fn, real, fake, alpha)
  np.testing.assert_allclose(float(r2), 0.5 * 4.0 * 24.0, rtol=1e-6)
  assert set(metrics) == {"r2_penalty", "fake_grad_norm"}
  # Its gradient in the critic's parameters: for f_w(x) = w * sum(x^2) / 2, d/dw of
  # gamma / 2 * mean(w^2 ||x||^2) = gamma * w * mean ||x||^2.
  value = lambda w: lipschitz.ZeroCentredPenalty(gamma=4.0).penalty(  # noqa: E731
      lambda x: w * score_fn(x), real, fake, alpha)[0]
  np.testing.assert_allclose(float(jax.grad(value)(0.5)), 4.0 * 0.5 * squared.mean(), rtol=1e-5)
  with pytest.raises(ValueError, match="'real' \\(R1\\) or 'fake' \\(R2\\)"):
    lipschitz.ZeroCentredPenalty(on="both")


def test_lazy_r1_is_taken_on_every_kth_update_times_k():
  score_fn = lambda x: 0.5 * jnp.sum(x ** 2, axis=(1, 2))  # noqa: E731
  real = jnp.arange(12.0).reshape(2, 3, 2)
  alpha = jnp.full((2,), 0.5)
  every = lipschitz.ZeroCentredPenalty(gamma=4.0)
  lazy = lipschitz.ZeroCentredPenalty(gamma=4.0, every=3)
  assert every.init({}, jax.random.PRNGKey(0)) is None  # no counter unless lazy
  full = float(every.penalty(score_fn, real, real, alpha)[0])
  state = lazy.init({}, jax.random.PRNGKey(0))
  values, applied = [], []
  for _ in range(7):
    state = lazy.update_state({}, state)
    value, metrics = jax.jit(lambda s: lazy.penalty(score_fn, real, real, alpha, state=s))(state)
    values.append(float(value))
    applied.append(float(metrics["penalty_applied"]))
  assert applied == [1, 0, 0, 1, 0, 0, 1]
  np.testing.assert_allclose(values, [3 * full if a else 0.0 for a in applied], rtol=1e-6)
  assert int(state["updates"]) == 7
  with pytest.raises(ValueError, match="every is a count of critic updates"):
    lipschitz.ZeroCentredPenalty(every=0)


def test_a_lazy_r1_step_counts_critic_updates_in_the_state():
  lazy = lipschitz.ZeroCentredPenalty(gamma=1.0, every=4)
  _, _, state, step = tiny_image_setup(lazy, critic_norm="none", objective="gan")
  state, metrics = jax.jit(step)(state, image_batches(3, 4))
  assert int(state.constraint_state["updates"]) == 3
  assert float(metrics["penalty_applied"]) == 0.0  # the third update: skipped
  state, metrics = jax.jit(step)(state, image_batches(2, 4))
  assert int(state.constraint_state["updates"]) == 5
  assert float(metrics["penalty_applied"]) == 1.0 and float(metrics["r1_penalty"]) > 0


def test_get_constraint_names():
  assert isinstance(lipschitz.get_constraint("clip", clip_value=0.1), lipschitz.WeightClipping)
  assert lipschitz.get_constraint("penalty", weight=1.0).weight == 1.0
  assert lipschitz.get_constraint("r1", gamma=2.0) == lipschitz.ZeroCentredPenalty(2.0, "real")
  assert isinstance(lipschitz.get_constraint("spectral"), lipschitz.SpectralNormalization)
  with pytest.raises(ValueError, match="Unknown Lipschitz constraint"):
    lipschitz.get_constraint("orthogonal")


def test_clipping_clamps_the_initial_critic_before_its_first_pass():
  # The DCGAN initialisation, N(0, 0.02), reaches beyond c = 0.01; the first critic gradient is
  # taken at the clipped weights, so an unclipped and a clipped initial critic update alike.
  _, _, state, step = tiny_image_setup(CLIPPING, critic_norm="batch")
  clipped = state.replace(critic_params=lipschitz.clip_weights(state.critic_params, 0.01))
  assert any(float(jnp.max(jnp.abs(leaf))) > 0.01
             for leaf in jax.tree_util.tree_leaves(state.critic_params))
  update = jax.jit(step.critic_update)
  batch, key = image_batches(1, 8)[0], jax.random.PRNGKey(3)
  assert_trees_close(update(state, batch, key), update(clipped, batch, key), rtol=0, atol=0)
