import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from wgan_jax.models import (DCGANCritic, DCGANGenerator, GPDCGANCritic, GPDCGANGenerator,
                             LanguageCritic, LanguageGenerator, MLPCritic, MLPGenerator,
                             ResNetCritic, ResNetGenerator, create_models)
from wgan_jax import lipschitz
from wgan_jax.state import count_params, init_state


def _init(module, *args):
  return jax.jit(functools.partial(module.init, train=False))(jax.random.PRNGKey(0), *args)


def _apply(module, variables, *args):
  return jax.jit(functools.partial(module.apply, train=False))(variables, *args)


def _init_shapes(module, *args):
  """The variables' shapes only: traced, not compiled (for checks on structure and errors)."""
  return jax.eval_shape(functools.partial(module.init, train=False), jax.random.PRNGKey(0), *args)


def _output_shapes(module, *args):
  """`(output, variables)` as shapes only: the model traced, nothing compiled or run."""
  variables = _init_shapes(module, *args)
  return jax.eval_shape(functools.partial(module.apply, train=False), variables, *args), variables


def _generate(generator, n=3, labels=None):
  z = jnp.zeros((n, generator.latent_dim))
  variables = _init(generator, z, labels)
  return _apply(generator, variables, z, labels), variables


def _score(critic, x):
  variables = _init(critic, x)
  return _apply(critic, variables, x), variables


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("extra", [0, 1])
@pytest.mark.parametrize("norm", ["batch", "none"])
def test_wgan_dcgan_generator_shapes(size, extra, norm):
  images, variables = _generate(DCGANGenerator(image_size=size, channels=3, latent_dim=10,
                                               width=8, n_extra_layers=extra, normalization=norm))
  assert images.shape == (3, size, size, 3)
  assert ("batch_stats" in variables) == (norm == "batch")
  assert float(jnp.max(jnp.abs(images))) <= 1.0


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("norm", ["none", "batch", "layer"])
def test_wgan_dcgan_critic_shapes(size, norm):
  critic = DCGANCritic(width=8, n_extra_layers=1, normalization=norm)
  x = jnp.zeros((5, size, size, 3))
  variables = _init_shapes(critic, x)
  assert jax.eval_shape(functools.partial(critic.apply, train=False), variables,
                        x).shape == (5,)


def test_wgan_dcgan_matches_the_official_parameter_counts():
  # DCGAN_D / DCGAN_G of the WGAN code at 64 px, ndf = ngf = 64, nz = 100, no biases.
  _, critic_vars = _score(DCGANCritic(width=64, normalization="batch"), jnp.zeros((1, 64, 64, 3)))
  assert count_params(critic_vars["params"]) == 2_765_568
  _, generator_vars = _generate(DCGANGenerator(image_size=64, latent_dim=100, width=64), n=1)
  assert count_params(generator_vars["params"]) == 3_576_704


def test_wgan_fig6_generator_has_constant_width_and_an_order_of_magnitude_fewer_parameters():
  # The paper's Fig. 6 generator: no BatchNorm, ngf = 64 filters at every layer (64 px).
  generator = DCGANGenerator(image_size=64, latent_dim=100, width=64, normalization="none",
                             constant_width=True)
  z = jnp.zeros((1, 100))
  variables = jax.eval_shape(functools.partial(generator.init, train=False),
                             jax.random.PRNGKey(0), z)
  kernels = jax.tree.leaves(variables["params"])
  assert sorted(k.shape[-1] for k in kernels) == [3, 64, 64, 64, 64]
  assert count_params(variables["params"]) == 100 * 64 * 16 + 3 * 64 * 64 * 16 + 64 * 3 * 16
  assert 3_576_704 / count_params(variables["params"]) > 10
  assert jax.eval_shape(functools.partial(generator.apply, train=False), variables,
                        z).shape == (1, 64, 64, 3)


@pytest.mark.parametrize("size,channels", [(32, 3), (28, 1)])
def test_gp_dcgan_shapes(size, channels):
  generator = GPDCGANGenerator(image_size=size, channels=channels, width=8)
  images, _ = _output_shapes(generator, jnp.zeros((3, generator.latent_dim)))
  assert images.shape == (3, size, size, channels)
  scores, _ = _output_shapes(GPDCGANCritic(width=8), jnp.zeros(images.shape))
  assert scores.shape == (3,)


