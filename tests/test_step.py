import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from tests.helpers import CLIPPING, PENALTY, assert_trees_close, image_batches, tiny_image_setup
from wgan_jax import lipschitz, parallel
from wgan_jax.data.toy import toy_dataset
from wgan_jax.ema import GeneratorEMA
from wgan_jax.lipschitz import BatchNormWithPenaltyError, GradientPenalty
from wgan_jax.metrics.lowdim import wasserstein1
from wgan_jax.models import create_models, toy_critic, toy_generator
from wgan_jax.state import init_state
from wgan_jax.losses import Losses
from wgan_jax.networks import Networks
from wgan_jax.step import generate, make_train_step

N_CRITIC = 3


def test_fused_step_equals_updates_one_by_one():
  _, _, state, step = tiny_image_setup(PENALTY)
  batches = image_batches(N_CRITIC, 6)
  key = jax.random.PRNGKey(42)
  fused_state, fused_metrics = jax.jit(step)(state, batches, key)

  critic_key, generator_key = jax.random.split(key)
  critic_update = jax.jit(step.critic_update)
  manual = state
  for i in range(N_CRITIC):
    manual, critic_metrics = critic_update(manual, batches[i], jax.random.fold_in(critic_key, i))
  manual, generator_metrics = jax.jit(step.generator_update, static_argnums=2)(
      manual, generator_key, 6)
  assert_trees_close(fused_state, manual, rtol=1e-5, atol=1e-6)
  assert_trees_close(fused_metrics, {**critic_metrics, **generator_metrics}, rtol=1e-5, atol=1e-6)
  assert int(fused_state.step) == 1


def test_critic_update_leaves_generator_alone_and_vice_versa():
  _, _, state, step = tiny_image_setup(PENALTY)
  after_critic, _ = jax.jit(step.critic_update)(state, image_batches(1, 4)[0], jax.random.PRNGKey(0))
  assert_trees_close(after_critic.generator_params, state.generator_params, rtol=0, atol=0)
  assert_trees_close(after_critic.generator_batch_stats, state.generator_batch_stats, rtol=0, atol=0)
  assert_trees_close(after_critic.generator_opt_state, state.generator_opt_state, rtol=0, atol=0)
  assert not np.allclose(jax.tree_util.tree_leaves(after_critic.critic_params)[0],
                         jax.tree_util.tree_leaves(state.critic_params)[0])

  after_generator, _ = jax.jit(step.generator_update, static_argnums=2)(
      state, jax.random.PRNGKey(1), 4)
  assert_trees_close(after_generator.critic_params, state.critic_params, rtol=0, atol=0)
  assert_trees_close(after_generator.critic_opt_state, state.critic_opt_state, rtol=0, atol=0)
  assert not np.allclose(jax.tree_util.tree_leaves(after_generator.generator_params)[0],
                         jax.tree_util.tree_leaves(state.generator_params)[0])


def test_metrics_report_the_quantities_of_a_wgan_gp_step():
  _, _, state, step = tiny_image_setup(PENALTY)
  _, metrics = jax.jit(step)(state, image_batches(N_CRITIC, 4))
  for name in ("critic_loss", "wasserstein_estimate", "gradient_penalty", "generator_loss",
               "critic_grad_norm", "generator_grad_norm"):
    assert name in metrics and np.isfinite(float(metrics[name])), name
  assert float(metrics["gradient_penalty"]) >= 0.0


def test_step_draws_from_the_state_key_when_given_none():
  _, _, state, step = tiny_image_setup(PENALTY)
  batches = image_batches(2, 4)
  implicit, _ = jax.jit(step)(state, batches)
  explicit, _ = jax.jit(step)(state, batches, jax.random.fold_in(state.key, state.step))
  assert_trees_close(implicit, explicit, rtol=0, atol=0)


def test_wgan_schedule_is_two_compilations_not_one_per_step():
  _, _, state, step = tiny_image_setup(CLIPPING, critic_norm="batch")
  jitted = jax.jit(step)
  for n_critic in (5, 100, 5, 5, 100):
    state, _ = jitted(state, image_batches(n_critic, 2))
  assert jitted._cache_size() == 2
  assert int(state.step) == 5


