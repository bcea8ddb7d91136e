"""Class-conditional GANs on MNIST: the label enters both networks.

`conditional_gan:METHOD,ARCH,CONDITIONING` (`configs/arguments.py`)

METHOD     dcgan (default; the conditional GAN of Mirza and Osindero 2014, trained as a DCGAN:
           non-saturating loss, one D update, Adam(2e-4, 0.5)) | wgan-gp (a conditional
           WGAN-GP: lambda = 10, 5 critic updates, Adam(1e-4, 0.5, 0.9)) | wgan (weight clipping,
           TensorFlow 1's RMSProp(5e-5), BatchNorm in both networks, as `gan_mnist.py`'s wgan
           mode) | lsgan (least squares, TensorFlow 1's RMSProp(1e-4)).
ARCH       mlp (default; a 4-layer 512-unit ReLU MLP each side, the paper's network family, with
           ReLU in place of its maxout and no dropout) | dcgan (the WGAN-GP `gan_mnist.py`
           networks, DIM 64).
CONDITIONING  how the critic takes the label (`models.layers.CONDITIONINGS`): input (default;
           the paper's: the one-hot label joined to the critic's input, which for an MLP is its
           first hidden layer) | projection (the default of `models`: <embed(y), h> added to the
           score, Miyato and Koyama 2018) | acgan (an auxiliary classifier head instead).

The generator always takes the one-hot label joined to its noise. Samples are drawn for the
classes 0..9 in turn; the `mnist` metric then also reports how often the shipped classifier
names the intended class (`mnist_label_accuracy`). The paper trains with SGD and momentum,
dropout and uniform noise, and reports a Parzen-window log-likelihood (132 +- 1.8 nats); those
settings are not reproduced here.
"""

from wgan_jax.config import finalize, tf1_rmsprop
from wgan_jax.configs import arguments, wgan_gp_mnist

# Each method, and the `wgan_gp_mnist` recipe it starts from.
RECIPES = {"dcgan": "dcgan", "wgan-gp": "wgan-gp", "wgan": "wgan", "lsgan": "dcgan"}
ARCHS = ("mlp", "dcgan")


def get_config(arg: str = ""):
  args = arguments.parse(arg, method="dcgan", arch="mlp", conditioning="input")
  method = arguments.check_method(args.method, tuple(RECIPES))
  arch, conditioning = arguments.check_choice("arch", args.arch, ARCHS), args.conditioning
  c = wgan_gp_mnist.get_config(RECIPES[method])
  c.unlock()
  if method == "lsgan":
    c.objective = "lsgan"
    c.optimizer.generator = tf1_rmsprop(1e-4)
    c.optimizer.critic = tf1_rmsprop(1e-4)
  if arch == "mlp":
    c.model.generator = dict(kind="mlp", latent_dim=100, width=512, depth=3,
                             output_activation="tanh")
    c.model.critic = dict(kind="mlp", width=512, depth=3)
  c.model.critic["conditioning"] = conditioning
  c.data.use_labels = True
  c.batch_size = 100  # the paper's minibatch
  c.num_sample_images = 100  # ten of each class
  return finalize(c)