def test_gan_cifar_matches_the_official_parameter_counts():
  # gan_cifar.py with DIM = 128: critic 4,114,689 and generator parameters (BN has scale+offset).
  _, critic_vars = _score(GPDCGANCritic(width=128), jnp.zeros((1, 32, 32, 3)))
  assert count_params(critic_vars["params"]) == 4_114_689
  _, generator_vars = _generate(GPDCGANGenerator(image_size=32, width=128), n=1)
  linear = 128 * 8192 + 8192 + 2 * 8192
  deconvs = (512 * 256 * 25 + 256 + 2 * 256) + (256 * 128 * 25 + 128 + 2 * 128) + (128 * 3 * 25 + 3)
  assert count_params(generator_vars["params"]) == linear + deconvs


def test_resnet_unconditional_and_conditional():
  z, x = jnp.zeros((3, 8)), jnp.zeros((3, 32, 32, 3))
  images, variables = _output_shapes(ResNetGenerator(width=16, latent_dim=8), z)
  assert images.shape == (3, 32, 32, 3)
  scores, critic_vars = _output_shapes(ResNetCritic(width=16), x)
  assert scores.shape == (3,)
  assert "batch_stats" not in critic_vars  # no normalization in the critic

  labels = jnp.array([0, 3, 9])
  images, variables = _output_shapes(ResNetGenerator(width=16, latent_dim=8, num_classes=10),
                                     z, labels)
  assert images.shape == (3, 32, 32, 3)
  # Class-conditional BatchNorm: per-class scale and offset tables.
  assert variables["params"]["block_1"]["_GeneratorNorm_0"]["ConditionalBatchNorm_0"]["scale"][
      "embedding"].shape == (10, 16)
  (scores, logits), _ = _output_shapes(ResNetCritic(width=16, num_classes=10), x)
  assert scores.shape == (3,) and logits.shape == (3, 10)


def test_resnet_labels_change_the_conditional_output():
  generator = ResNetGenerator(width=8, latent_dim=4, num_classes=10)
  z = jax.random.normal(jax.random.PRNGKey(1), (2, 4))
  variables = _init(generator, z, jnp.array([0, 0]))
  # Perturb the class tables so that classes differ, as after training.
  variables = jax.tree_util.tree_map_with_path(
      lambda p, v: v + jax.random.normal(jax.random.PRNGKey(2), v.shape)
      if "embedding" in str(p) else v, variables)
  a = generator.apply(variables, z, jnp.array([0, 0]), train=False)
  b = generator.apply(variables, z, jnp.array([1, 1]), train=False)
  assert float(jnp.max(jnp.abs(a - b))) > 1e-3


def test_mlps():
  images, _ = _generate(MLPGenerator(output_shape=(8, 8, 3), latent_dim=5, width=16))
  assert images.shape == (3, 8, 8, 3)
  scores, variables = _score(MLPCritic(width=16, depth=3), images)
  assert scores.shape == (3,)
  assert len(variables["params"]["mlp"]) == 4  # 4 linear layers (WGAN paper's 4x512 MLP)
  _, deep = _score(MLPCritic(width=16, depth=12), jnp.zeros((2, 2)))
  assert len(deep["params"]["mlp"]) == 13


def test_registry_fills_data_fields_and_rejects_bad_keys():
  generator, critic = create_models(
      {"generator": {"kind": "mlp", "width": 16}, "critic": {"kind": "dcgan", "width": 8}},
      (32, 32, 1))
  assert generator.output_shape == (32, 32, 1)
  with pytest.raises(ValueError, match="Unknown critic option"):
    create_models({"generator": {"kind": "mlp"}, "critic": {"kind": "dcgan", "widht": 8}}, (32, 32, 1))
  with pytest.raises(ValueError, match="Unknown generator kind"):
    create_models({"generator": {"kind": "vae"}, "critic": {"kind": "dcgan"}}, (32, 32, 1))


def test_dcgan_rejects_unsupported_sizes():
  with pytest.raises(ValueError, match="power of two"):
    _generate(DCGANGenerator(image_size=48, width=4))


def test_language_models_shapes_and_softmax_over_the_vocabulary():
  generator = LanguageGenerator(output_shape=(12, 7), latent_dim=8, width=16, num_blocks=2)
  text, variables = _generate(generator, n=3)
  assert text.shape == (3, 12, 7)
  assert jnp.allclose(text.sum(-1), 1.0, atol=1e-5) and float(text.min()) >= 0.0
  assert "conv" in variables["params"]["block_1"]["conv_1"]  # the shared conv layer
  scores, _ = _score(LanguageCritic(width=16, num_blocks=2), text)
  assert scores.shape == (3,)