@pytest.mark.parametrize("constraint,critic_norm,extra", [
    (PENALTY, "layer", {}),
    (CLIPPING, "batch", {}),
    # Spectral normalization's vectors, a lazy R1's counter, the generator's average and
    # DiffAugment's per-example draws are each the same on every device as on one.
    (lipschitz.SpectralNormalization(), "none", {"objective": "hinge"}),
    (lipschitz.ZeroCentredPenalty(1.0, every=2), "none",
     {"objective": "gan", "ema": GeneratorEMA(0.9),
      "augment": ("color", "translation", "cutout")}),
])
def test_data_parallel_steps_match_one_device(constraint, critic_norm, extra):
  devices = jax.local_devices()
  assert len(devices) == 4, "conftest sets 4 simulated CPU devices"
  global_batch, steps = 8, 2
  batches = [image_batches(N_CRITIC, global_batch, seed=s) for s in range(steps)]

  _, _, state, single_step = tiny_image_setup(constraint, critic_norm=critic_norm, **extra)
  single = jax.jit(single_step)
  reference = state
  for b in batches:
    reference, reference_metrics = single(reference, b)

  axis = parallel.DEFAULT_AXIS
  _, _, state, multi_step = tiny_image_setup(constraint, critic_norm=critic_norm, axis_name=axis,
                                             **extra)
  pmapped = parallel.pmap_step(multi_step, axis)
  replicated = parallel.replicate(state)
  for b in batches:
    replicated, pmap_metrics = pmapped(replicated, parallel.split_for_devices(b, len(devices)))
  assert_trees_close(parallel.unreplicate(replicated), reference, rtol=2e-4, atol=2e-5)
  assert_trees_close(parallel.unreplicate(pmap_metrics), reference_metrics, rtol=2e-4, atol=2e-5)

  sharded_step = parallel.shard_map_step(multi_step, parallel.data_mesh(devices, axis), axis)
  sharded = state
  for b in batches:
    sharded, shard_metrics = sharded_step(sharded, b)
  assert_trees_close(sharded, reference, rtol=2e-4, atol=2e-5)
  assert_trees_close(shard_metrics, reference_metrics, rtol=2e-4, atol=2e-5)


def test_bfloat16_compute_keeps_float32_state_and_tracks_the_float32_step():
  generator, critic, state, step = tiny_image_setup(PENALTY, critic_norm="layer")
  tx = optax.adam(1e-3, 0.5, 0.9)
  mixed = make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY),
                          compute_dtype=jnp.bfloat16)
  batches = image_batches(N_CRITIC, 6)
  full_state, full_metrics = jax.jit(step)(state, batches)
  mixed_state, mixed_metrics = jax.jit(mixed)(state, batches)
  for leaf in jax.tree_util.tree_leaves(mixed_state):
    assert leaf.dtype in (jnp.float32, jnp.int32, jnp.uint32), leaf.dtype
  for key in ("critic_loss", "wasserstein_estimate", "generator_loss"):
    assert mixed_metrics[key].dtype == jnp.float32
    np.testing.assert_allclose(mixed_metrics[key], full_metrics[key], rtol=0.1, atol=0.02)
  moved = lambda a, b: jnp.abs(a - b).sum()  # noqa: E731
  step_full = jax.tree_util.tree_map(moved, full_state.critic_params, state.critic_params)
  step_mixed = jax.tree_util.tree_map(moved, mixed_state.critic_params, state.critic_params)
  for a, b in zip(jax.tree_util.tree_leaves(step_full), jax.tree_util.tree_leaves(step_mixed)):
    np.testing.assert_allclose(b, a, rtol=0.2)  # the same update, to bfloat16 precision


