"""Autologging for scikit-learn: every ``fit`` becomes a tracked run.

:func:`autolog` wraps ``fit``, ``fit_transform`` and ``fit_predict`` of every
estimator scikit-learn lists. Only the outermost call logs (a Pipeline's fit
logs once, not once per step). The call logs into the active run, or starts a
run named after the estimator and ends it when ``fit`` returns (failed if it
raises). Preprocessing helpers fitted on their own (``LabelEncoder``,
``StandardScaler``…) are not logged. It records the estimator's parameters
(``get_params(deep=True)``),
training metrics computed on the training data, and the estimator's class as
tags, and stores the fitted estimator (saved with skops by the safe sklearn
flavor, with a signature inferred from the first training rows) as the run's
``model/`` artifact; ``registered_model_name`` also registers it as a version.
Logging never breaks training: a metric that cannot be computed is skipped,
a model that cannot be stored is reported on stderr.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any

from shipyard.core.extras import require
from shipyard.tracking.limits import VALUE_MAX

__all__ = ["autolog", "training_metrics"]

_METHODS = ("fit", "fit_transform", "fit_predict")
# Helpers scikit-learn itself fits inside metrics and other estimators (LabelEncoder
# inside f1_score…): fitted alone they are not models worth a run. In a Pipeline,
# the Pipeline's fit logs.
_NOT_MODELS = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.utils",
)
_originals: dict[tuple[type, str], Callable[..., Any]] = {}
_state = threading.local()
_settings: dict[str, Any] = {"experiment": None, "log_models": True, "registered_model_name": None}
_EXAMPLE_ROWS = 5


def autolog(
    *,
    disable: bool = False,
    experiment: str | None = None,
    log_models: bool = True,
    registered_model_name: str | None = None,
) -> None:
    """Log every scikit-learn ``fit`` from now on (``disable=True`` stops it).

    ``experiment`` names the experiment of the runs autolog starts itself.
    ``log_models`` stores each fitted estimator as the run's ``model/`` artifact
    (safe format, no pickle); with ``registered_model_name`` each one is also
    registered as the next version of that model.
    """
    require("models", "shipyard.sklearn.autolog", "sklearn", "numpy")
    from sklearn.utils import all_estimators

    if disable:
        for (cls, method), original in _originals.items():
            setattr(cls, method, original)
        _originals.clear()
        return
    if registered_model_name is not None:
        from shipyard.core.model_ref import check_model_name

        check_model_name(registered_model_name)
    _settings["experiment"] = experiment
    _settings["log_models"] = log_models
    _settings["registered_model_name"] = registered_model_name
    for _name, cls in all_estimators():
        if cls.__module__.startswith(_NOT_MODELS):
            continue
        for method in _METHODS:
            # Patch the class that defines the method (RandomForestClassifier inherits
            # its fit from BaseForest), once.
            owner = next((k for k in cls.__mro__ if method in k.__dict__), None)
            if owner is None or owner is object or (owner, method) in _originals:
                continue
            original = owner.__dict__[method]
            _originals[(owner, method)] = original
            setattr(owner, method, _patched(original))


def _patched(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "active", False):
            return original(self, *args, **kwargs)
        _state.active = True
        try:
            return _logged_fit(original, self, args, kwargs)
        finally:
            _state.active = False

    return fit


def _logged_fit(
    original: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    from shipyard.runs import active_run, start_run

    run = active_run()
    started = None
    if run is None:
        started = run = start_run(experiment=_settings["experiment"], name=type(estimator).__name__)
    try:
        cls = type(estimator)
        run.set_tags(
            {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}
        )
        params = _params(estimator)
        logged = run.params
        fresh = {k: v for k, v in params.items() if k not in logged}
        if fresh:
            run.log_params(fresh)
        result = original(estimator, *args, **kwargs)
        X = args[0] if args else kwargs.get("X")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        if X is not None and y is not None:
            run.log_metrics(training_metrics(estimator, X, y, kwargs.get("sample_weight")))
        if X is not None and (_settings["log_models"] or _settings["registered_model_name"]):
            _log_model(run, estimator, X)
    except BaseException:
        if started is not None:
            started.end("failed")
        raise
    if started is not None:
        started.end("finished")
    return result


def _log_model(run: Any, estimator: Any, X: Any) -> None:
    """Store the fitted estimator as the ``model/`` artifact (and register it if asked)."""
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    from shipyard.models.model_dir.save import save_model

    example = X.iloc[:_EXAMPLE_ROWS] if hasattr(X, "iloc") else X[:_EXAMPLE_ROWS]
    folder = Path(tempfile.mkdtemp(prefix="shipyard-autolog-"))
    try:
        if _settings["log_models"]:
            save_model(estimator, folder / "model", input_example=example)
            run.log_artifact(folder / "model", "model")
        name = _settings["registered_model_name"]
        if name:
            run.log_model(estimator, name, input_example=example)
    except Exception as exc:  # logging never breaks training
        print(f"shipyard autolog: could not store the model: {exc}", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _params(estimator: Any) -> dict[str, str]:
    params = {}
    for key, value in estimator.get_params(deep=True).items():
        text = repr(value) if not isinstance(value, str) else value
        params[key] = text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 3] + "..."
    return params


def training_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
    """Metrics of a fitted estimator on its training data, named as MLflow names them."""
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    found: dict[str, float] = {}

    def add(name: str, compute: Callable[[], Any]) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found[name] = float(compute())
        except Exception:  # noqa: S110 - a metric that does not apply is skipped
            pass

    weight = {"sample_weight": sample_weight}
    if is_classifier(estimator):
        predicted = estimator.predict(X)
        add("training_accuracy_score", lambda: metrics.accuracy_score(y, predicted, **weight))
        for name, score in (
            ("precision", metrics.precision_score),
            ("recall", metrics.recall_score),
            ("f1", metrics.f1_score),
        ):
            add(
                f"training_{name}_score",
                functools.partial(
                    score, y, predicted, average="weighted", zero_division=0, **weight
                ),
            )
        if hasattr(estimator, "predict_proba"):
            proba = estimator.predict_proba(X)
            add("training_log_loss", lambda: metrics.log_loss(y, proba, **weight))
            if proba.shape[1] == 2:
                add("training_roc_auc", lambda: metrics.roc_auc_score(y, proba[:, 1], **weight))
            else:
                add(
                    "training_roc_auc",
                    lambda: metrics.roc_auc_score(y, proba, multi_class="ovr", **weight),
                )
    elif is_regressor(estimator):
        predicted = estimator.predict(X)
        add(
            "training_mean_squared_error",
            lambda: metrics.mean_squared_error(y, predicted, **weight),
        )
        add(
            "training_root_mean_squared_error",
            lambda: metrics.mean_squared_error(y, predicted, **weight) ** 0.5,
        )
        add(
            "training_mean_absolute_error",
            lambda: metrics.mean_absolute_error(y, predicted, **weight),
        )
        add("training_r2_score", lambda: metrics.r2_score(y, predicted, **weight))
    if hasattr(estimator, "score"):
        add("training_score", lambda: estimator.score(X, y, **weight))
    return found