def test_language_models_match_the_official_parameter_counts():
  # gan_language.py at DIM = 512, SEQ_LEN = 32, noise 128, five residual blocks, here with a
  # 96-character vocabulary: the layers' shapes only (nothing is computed).
  dim, seq_len, vocab, blocks = 512, 32, 96, 5 * 2 * (5 * 512 * 512 + 512)
  generator, critic = create_models(
      {"generator": {"kind": "language", "latent_dim": 128, "width": dim, "num_blocks": 5},
       "critic": {"kind": "language", "width": dim, "num_blocks": 5}}, (seq_len, vocab))
  count = lambda module, *args: count_params(jax.eval_shape(  # noqa: E731
      functools.partial(module.init, train=False), jax.random.PRNGKey(0), *args)["params"])
  assert count(generator, jnp.zeros((1, 128))) == (
      128 * seq_len * dim + seq_len * dim) + blocks + (dim * vocab + vocab)
  assert count(critic, jnp.zeros((1, seq_len, vocab))) == (
      vocab * dim + dim) + blocks + (seq_len * dim + 1)


def _conditional_critic(kind, conditioning):
  fields = {"mlp": dict(width=16), "dcgan": dict(width=8, normalization="none"),
            "gp_dcgan": dict(width=8), "resnet": dict(width=8)}[kind]
  critic = {"mlp": MLPCritic, "dcgan": DCGANCritic, "gp_dcgan": GPDCGANCritic,
            "resnet": ResNetCritic}[kind]
  if conditioning == "info":  # InfoGAN's Q head: its own width, no classes
    return critic(code_dim=10, conditioning=conditioning, **fields)
  return critic(num_classes=10, conditioning=conditioning, **fields)


@pytest.mark.parametrize("kind, conditioning", [
    *((kind, conditioning) for conditioning in ("projection", "input", "acgan", "semi_supervised")
      for kind in ("mlp", "dcgan", "gp_dcgan", "resnet")),
    ("mlp", "info"), ("gp_dcgan", "info")])  # InfoGAN's Q head is built as the AC-GAN head is
def test_conditional_critics_take_the_label_as_configured(kind, conditioning):
  critic = _conditional_critic(kind, conditioning)
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 32, 32, 1))
  labels = jnp.array([0, 3, 9])
  variables = _init(critic, x, labels)
  # Perturb every parameter a little, as training would (the projection starts near zero).
  variables = jax.tree_util.tree_map(
      lambda v: v + 0.1 * jax.random.normal(jax.random.PRNGKey(2), v.shape), variables)
  out = _apply(critic, variables, x, labels)
  other = _apply(critic, variables, x, jnp.array([1, 1, 1]))
  if conditioning in ("acgan", "semi_supervised", "info"):
    (scores, logits), (other_scores, _) = out, other
    head = {"acgan": "acgan_output", "semi_supervised": "class_logits",
            "info": "q_output"}[conditioning]
    assert logits.shape == (3, 10) and head in variables["params"]
    np.testing.assert_array_equal(scores, other_scores)  # the label does not enter the score
  else:
    assert out.shape == (3,)
    assert float(jnp.max(jnp.abs(out - other))) > 1e-4
  assert ("projection" in variables["params"]) == (conditioning == "projection")
  if conditioning in ("projection", "input"):  # a classifier head is called without labels
    with pytest.raises(ValueError, match="needs their labels"):
      _init_shapes(critic, x, None)
  else:
    assert "intermediates" not in _init_shapes(critic, x, None)  # the feature tap keeps no state


@pytest.mark.parametrize("kind", ["mlp", "dcgan", "gp_dcgan"])
def test_unconditional_critics_are_unchanged_by_the_conditioning_options(kind):
  critic = _conditional_critic(kind, "projection").clone(num_classes=0)
  plain = critic.clone(conditioning="input")
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 32, 32, 1))
  a, b = _init(critic, x), _init(plain, x)
  assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
  assert "projection" not in a["params"]
  np.testing.assert_array_equal(_apply(critic, a, x), _apply(plain, b, x))


def test_projection_adds_the_label_embedding_dotted_with_the_features():
  critic = MLPCritic(width=16, depth=2, num_classes=4, conditioning="projection")
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 5))
  labels = jnp.array([0, 2, 3])
  variables = _init(critic, x, labels)
  embedding = variables["params"]["projection"]["embedding"]["embedding"]
  scores = _apply(critic, variables, x, labels)
  mlp = variables["params"]["mlp"]
  h = x
  for i in range(2):
    h = jax.nn.relu(h @ mlp[f"hidden_{i}"]["kernel"] + mlp[f"hidden_{i}"]["bias"])
  expected = (h @ mlp["output"]["kernel"] + mlp["output"]["bias"])[:, 0] + jnp.sum(
      embedding[labels] * h, axis=-1)
  np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("generator", [
    MLPGenerator(output_shape=(32, 32, 1), latent_dim=6, width=16, num_classes=10),
    DCGANGenerator(image_size=32, channels=1, latent_dim=6, width=8, num_classes=10),
    GPDCGANGenerator(image_size=28, channels=1, latent_dim=6, width=8, num_classes=10)])
