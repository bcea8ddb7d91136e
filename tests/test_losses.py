import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from tests.helpers import PENALTY
from wgan_jax.latent import LatentPrior
from wgan_jax.lipschitz import GradientPenalty, NoConstraint
from wgan_jax.losses import Losses, critic_loss, encode_real, generator_loss
from wgan_jax.models import create_models, toy_critic
from wgan_jax.networks import Networks
from wgan_jax.state import init_state

TX = optax.adam(1e-3)


def test_losses_resolve_the_objective_and_default_to_wgan_gp():
  losses = Losses()
  assert losses.objective.name == "wasserstein" and isinstance(losses.constraint, GradientPenalty)
  assert Losses("lsgan", NoConstraint()).objective.name == "lsgan"
  with pytest.raises(ValueError, match="objective"):
    Losses("hinge-ish")
  with pytest.raises(ValueError, match="classifier head"):
    Losses("catgan").check(toy_critic(), LatentPrior(2))


@pytest.mark.parametrize("conditioning", ["projection", "input"])
def test_a_conditional_critic_is_penalised_under_each_example_s_own_label(conditioning):
  model = {"generator": {"kind": "mlp", "width": 16, "latent_dim": 4},
           "critic": {"kind": "mlp", "width": 16, "conditioning": conditioning}}
  generator, critic = create_models(model, (3, 3, 1), num_classes=4)
  state = init_state(generator, critic, TX, TX, jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, 1)))
  params = jax.tree_util.tree_map(lambda v: v + 0.2, state.critic_params)
  rng = np.random.default_rng(0)
  real, fake = (jnp.asarray(rng.normal(size=(5, 3, 3, 1)), jnp.float32) for _ in range(2))
  labels, alpha = jnp.array([0, 1, 2, 3, 1]), jnp.linspace(0.1, 0.9, 5)
  loss = lambda y: critic_loss(  # noqa: E731
      params, {}, real, fake, y, alpha, networks=Networks(generator, critic),
      losses=Losses("wasserstein", PENALTY))[1][1]
  norms = []
  for i in range(5):  # each interpolate's gradient alone, under its own label
    x_hat = alpha[i] * real[i] + (1 - alpha[i]) * fake[i]
    grad = jax.grad(lambda v: critic.apply({"params": params}, v[None], labels[i:i + 1])[0])(x_hat)
    norms.append(jnp.linalg.norm(grad))
  expected = 10.0 * np.mean((np.array(norms) - 1.0) ** 2)
  np.testing.assert_allclose(float(loss(labels)["gradient_penalty"]), expected, rtol=1e-4)
  assert abs(float(loss(labels[::-1])["gradient_penalty"]) - expected) > 1e-4


def test_feature_matching_matches_the_critic_s_mean_last_hidden_features():
  model = {"generator": {"kind": "mlp", "width": 16, "latent_dim": 4, "num_classes": 0},
           "critic": {"kind": "mlp", "width": 16, "conditioning": "semi_supervised"}}
  generator, critic = create_models(model, (3, 3, 1), num_classes=4)
  state = init_state(generator, critic, TX, TX, jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, 1)))
  z = jax.random.normal(jax.random.PRNGKey(1), (6, 4))
  real = jnp.asarray(np.random.default_rng(0).normal(size=(5, 3, 3, 1)), jnp.float32)
  unlabelled = {"x": real, "label": -jnp.ones(5, jnp.int32)}
  loss, (_, metrics) = generator_loss(
      state.generator_params, {}, state.critic_params, {}, z, None, unlabelled,
      networks=Networks(generator, critic), losses=Losses("gan", feature_matching=True))

  def hidden(x):  # the critic's last hidden layer, by hand
    mlp = state.critic_params["mlp"]
    h = x.reshape((x.shape[0], -1))
    for i in range(3):
      h = jax.nn.relu(h @ mlp[f"hidden_{i}"]["kernel"] + mlp[f"hidden_{i}"]["bias"])
    return h

  fake = generator.apply({"params": state.generator_params}, z)
  expected = jnp.sum((hidden(real).mean(0) - hidden(fake).mean(0)) ** 2)
  np.testing.assert_allclose(float(loss), float(expected), rtol=1e-5)
  assert "generator_objective_loss" in metrics  # the score-based loss, logged beside it


def test_text_is_one_hot_and_penalised_over_positions_and_characters():
  ids = jnp.array([[0, 2, 1], [3, 3, 0]])
  fake = jnp.full((2, 3, 4), 0.25)
  np.testing.assert_array_equal(encode_real(ids, fake), jax.nn.one_hot(ids, 4))
  assert encode_real(jnp.ones((2, 5), jnp.bfloat16), fake).dtype == jnp.float32  # not text
  # A linear critic has the same input gradient w at every point: the penalty's norm runs
  # over both non-batch axes (positions and vocabulary), as in the official code.
  w = jax.random.normal(jax.random.PRNGKey(0), (3, 4))
  score = lambda x: jnp.sum(x * w, axis=(1, 2))  # noqa: E731
  penalty, metrics = GradientPenalty(10.0).penalty(score, encode_real(ids, fake), fake,
                                                   jnp.array([0.3, 0.8]))
  norm = float(jnp.sqrt(jnp.sum(w ** 2)))
  assert float(metrics["interpolate_grad_norm"]) == pytest.approx(norm, rel=1e-5)
  assert float(penalty) == pytest.approx(10.0 * (norm - 1.0) ** 2, rel=1e-5)
