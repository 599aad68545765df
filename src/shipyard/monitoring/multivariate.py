"""The multivariate check: a domain classifier on the two profiles' row samples.

A classifier learns to tell current rows from reference rows (a "classifier
two-sample test", Lopez-Paz and Oquab, 2017; the "domain classifier" of
Rabanser et al., 2019). If the two sides came from one distribution it cannot
do better than chance (ROC AUC 0.5); a joint change that no single feature
shows — a correlation that flipped — still lets it separate them.

Raw rows come from each profile's bounded uniform row sample (1,000 rows by
default), so the cost does not grow with the data. The rows are split in
halves, stratified: a histogram gradient-boosting classifier is trained on one
half and scored on the other, and the held-out ROC AUC is tested against
chance with the Mann–Whitney U test (AUC = U / (n₁·n₂)). Drift is reported
when the AUC reaches the threshold (0.55) *and* p < 0.05, so tiny samples do
not raise alarms on noise. Permutation importance on the held-out half names
the features that give the current data away.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from shipyard.monitoring.options import DriftOptions
from shipyard.monitoring.report import MultivariateResult
from shipyard.profiling.profile import Profile

__all__ = ["MIN_ROWS", "domain_classifier"]

#: Fewer sampled rows than this on either side and the check is skipped.
MIN_ROWS = 50
_MAX_CATEGORIES = 50
_TOP_FEATURES = 5


def _frame(table: pa.Table, columns: list[str]) -> pd.DataFrame:
    frame: pd.DataFrame = table.select(columns).to_pandas()
    return frame


def _encode(
    ref: pd.DataFrame, cur: pd.DataFrame, categorical: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers as float; categories as codes shared by both sides (top 50, rest one code)."""
    ref, cur = ref.copy(), cur.copy()
    for name in ref.columns:
        if name in categorical:
            both = pd.concat([ref[name], cur[name]]).astype("string")
            top = both.value_counts().index[:_MAX_CATEGORIES].tolist()
            codes = {value: float(i) for i, value in enumerate(top)}
            for frame in (ref, cur):
                text = frame[name].astype("object")
                frame[name] = [
                    math.nan if v is None or v is pd.NA else codes.get(str(v), float(len(top)))
                    for v in text
                ]
        else:
            ref[name] = pd.to_numeric(ref[name], errors="coerce").astype("float64")
            cur[name] = pd.to_numeric(cur[name], errors="coerce").astype("float64")
    return ref, cur


def domain_classifier(
    reference: Profile, current: Profile, features: list[str], options: DriftOptions
) -> MultivariateResult:
    """Train, score and test the classifier; ``ran=False`` with a reason when it cannot."""
    threshold = options.classifier_auc
    ref_rows, cur_rows = reference.sample_rows(), current.sample_rows()
    if ref_rows is None or cur_rows is None:
        side = "reference" if ref_rows is None else "current data"
        return MultivariateResult(
            False, threshold=threshold, reason=f"the {side} profile keeps no row sample"
        )
    usable = [
        name
        for name in features
        if name in ref_rows.column_names
        and name in cur_rows.column_names
        and reference[name].kind == current[name].kind
        and reference[name].kind != "other"
    ]
    if not usable:
        return MultivariateResult(
            False, threshold=threshold, reason="no feature is sampled on both sides"
        )
    if ref_rows.num_rows < MIN_ROWS or cur_rows.num_rows < MIN_ROWS:
        return MultivariateResult(
            False,
            threshold=threshold,
            reference_rows=ref_rows.num_rows,
            current_rows=cur_rows.num_rows,
            reason=f"fewer than {MIN_ROWS} sampled rows on one side",
        )
    import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime before it is limited
    from threadpoolctl import threadpool_limits

    # one thread: OpenMP's spin-waiting makes a 1,000-row fit 50× slower on a busy
    # machine. threadpoolctl limits only runtimes already loaded, hence the import above.
    with threadpool_limits(limits=1):
        return _classify(reference, current, usable, options)


def _classify(
    reference: Profile, current: Profile, usable: list[str], options: DriftOptions
) -> MultivariateResult:
    from scipy.stats import mannwhitneyu
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    threshold = options.classifier_auc
    ref_rows, cur_rows = reference.sample_rows(), current.sample_rows()
    if ref_rows is None or cur_rows is None:  # checked by the caller
        raise ValueError("both profiles need row samples")
    categorical = [n for n in usable if reference[n].kind == "categorical"]
    ref_frame, cur_frame = _encode(_frame(ref_rows, usable), _frame(cur_rows, usable), categorical)
    x = pd.concat([ref_frame, cur_frame], ignore_index=True)
    y = np.concatenate([np.zeros(len(ref_frame)), np.ones(len(cur_frame))])
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.5, stratify=y, random_state=0
    )
    model = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=15,
        early_stopping=False,
        categorical_features=[x.columns.get_loc(n) for n in categorical] or None,
        random_state=0,
    )
    model.fit(x_train, y_train)
    scores = model.predict_proba(x_test)[:, 1]
    auc = float(roc_auc_score(y_test, scores))
    p_value = float(
        mannwhitneyu(scores[y_test == 1], scores[y_test == 0], alternative="greater").pvalue
    )
    drifted = auc >= threshold and p_value < options.classifier_alpha
    top: list[tuple[str, float]] = []
    if drifted:
        importance = permutation_importance(
            model, x_test, y_test, scoring="roc_auc", n_repeats=2, random_state=0
        )
        ranked = sorted(zip(usable, importance.importances_mean, strict=True), key=lambda i: -i[1])
        top = [
            (name, round(float(value), 4))
            for name, value in ranked[:_TOP_FEATURES]
            if value > 0.005
        ]
    return MultivariateResult(
        True,
        roc_auc=auc,
        p_value=p_value,
        threshold=threshold,
        drifted=drifted,
        reference_rows=len(ref_frame),
        current_rows=len(cur_frame),
        top_features=top,
    )