def test_conditional_generators_join_the_one_hot_label_to_the_noise(generator):
  z = jax.random.normal(jax.random.PRNGKey(1), (2, 6))
  variables = _init(generator, z, jnp.array([0, 0]))
  a = _apply(generator, variables, z, jnp.array([0, 0]))
  b = _apply(generator, variables, z, jnp.array([5, 5]))
  assert float(jnp.max(jnp.abs(a - b))) > 1e-4
  first = jax.tree_util.tree_leaves(variables["params"])  # the first layer reads 6 + 10 inputs
  assert any(leaf.ndim >= 2 and 16 in leaf.shape for leaf in first)
  with pytest.raises(ValueError, match="needs their labels"):
    _init(generator, z, None)


def test_the_semi_supervised_head_scores_real_as_logsumexp_of_the_class_logits_plus_psi():
  """A K+1-way classifier with psi the negated fake-class logit: sigmoid(score) is the
  probability of 'real' under softmax over [l_1 .. l_K, -psi]."""
  critic = MLPCritic(width=16, depth=2, num_classes=4, conditioning="semi_supervised")
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 5))
  variables = _init(critic, x, None)
  scores, logits = _apply(critic, variables, x, None)
  mlp = variables["params"]["mlp"]
  h = x
  for i in range(2):
    h = jax.nn.relu(h @ mlp[f"hidden_{i}"]["kernel"] + mlp[f"hidden_{i}"]["bias"])
  head = variables["params"]["class_logits"]
  np.testing.assert_allclose(logits, h @ head["kernel"] + head["bias"], rtol=1e-5, atol=1e-6)
  psi = (h @ mlp["output"]["kernel"] + mlp["output"]["bias"])[:, 0]
  k_plus_one = jnp.concatenate([logits, -psi[:, None]], axis=-1)
  p_real = 1.0 - jax.nn.softmax(k_plus_one, axis=-1)[:, -1]
  np.testing.assert_allclose(jax.nn.sigmoid(scores), p_real, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- architecture studies

@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "softplus", "tanh", "gated"])
@pytest.mark.parametrize("family", ["gp_dcgan", "dcgan"])
def test_every_activation_builds_both_networks_of_the_dcgan_families(family, activation):
  generator, critic = create_models(
      {"generator": {"kind": family, "width": 8, "activation": activation, "n_extra_layers": 1},
       "critic": {"kind": family, "width": 8, "activation": activation, "n_extra_layers": 1,
                  "normalization": "layer"}}, (32, 32, 3))
  images, g_vars = _output_shapes(generator, jnp.zeros((2, generator.latent_dim)))
  scores, d_vars = _output_shapes(critic, jnp.zeros((2, 32, 32, 3)))
  assert images.shape == (2, 32, 32, 3) and scores.shape == (2,)
  # A gated unit reads two channels per output channel: every hidden layer doubles.
  first = "conv_1" if family == "gp_dcgan" else "initial"
  width = d_vars["params"][first]["kernel"].shape[-1]
  assert width == (16 if activation == "gated" else 8)
  assert "extra_0" in g_vars["params"] and "extra_0" in d_vars["params"]


def test_the_activations_are_the_papers_functions():
  from wgan_jax.models.layers import activate
  x = jnp.array([[-3.0, -0.5, 0.0, 2.0]])
  np.testing.assert_allclose(activate("softplus", x), jax.nn.softplus(2 * x + 2) / 2 - 1)
  np.testing.assert_allclose(activate("leaky_relu", x), jnp.where(x > 0, x, 0.2 * x))
  gated = activate("gated", jnp.array([[1.0, 2.0, -1.0, 0.5]]))
  np.testing.assert_allclose(gated, [[jax.nn.sigmoid(1.0) * jnp.tanh(2.0),
                                      jax.nn.sigmoid(-1.0) * jnp.tanh(0.5)]], rtol=1e-6)
  with pytest.raises(ValueError, match="Unknown activation 'swish'"):
    create_models({"generator": {"kind": "gp_dcgan", "activation": "swish"},
                   "critic": {"kind": "gp_dcgan"}}, (32, 32, 3))[0].init(
                       jax.random.PRNGKey(0), jnp.zeros((1, 128)))


