"""Input data: sources and the tf.data pipeline (TensorFlow, CPU only), the device-resident path
and toy sets (JAX / NumPy only), and what a config declares about its examples (`shapes`)."""


class DataError(ValueError):
  """A data source is missing, empty, corrupt or of the wrong shape; the message says which."""


MNIST_CLASSES = 10  # the digits
