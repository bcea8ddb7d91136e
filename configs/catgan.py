"""CatGAN on MNIST: a ten-way discriminator that clusters digits without labels (Springenberg 2016).

`configs/catgan.py`: the paper's game on class probabilities. The discriminator is trained to be
certain about real digits, balanced over its ten classes on them and uncertain about the fakes;
the generator to make fakes it is certain about, balanced over the classes.

No label is used in training (`data.use_labels=False`): the classes are the discriminator's own.
Each evaluation assigns every one of the 10,000 MNIST test digits to the class the head names
most likely and reports `cluster_accuracy`, the accuracy after the best one-to-one matching of
the ten classes to the ten digits (scipy's `linear_sum_assignment`); `classifier_error` beside it
takes class k to mean digit k, which nothing here asks of the head, so read it only as a check
that the matching matters. `data.path` needs the t10k files beside the training ones.

The paper's MNIST discriminator is convolutional and its models are trained far longer; here both
networks are the WGAN paper's 4-layer 512-unit ReLU MLPs (the head: ten class logits and an unused
real-vs-fake logit, `conditioning='semi_supervised'`), trained with Adam(2e-4, 0.5) for 10,000
iterations of batch 100. At 1e-3, the semi-supervised GAN's rate, a 2,000-iteration trial
collapsed by iteration 300: the discriminator grew certain about the fakes too, the softmax
saturated, and the generator's gradient norm fell to 0 (all fakes one digit); at 2e-4 the fakes
stayed uncertain (class entropy 1.7-2.1 nats) and the clustering accuracy reached 57%.
"""

from wgan_jax.configs import gan_family, wgan_gp_mnist
from wgan_jax.config import adam, finalize


def get_config():
  c = wgan_gp_mnist.get_config("dcgan")
  c.unlock()
  gan_family.mlp_networks(c, conditioning="semi_supervised", num_classes=10)
  c.model.generator.num_classes = 0
  c.data.use_labels = False
  c.data.device_resident = True
  c.objective = "catgan"
  c.optimizer.generator = adam(2e-4, 0.5, 0.999)
  c.optimizer.critic = adam(2e-4, 0.5, 0.999)
  c.batch_size = 100
  gan_family.scored_on_mnist(c, num_steps=10_000, eval_every=1000)
  c.eval.classifier_split = "test"
  return finalize(c)
