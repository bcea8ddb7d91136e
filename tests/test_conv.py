"""The 'patches' convolution lowering computes what nn.Conv / nn.ConvTranspose compute, gradients too."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax.models import create_models
from wgan_jax.models.conv import Conv, ConvTranspose, conv_factories, resolve_lowering

pytestmark = pytest.mark.default_lowering  # the lowerings themselves are under test

CASES = [
    (Conv, nn.Conv, dict(kernel_size=(4, 4), strides=(2, 2), padding=((1, 1), (1, 1)))),  # DCGAN_D
    (Conv, nn.Conv, dict(kernel_size=(5, 5), strides=(2, 2), padding="SAME")),  # gan_cifar
    (Conv, nn.Conv, dict(kernel_size=(3, 3), strides=(2, 2), padding="VALID")),
    (Conv, nn.Conv, dict(kernel_size=(3, 3), padding="SAME")),  # the ResNet's stride-1 layers
    (Conv, nn.Conv, dict(kernel_size=(1, 1), padding="SAME")),  # its shortcuts
    (Conv, nn.Conv, dict(kernel_size=(4, 4), padding=((0, 0), (0, 0)))),  # DCGAN_D's last layer
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(4, 4), strides=(2, 2),
                                           padding=((2, 2), (2, 2)))),  # DCGAN_G
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(5, 5), strides=(2, 2), padding="SAME")),
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(3, 3), strides=(2, 2), padding="VALID")),
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(5, 5), strides=(3, 3), padding="SAME")),
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(4, 4), strides=(1, 1),
                                           padding=((3, 3), (3, 3)))),
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(5, 5), strides=(2, 2), padding="SAME",
                                           features=1)),  # narrow output: the input-side form
    (ConvTranspose, nn.ConvTranspose, dict(kernel_size=(4, 4), strides=(2, 2),
                                           padding=((2, 2), (2, 2)), features=1)),
]


@pytest.mark.parametrize("ours, flax_layer, options", CASES)
def test_conv_layers_equal_flax_values_and_gradients(ours, flax_layer, options):
  lowering = "patches"  # 'xla' is flax's own call; the model test below compares the two
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 7, 9, 32))  # 32 >= 5 * 5 * 1: narrow path
  options = {"features": 4, **options}
  reference = flax_layer(**options)
  layer = ours(lowering=lowering, **options)
  variables = reference.init(jax.random.PRNGKey(1), x)
  ours_variables = layer.init(jax.random.PRNGKey(1), x)
  # Same parameter names, shapes and initial values: checkpoints move between lowerings.
  jax.tree_util.tree_map(np.testing.assert_array_equal, ours_variables, variables)

  def loss(module):
    return lambda v, x: jnp.sum(jnp.sin(module.apply(v, x)))

  np.testing.assert_allclose(layer.apply(variables, x), reference.apply(variables, x),
                             rtol=1e-5, atol=1e-5)
  got = jax.grad(loss(layer), argnums=(0, 1))(variables, x)
  want = jax.grad(loss(reference), argnums=(0, 1))(variables, x)
  jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                         got, want)


def test_auto_lowering_and_bad_names():
  assert resolve_lowering("auto") == ("patches" if jax.default_backend() == "cpu" else "xla")
  with pytest.raises(ValueError, match="conv_lowering"):
    resolve_lowering("fast")


def test_models_take_the_factories_chosen_once_from_the_config():
  factories = conv_factories("xla")
  assert factories["conv"].func is Conv and factories["conv_transpose"].func is ConvTranspose
  model = {"generator": {"kind": "dcgan", "width": 8, "latent_dim": 8},
           "critic": {"kind": "resnet", "width": 8}, "conv_lowering": "xla"}
  generator, critic = create_models(model, (32, 32, 3))
  assert generator.conv_transpose.keywords == critic.conv.keywords == {"lowering": "xla"}
  with pytest.raises(ValueError, match="conv_lowering"):
    create_models({**model, "conv_lowering": "fast"}, (32, 32, 3))


@pytest.mark.parametrize("kind, shape", [("dcgan", (32, 32, 3)), ("gp_dcgan", (28, 28, 1)),
                                         ("resnet", (32, 32, 3))])
@pytest.mark.slow  # three whole models compiled under both lowerings
def test_models_agree_across_lowerings_including_the_penalty_gradient(kind, shape):
  outputs = {}
  for lowering in ("xla", "patches"):
    model = {"generator": {"kind": kind, "width": 8, "latent_dim": 8},
             "critic": {"kind": kind, "width": 8, "normalization": "none"},
             "conv_lowering": lowering}
    generator, critic = create_models(model, shape)
    z = jax.random.normal(jax.random.PRNGKey(2), (3, 8))
    g_vars = jax.jit(lambda k, z: generator.init(k, z, train=False))(jax.random.PRNGKey(0), z)
    images = jax.jit(lambda v, z: generator.apply(v, z, train=False))(g_vars, z)
    c_vars = jax.jit(lambda k, x: critic.init(k, x, train=False))(jax.random.PRNGKey(1), images)
    # The input-gradient's gradient: what the penalty differentiates.
    grad_norm = lambda v, x: jnp.sum(jax.grad(  # noqa: E731
        lambda x: critic.apply(v, x, train=False).sum())(x) ** 2)
    outputs[lowering] = (g_vars, c_vars, images, critic.apply(c_vars, images, train=False),
                         jax.jit(jax.grad(grad_norm))(c_vars, images))
  jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                         outputs["xla"], outputs["patches"])
