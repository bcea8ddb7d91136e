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

from configs import wgan_gp_mnist
from wgan_jax.config import adam, finalize


def get_config():
  c = wgan_gp_mnist.get_config("dcgan")
  c.unlock()
  c.model.generator = dict(kind="mlp", latent_dim=100, width=512, depth=3,
                           output_activation="tanh", num_classes=0)
  c.model.critic = dict(kind="mlp", width=512, depth=3, conditioning="semi_supervised",
                        num_classes=10)
  c.data.use_labels = False
  c.data.device_resident = True
  c.objective = "catgan"
  c.optimizer.generator = adam(2e-4, 0.5, 0.999)
  c.optimizer.critic = adam(2e-4, 0.5, 0.999)
  c.batch_size = 100
  c.num_steps = 10_000
  c.eval.metrics = ("mnist",)
  c.eval.classifier_split = "test"
  c.eval.every = 1000
  c.eval.num_samples = 2000
  c.log_every = 100
  c.sample_every = c.checkpoint_every = 1000
  c.num_sample_images = 100
  return finalize(c)