@pytest.mark.parametrize("conv_lowering", ["xla", "patches"])
def test_matmul_precision_reaches_every_product_of_the_penalised_step(conv_lowering):
  model = {"generator": {"kind": "dcgan", "width": 4, "latent_dim": 8},
           "critic": {"kind": "dcgan", "width": 4, "normalization": "layer"},
           "conv_lowering": conv_lowering}
  generator, critic = create_models(model, (16, 16, 1))
  tx = optax.adam(1e-3, 0.5, 0.9)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 16, 16, 1)))

  def precisions(matmul_precision):
    step = make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY),
                           matmul_precision=matmul_precision)
    text = jax.jit(step).lower(state, image_batches(2, 4)).as_text()
    products = re.findall(r"stablehlo\.(?:dot_general|convolution).*", text)
    assert len(products) > 10  # forward, backward and the penalty's double backward
    # dot_general prints `precision = [P, P]`, convolution `#stablehlo<precision P>` (none: DEFAULT)
    return {name for line in products
            for name in re.findall(r"\b(DEFAULT|HIGHEST|HIGH)\b", line) or ["DEFAULT"]}

  assert precisions("default") == {"DEFAULT"}
  assert precisions("high") == {"HIGH"}
  assert precisions("highest") == {"HIGHEST"}
  with pytest.raises(ValueError, match="one of default, high, highest"):
    make_train_step(generator, critic, tx, tx, matmul_precision="float32")


def test_conditional_acgan_step():
  # The ResNet AC-GAN step itself is checked against recorded metrics in tests/test_builder.py.
  model = {"generator": {"kind": "mlp", "width": 16, "latent_dim": 16},
           "critic": {"kind": "mlp", "width": 16, "conditioning": "acgan"}}
  generator, critic = create_models(model, (8, 8, 3), num_classes=10)
  tx = optax.adam(2e-4, 0.0, 0.9)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 3)))
  step = jax.jit(make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY),
                                 generator_batch_multiple=2))
  batches = {"x": image_batches(2, 4, (8, 8, 3)),
             "label": jnp.asarray(np.random.default_rng(0).integers(0, 10, (2, 4)))}
  state, metrics = step(state, batches)
  for name in ("critic_acgan_loss", "generator_acgan_loss"):
    assert np.isfinite(float(metrics[name]))
  for name in ("critic_acgan_accuracy", "generator_acgan_accuracy"):
    assert 0.0 <= float(metrics[name]) <= 1.0
  samples = generate(generator, state, jnp.zeros((3, 16)), jnp.array([0, 1, 2]))
  assert samples.shape == (3, 8, 8, 3)
  with pytest.raises(ValueError, match="labels"):
    step(state, batches["x"])


def test_a_conditional_step_generates_and_scores_each_real_label():
  model = {"generator": {"kind": "mlp", "width": 16, "latent_dim": 4},
           "critic": {"kind": "mlp", "width": 16, "conditioning": "projection"}}
  generator, critic = create_models(model, (3, 3, 1), num_classes=4)
  tx = optax.adam(1e-2)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, 1)))
  step = jax.jit(make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY)))
  batches = {"x": image_batches(2, 4, (3, 3, 1)), "label": jnp.array([[0, 1, 2, 3]] * 2)}
  new, metrics = step(state, batches)
  assert all(np.isfinite(float(v)) for v in metrics.values())
  moved = jax.tree_util.tree_map(lambda a, b: float(jnp.max(jnp.abs(a - b))),
                                 new.critic_params["projection"], state.critic_params["projection"])
  assert max(jax.tree_util.tree_leaves(moved)) > 0  # the label embedding is trained
  with pytest.raises(ValueError, match="labels"):
    step(state, batches["x"])


@pytest.mark.parametrize("objective", ["gan", "lsgan", "hinge"])
def test_baseline_objectives_train(objective):
  from wgan_jax.lipschitz import NoConstraint
  _, _, state, step = tiny_image_setup(NoConstraint(), critic_norm="batch", objective=objective)
  state, metrics = jax.jit(step)(state, image_batches(1, 4))
  assert np.isfinite(float(metrics["critic_loss"])) and np.isfinite(float(metrics["generator_loss"]))
  if objective == "gan":
    assert "js_estimate" in metrics


