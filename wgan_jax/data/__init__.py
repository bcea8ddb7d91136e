"""Input data: sources and the tf.data pipeline (TensorFlow, CPU only), the device-resident path
and toy sets (JAX / NumPy only), and what a config declares about its examples (`shapes`)."""


from wgan_jax.errors import DataError  # noqa: F401 -- where the data modules raise it from


MNIST_CLASSES = 10  # the digits
