"""InfoGAN on MNIST: latent codes the generator is made to keep readable (Chen et al. 2016).

`infogan:METHOD` (`configs/arguments.py`)

METHOD  dcgan (default; the paper's game: the standard GAN losses plus the mutual-information
      term in both, the DCGAN recipe) | wgan-gp (an InfoWGAN-GP: the same codes and Q head under the Wasserstein loss
      and lambda = 10; the Q head's term is added to the critic's loss beside the penalty).

The generator's input is the official code's MNIST latent: 62 noise inputs uniform on [-1, 1],
one ten-way categorical code (one-hot) and two continuous codes uniform on [-1, 1]
(`model.latent`). The critic's Q head (`conditioning='info'`) reads the codes back from its last
hidden features: ten logits and two means of unit-variance Gaussians; both players minimise
the negative log-likelihood of the codes, with weight 1 (`info_scale`; the official
`info_reg_coeff`). No label is used. Each evaluation classifies the generated digits with the
shipped MNIST classifier and reports `mnist_code_accuracy`: how often the categorical code names
the digit, under the best one-to-one matching of codes to digits.
`python -m wgan_jax.sample --traverse=0` draws the latent traversal of the paper's Fig. 2.

The official code trains convolutional networks with BatchNorm, learning rates 2e-4 (D) and
1e-3 (G), batch 128, for 50 epochs of 100 updates (5,000 iterations); here both networks are the
WGAN paper's 4-layer 512-unit ReLU MLPs at those learning rates (Adam, beta1 0.5) and batch, for
10,000 iterations. The WGAN-GP 28x28 DCGAN pair in their place ran at 1.3 iterations/s on the
2-core development machine (the MLPs: 35-45), too slow for a run here.
"""

from wgan_jax.config import adam, finalize
from wgan_jax.configs import arguments, gan_family, wgan_gp_mnist


def get_config(arg: str = ""):
  mode = arguments.check_method(arguments.parse(arg, method="dcgan").method, ("dcgan", "wgan-gp"))
  c = wgan_gp_mnist.get_config(mode)
  c.unlock()
  gan_family.mlp_networks(c, latent_dim=74, conditioning="info")
  c.model.latent = dict(noise="uniform", categorical=10, continuous=2)
  c.data.use_labels = False
  c.data.device_resident = True
  c.info_scale = 1.0
  if mode == "dcgan":
    c.optimizer.generator = adam(1e-3, 0.5, 0.999)
    c.optimizer.critic = adam(2e-4, 0.5, 0.999)
  c.batch_size = 128
  gan_family.scored_on_mnist(c, num_steps=10_000, eval_every=1000)
  return finalize(c)