@pytest.mark.slow  # a short training run judged by where its samples land
def test_wgan_gp_moves_toy_samples_towards_eight_gaussians():
  generator, critic = toy_generator(width=128), toy_critic(width=128)
  tx = optax.adam(1e-3, 0.5, 0.9)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 2)))
  step = jax.jit(make_train_step(generator, critic, tx, tx, Losses(constraint=GradientPenalty(0.1))))
  data = toy_dataset("8gaussians", 400 * 5 * 128 + 1024, seed=0)
  reference = data[-1024:]
  z = jax.random.normal(jax.random.PRNGKey(9), (1024, 2))
  sample = lambda s: np.asarray(generate(generator, s, z))
  start = wasserstein1(sample(state), reference)
  for i in range(400):
    state, _ = step(state, data[i * 640:(i + 1) * 640].reshape(5, 128, 2))
  end = wasserstein1(sample(state), reference)
  print("W1 start", start, "end", end)
  assert end < 0.35 * start, (start, end)


def test_make_train_step_refuses_a_batchnorm_critic_under_the_penalty():
  # The README's own-code path (no builder, no trainer) refuses it too, when first traced.
  _, _, state, step = tiny_image_setup(PENALTY, critic_norm="batch")
  with pytest.raises(BatchNormWithPenaltyError, match="'layer' or 'none'"):
    jax.jit(step)(state, image_batches(N_CRITIC, 8))


def test_wgan_step_follows_the_official_order_of_operations():
  """Two generator iterations by hand: clamp, critic pass and RMSProp step per critic iteration
  (then the paper's clamp after the update), then the generator step on the clipped critic."""
  tx = optax.rmsprop(5e-5, decay=0.99, eps=1e-8, eps_in_sqrt=False)
  generator, critic, state, step = tiny_image_setup(CLIPPING, critic_norm="batch", optimizer=tx)
  networks = Networks(generator, critic)
  clip = lambda params: lipschitz.clip_weights(params, 0.01)  # noqa: E731
  batches = [image_batches(N_CRITIC, 8, seed=s) for s in (1, 2)]
  keys = [jax.random.PRNGKey(5), jax.random.PRNGKey(6)]
  fused = jax.jit(step)
  got = state
  for real, key in zip(batches, keys):
    got, _ = fused(got, real, key)

  # Each pass by hand, jitted once (the order of operations is in the Python loop below).
  @jax.jit
  def critic_pass(params, batch_stats, generator_params, generator_stats, real, z):
    fake, _ = networks.fakes(generator_params, generator_stats, z, None)

    def critic_objective(p):
      real_scores, _, stats = networks.score(p, batch_stats, real)
      fake_scores, _, stats = networks.score(p, stats, fake)
      return jnp.mean(fake_scores) - jnp.mean(real_scores), stats

    return jax.value_and_grad(critic_objective, has_aux=True)(params)

  @jax.jit
  def generator_pass(params, batch_stats, critic_params, critic_stats, z):
    def generator_objective(p):
      fake, stats = networks.fakes(p, batch_stats, z, None)
      scores, _, _ = networks.score(critic_params, critic_stats, fake)
      return -jnp.mean(scores), stats

    return jax.value_and_grad(generator_objective, has_aux=True)(params)

  want = state
  for real, key in zip(batches, keys):
    critic_key, generator_key = jax.random.split(key)
    for i in range(N_CRITIC):
      noise_key, _ = jax.random.split(jax.random.fold_in(critic_key, i))
      z = jax.random.normal(noise_key, (8, generator.latent_dim))
      params = clip(want.critic_params)  # the official code clamps before each critic pass
      (_, stats), grads = critic_pass(params, want.critic_batch_stats, want.generator_params,
                                      want.generator_batch_stats, real[i], z)
      updates, opt_state = tx.update(grads, want.critic_opt_state, params)
      want = want.replace(critic_params=clip(optax.apply_updates(params, updates)),
                          critic_batch_stats=stats, critic_opt_state=opt_state)
    noise_key, _ = jax.random.split(generator_key)
    z = jax.random.normal(noise_key, (8, generator.latent_dim))
    (_, stats), grads = generator_pass(want.generator_params, want.generator_batch_stats,
                                       want.critic_params, want.critic_batch_stats, z)
    updates, opt_state = tx.update(grads, want.generator_opt_state, want.generator_params)
    want = want.replace(step=want.step + 1,
                        generator_params=optax.apply_updates(want.generator_params, updates),
                        generator_batch_stats=stats, generator_opt_state=opt_state)
  assert_trees_close(got, want, rtol=1e-5, atol=1e-7)


