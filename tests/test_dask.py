"""Search and cross-validation on a Dask cluster, through joblib's Dask backend.

Needs the ``dask`` extra (``distributed``); skipped without it. A real
``LocalCluster`` of two worker processes: the fits run there, and give the
results they give in this process.
"""

import os

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate

from skgan import GANAugmentedClassifier, GANSampler

distributed = pytest.importorskip(
    "distributed", reason="the dask extra is not installed: pip install 'skgan[dask]'"
)


def _classes():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-2, 1, (120, 3)), rng.normal(2, 1, (60, 3))])
    y = np.r_[np.zeros(120, int), np.ones(60, int)]
    return X, y


def _augmented():
    sampler = GANSampler(
        epochs=3,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        batch_size=60,
        device="cpu",
        n_jobs=1,  # one torch thread per fit: the workers' cores are the jobs
    )
    return GANAugmentedClassifier(
        LogisticRegression(), sampler=sampler, n_synthetic=0.5, random_state=0
    )


def _pid_scorer(estimator, X, y):
    """The process the fit ran in, as a 'score'."""
    return os.getpid()


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_cross_validate_and_grid_search_run_on_the_dask_workers(client):
    X, y = _classes()
    workers = set(client.run(os.getpid).values())
    assert len(workers) == 2 and os.getpid() not in workers
    scoring = {"accuracy": "accuracy", "pid": _pid_scorer}
    with joblib.parallel_config(backend="dask"):
        remote = cross_validate(_augmented(), X, y, cv=3, scoring=scoring, n_jobs=-1)
        search = GridSearchCV(
            _augmented(), {"sampler__generator_lr": [1e-4, 1e-3]}, cv=2, n_jobs=-1
        ).fit(X, y)
    # Every fold was fitted and scored in a worker process.
    assert set(remote["test_pid"].astype(int)) <= workers
    # The same results as in this process: the fits are seeded, on the CPU,
    # one thread each.
    local = cross_validate(_augmented(), X, y, cv=3, scoring=scoring, n_jobs=1)
    np.testing.assert_array_equal(remote["test_accuracy"], local["test_accuracy"])
    here = GridSearchCV(
        _augmented(), {"sampler__generator_lr": [1e-4, 1e-3]}, cv=2, n_jobs=1
    ).fit(X, y)
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], here.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == here.best_params_
    # The refitted best model came back and samples here.
    assert search.best_estimator_.sampler_.sample(5).shape == (5, 3)