def test_fig2_generator_without_batchnorm_and_a_constant_number_of_filters():
  generator = GPDCGANGenerator(width=8, normalization="none", constant_width=True)
  _, variables = _output_shapes(generator, jnp.zeros((2, 128)))
  assert "batch_stats" not in variables
  kernels = [variables["params"][name]["kernel"].shape[-1] for name in ("deconv_1", "deconv_2")]
  assert kernels == [8, 8] and variables["params"]["project"]["kernel"].shape[-1] == 4 * 4 * 8


@pytest.mark.parametrize("size", [32, 64])
def test_the_deep_resnet_has_101_layers_in_each_network(size):
  from wgan_jax.models.resnet import bottleneck_stages
  generator, critic = create_models({"generator": {"kind": "deep_resnet", "width": 8},
                                     "critic": {"kind": "deep_resnet", "width": 8}},
                                    (size, size, 3))
  images, g_vars = _output_shapes(generator, jnp.zeros((2, 128)))
  scores, d_vars = _output_shapes(critic, jnp.zeros((2, size, size, 3)))
  assert images.shape == (2, size, size, 3) and scores.shape == (2,)

  def layers(variables):  # weight layers on the main path (1x1 shortcuts are skips)
    paths = [jax.tree_util.keystr(p) for p, _ in
             jax.tree_util.tree_flatten_with_path(variables["params"])[0]]
    return sum(p.endswith("['kernel']") and "shortcut" not in p for p in paths)

  assert layers(g_vars) == layers(d_vars) == 101
  assert bottleneck_stages(64, 101) == [6, 6, 6, 6, 5]  # the official layout
  with pytest.raises(ValueError, match="2 \\+ 3k layers"):
    bottleneck_stages(32, 100)


def test_a_batchnorm_deep_resnet_critic_is_refused_under_the_penalty():
  from wgan_jax.lipschitz import BatchNormWithPenaltyError
  from wgan_jax.losses import Losses
  from wgan_jax.step import make_train_step
  model = {"generator": dict(kind="deep_resnet", width=8, depth=23),
           "critic": dict(kind="deep_resnet", width=8, depth=23, normalization="batch")}
  generator, critic = create_models(model, (32, 32, 3))
  tx = optax.adam(1e-4)
  state = jax.eval_shape(lambda: init_state(generator, critic, tx, tx, jax.random.PRNGKey(0),
                                            jnp.zeros((1, 32, 32, 3))))
  step = make_train_step(generator, critic, tx, tx, Losses(constraint=lipschitz.GradientPenalty()))
  with pytest.raises(BatchNormWithPenaltyError):  # found in the critic's variables, not its config
    jax.eval_shape(step, state, jnp.zeros((1, 2, 32, 32, 3)))


def test_the_gan_64x64_dcgan_pair_has_four_stages_of_5x5_filters():
  generator = GPDCGANGenerator(image_size=64, width=8)
  images, g_vars = _output_shapes(generator, jnp.zeros((2, 128)))
  scores, d_vars = _output_shapes(GPDCGANCritic(width=8), jnp.zeros((2, 64, 64, 3)))
  assert images.shape == (2, 64, 64, 3) and scores.shape == (2,)
  assert g_vars["params"]["project"]["kernel"].shape == (128, 4 * 4 * 64)  # 8 x width at 4x4
  assert [g_vars["params"][f"deconv_{i}"]["kernel"].shape[-1] for i in (1, 2, 3)] == [32, 16, 8]
  assert [d_vars["params"][f"conv_{i}"]["kernel"].shape[-1] for i in (1, 2, 3, 4)] == [8, 16, 32,
                                                                                     64]
  assert d_vars["params"]["output"]["kernel"].shape == (4 * 4 * 64, 1)


def test_a_network_built_for_images_or_text_refuses_other_examples():
  image_pair = {"generator": {"kind": "gp_dcgan", "width": 4}, "critic": {"kind": "mlp"}}
  with pytest.raises(ValueError, match=r"'gp_dcgan' generator is built for images \[H, W, C\], "
                     r"but the examples have shape \(64,\): choose kind='mlp'"):
    create_models(image_pair, (64,))
  text_critic = {"generator": {"kind": "mlp"}, "critic": {"kind": "language"}}
  with pytest.raises(ValueError, match=r"'language' critic is built for text"):
    create_models(text_critic, (8, 8, 1))
  create_models({"generator": {"kind": "mlp"}, "critic": {"kind": "mlp"}}, (64,))  # any shape