def test_a_text_step_trains_on_character_ids():
  model = {"generator": {"kind": "language", "latent_dim": 8, "width": 8, "num_blocks": 1},
           "critic": {"kind": "language", "width": 8, "num_blocks": 1}}
  generator, critic = create_models(model, (6, 5))
  tx = optax.adam(1e-3, 0.5, 0.9)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 6, 5)))
  step = jax.jit(make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY)))
  batches = jnp.asarray(np.random.default_rng(0).integers(0, 5, (2, 4, 6)), jnp.int32)
  new_state, metrics = step(state, batches)
  assert np.isfinite(float(metrics["critic_loss"])) and float(metrics["gradient_penalty"]) > 0
  assert int(new_state.step) == 1


def _semi_supervised_pair(width=16):
  model = {"generator": {"kind": "mlp", "width": width, "latent_dim": 4, "num_classes": 0},
           "critic": {"kind": "mlp", "width": width, "conditioning": "semi_supervised"}}
  generator, critic = create_models(model, (3, 3, 1), num_classes=4)
  tx = optax.adam(1e-2)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, 1)))
  return generator, critic, tx, state


def test_a_semi_supervised_step_learns_classes_only_from_labelled_examples():
  from wgan_jax.lipschitz import NoConstraint
  generator, critic, tx, state = _semi_supervised_pair()
  train_step = make_train_step(generator, critic, tx, tx,
                               Losses("gan", NoConstraint(), feature_matching=True))
  step = jax.jit(train_step)
  x = image_batches(1, 6, (3, 3, 1))
  labels = jnp.array([[0, -1, 2, -1, 3, -1]])
  new, metrics = step(state, {"x": x, "label": labels})
  assert all(np.isfinite(float(v)) for v in metrics.values())
  _, logits = critic.apply({"params": state.critic_params}, x[0])
  log_p = jax.nn.log_softmax(logits)
  expected = -(log_p[0, 0] + log_p[2, 2] + log_p[4, 3]) / 3  # the labelled examples only
  np.testing.assert_allclose(float(metrics["critic_acgan_loss"]), float(expected), rtol=1e-5)
  assert float(jnp.abs(new.generator_params["mlp"]["output"]["kernel"]
                       - state.generator_params["mlp"]["output"]["kernel"]).max()) > 0
  with pytest.raises(ValueError, match="real batch"):
    train_step.generator_update(state, jax.random.PRNGKey(0), 6)


def test_the_supervised_objective_trains_the_classifier_head_and_leaves_the_generator():
  from wgan_jax.lipschitz import NoConstraint
  generator, critic, tx, state = _semi_supervised_pair()
  step = jax.jit(make_train_step(generator, critic, tx, tx,
                                 Losses("supervised", NoConstraint())))
  batch = {"x": image_batches(1, 6, (3, 3, 1)), "label": jnp.array([[0, -1, 2, -1, 3, 1]])}
  new, metrics = step(state, batch)
  assert float(metrics["critic_loss"]) == pytest.approx(float(metrics["critic_acgan_loss"]))
  assert_trees_close(new.generator_params, state.generator_params, rtol=0, atol=0)
  moved = jnp.abs(new.critic_params["class_logits"]["kernel"]
                  - state.critic_params["class_logits"]["kernel"]).max()
  assert float(moved) > 0


