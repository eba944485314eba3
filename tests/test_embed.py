import numpy as np

from storyline.config import EmbedSettings
from storyline.embed import MiniLMEmbedder, load_embedder


def test_minilm_loads_offline_and_gives_unit_vectors():
    embedder = load_embedder()
    assert isinstance(embedder, MiniLMEmbedder)
    vectors = embedder.encode(["Portugal beat France in the Euro 2016 final.", "", "A quake hit Italy."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_paraphrases_are_closer_than_unrelated_news():
    embedder = load_embedder()
    a, b, c = embedder.encode(
        [
            "Portugal beat France 1-0 to win the Euro 2016 final.",
            "Eder's extra-time goal gave Portugal the European title against France.",
            "A strong earthquake struck central Italy near the town of Norcia.",
        ]
    )
    assert a @ b > 0.4 > a @ c


def test_batching_and_order_do_not_change_vectors():
    texts = [f"Sentence number {n} about a {'long ' * n}story." for n in range(40)]
    one_batch = MiniLMEmbedder(EmbedSettings(batch_size=64)).encode(texts)
    small_batches = MiniLMEmbedder(EmbedSettings(batch_size=3)).encode(texts)
    assert np.allclose(one_batch, small_batches, atol=1e-4)


def test_disabled_embedder_is_none():
    assert load_embedder(EmbedSettings(enabled=False)) is None
