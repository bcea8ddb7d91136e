"""The semi-supervised GAN on MNIST: a K+1-way discriminator that learns from a few labels,
the unlabelled rest and the generator's fakes (Odena 2016; Salimans et al. 2016).

`semi_supervised_gan:METHOD,LABELS_PER_CLASS` (`configs/arguments.py`)

METHOD  feature_matching (default; Salimans et al.'s MNIST setting: the standard GAN's
      discriminator loss on the real-vs-fake score, and a generator that matches the mean of
      the discriminator's last hidden features on real data) | gan (the non-saturating generator
      loss instead, the rest unchanged) | wgan-gp (a semi-supervised WGAN-GP: the same head under the Wasserstein
      loss and lambda = 10) | supervised (the baseline: the same discriminator, data and
      optimizer with only its class loss on the labelled examples; no game).
LABELS_PER_CLASS  10 by default: 100 labels in all, Salimans et al.'s main MNIST setting.

The discriminator (`model.critic.conditioning='semi_supervised'`) has ten class logits l(x) and
the negated fake-class logit psi(x); its real-vs-fake score is logsumexp(l) + psi, and
the classification loss (`acgan_scale`) is cross-entropy on the labelled examples only. About
half of each batch is labelled (`data.labelled_per_class`). The generator is unconditional.
Each evaluation scores the discriminator as a classifier on the 10,000 MNIST test digits
(`classifier_error`), so `data.path` needs the t10k files beside the training ones.

The paper's networks are wider and use weight normalisation and Gaussian noise in the
discriminator (784-1000-500-250-250-250-10), a softplus generator (100-500-500-784) with
BatchNorm, Adam(3e-3, 0.5) and 300 epochs; here both networks are the WGAN paper's 4-layer
512-unit ReLU MLPs, without noise layers or weight normalisation, trained with Adam(1e-3, 0.5)
for 10,000 iterations (about 17 passes over the unlabelled digits).
"""

from wgan_jax.config import adam, finalize
from wgan_jax.configs import arguments, gan_family, wgan_gp_mnist

METHODS = ("feature_matching", "gan", "wgan-gp", "supervised")


def get_config(arg: str = ""):
  args = arguments.parse(arg, method="feature_matching", labels_per_class=10)
  mode = arguments.check_method(args.method, METHODS)
  labels_per_class = args.labels_per_class
  c = wgan_gp_mnist.get_config("wgan-gp" if mode == "wgan-gp" else "dcgan")
  c.unlock()
  gan_family.mlp_networks(c, conditioning="semi_supervised")
  c.model.generator.num_classes = 0
  c.data.use_labels = True
  c.data.labelled_per_class = labels_per_class
  c.data.device_resident = True
  c.feature_matching = mode == "feature_matching"
  if mode == "supervised":
    c.objective = "supervised"
  if mode != "wgan-gp":
    # The paper's Adam beta1 at a third of its learning rate (3e-3 with weight normalisation);
    # 2e-4, the DCGAN rate, left the generator far behind after 2,000 iterations.
    c.optimizer.generator = adam(1e-3, 0.5, 0.999)
    c.optimizer.critic = adam(1e-3, 0.5, 0.999)
  c.acgan_scale = 1.0
  c.batch_size = 100  # about 50 labelled and 50 unlabelled examples
  gan_family.scored_on_mnist(c, num_steps=10_000, eval_every=1000)
  c.eval.classifier_split = "test"
  return finalize(c)
