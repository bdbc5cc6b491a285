"""A linear SVM as the server's classifier on a frozen encoder (seed 000 section 3.4.1,
"Compatibility with Decoder Re-Training", table 3.4; seed 002 section 4.3).

scikit-learn's ``LinearSVC`` (one-vs-rest, squared hinge loss) is fitted on the quantized
training latents ``q * round(y / q)``, each entry standardised by its training mean and
standard deviation. The fitted scores ``w_k . (x - mu) / sigma + b_k`` are folded into one
Keras ``Dense`` layer, so the SVM is a decoder like any other: it takes the received latent,
is saved in the ``.keras`` file and is counted in parameters and FLOPs. A softmax over the
scores keeps the decoder's output a distribution; its arg-max is the SVM's decision.
"""
import numpy as np


def linear_svm_decoder(latents, labels, num_classes, c=1.0, seed=0, max_iter=5000):
    """A Keras decoder (received latent -> softmax of the SVM scores) fitted on ``latents``.

    ``latents``: the quantized training latents as the server receives them; ``labels``:
    their labels (classes absent from them get scores that never win); ``c``: the SVM's
    regularisation ``C``.
    """
    import keras
    from sklearn.svm import LinearSVC

    latents = np.asarray(latents, np.float64)
    mean, scale = latents.mean(axis=0), latents.std(axis=0)
    scale[scale == 0] = 1.0
    svm = LinearSVC(C=c, random_state=seed, max_iter=max_iter)
    svm.fit((latents - mean) / scale, np.asarray(labels).reshape(-1))
    coef, intercept = svm.coef_, svm.intercept_
    if len(svm.classes_) == 2:  # one score s: class 1 where s > 0
        coef, intercept = np.concatenate([-coef, coef]), np.concatenate([-intercept, intercept])
    weights = np.zeros((latents.shape[1], num_classes))
    bias = np.full(num_classes, np.finfo(np.float32).min / 2)
    weights[:, svm.classes_] = (coef / scale).T
    bias[svm.classes_] = intercept - (coef * mean / scale).sum(axis=1)
    inputs = keras.Input((latents.shape[1],))
    dense = keras.layers.Dense(num_classes, activation="softmax", name="svm")
    decoder = keras.Model(inputs, dense(inputs), name="svm_decoder")
    dense.set_weights([weights.astype(np.float32), bias.astype(np.float32)])
    return decoder