def test_a_catgan_step_trains_on_class_logits_and_needs_a_classifier_head():
  from wgan_jax.lipschitz import NoConstraint
  model = {"generator": {"kind": "mlp", "width": 16, "latent_dim": 4},
           "critic": {"kind": "mlp", "width": 16, "conditioning": "semi_supervised",
                      "num_classes": 3}}
  generator, critic = create_models(model, (3, 3, 1))  # no labels: an unsupervised K-way head
  tx = optax.adam(1e-2)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, 1)))
  step = jax.jit(make_train_step(generator, critic, tx, tx, Losses("catgan", NoConstraint())))
  new, metrics = step(state, image_batches(2, 6, (3, 3, 1)))
  assert all(np.isfinite(float(v)) for v in metrics.values())
  assert 0 <= float(metrics["critic_real_class_entropy"]) <= np.log(3) + 1e-6
  assert 0 <= float(metrics["critic_fake_marginal_entropy"]) <= np.log(3) + 1e-6
  assert float(jnp.abs(new.critic_params["class_logits"]["kernel"]
                       - state.critic_params["class_logits"]["kernel"]).max()) > 0
  with pytest.raises(ValueError, match="classifier head"):
    make_train_step(generator, toy_critic(), tx, tx, Losses("catgan"))


def test_an_infogan_step_adds_the_q_heads_term_to_both_losses():
  from wgan_jax.latent import LatentPrior
  from wgan_jax.lipschitz import NoConstraint
  from wgan_jax.objectives import InfoObjective, get_objective, info_loss
  from wgan_jax.losses import generator_loss
  prior = LatentPrior(7, categorical=3, continuous=2)
  model = {"generator": {"kind": "mlp", "width": 16, "latent_dim": 7},
           "critic": {"kind": "mlp", "width": 16, "conditioning": "info", "code_dim": 5}}
  generator, critic = create_models(model, (3, 3, 1))
  tx = optax.adam(1e-2)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, 1)))
  step = jax.jit(make_train_step(generator, critic, tx, tx,
                                 Losses("gan", NoConstraint(), info_scale=0.7), latent=prior))
  new, metrics = step(state, image_batches(2, 6, (3, 3, 1)))
  for name in ("critic_info_loss", "critic_info_accuracy", "generator_info_loss",
               "generator_info_accuracy"):
    assert np.isfinite(float(metrics[name]))
  assert float(jnp.abs(new.critic_params["q_output"]["kernel"]
                       - state.critic_params["q_output"]["kernel"]).max()) > 0
  # The generator's loss by hand: its objective plus 0.7 L_I of the codes in its own z.
  networks = Networks(generator, critic)

  @jax.jit
  def by_hand(state, z):
    loss, (_, parts) = generator_loss(state.generator_params, state.generator_batch_stats,
                                      state.critic_params, state.critic_batch_stats, z, None,
                                      networks=networks, losses=Losses("gan", info_scale=0.7),
                                      info=InfoObjective(prior, 0.7))
    fake, _ = networks.fakes(state.generator_params, state.generator_batch_stats, z, None)
    scores, q, _ = networks.score(state.critic_params, state.critic_batch_stats, fake)
    information = info_loss(q, *prior.codes(z))[0]
    return loss, parts, get_objective("gan").generator_loss(scores) + 0.7 * information, information

  loss, parts, want, information = by_hand(state, prior.sample(jax.random.PRNGKey(4), 6))
  assert float(loss) == pytest.approx(float(want), rel=1e-5)
  assert float(parts["generator_info_loss"]) == pytest.approx(float(information), rel=1e-5)
  # InfoWGAN-GP: the penalty differentiates the score alone, the Q head's term is added beside.
  penalised = jax.jit(make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY),
                                      latent=prior))
  _, metrics = penalised(state, image_batches(2, 6, (3, 3, 1)))
  assert float(metrics["gradient_penalty"]) > 0 and np.isfinite(float(metrics["critic_info_loss"]))
  with pytest.raises(ValueError, match="Q head"):
    make_train_step(generator, toy_critic(), tx, tx, latent=prior)
  with pytest.raises(ValueError, match="5 outputs"):
    make_train_step(generator, critic, tx, tx, latent=LatentPrior(7, categorical=3))
