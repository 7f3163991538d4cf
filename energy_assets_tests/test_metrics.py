"""Forecast metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from energy_assets.evaluation.metrics import (
    interval_coverage,
    mae,
    mape,
    pinball_loss,
    rmae,
    rmse,
    smape,
)

A = np.array([100.0, 200.0, 0.0, 50.0])
F = np.array([110.0, 180.0, 10.0, 50.0])


def test_mae_rmse_by_hand():
    # |errors| = 10, 20, 10, 0
    assert mae(A, F) == pytest.approx(10.0)
    assert rmse(A, F) == pytest.approx(math.sqrt((100 + 400 + 100 + 0) / 4))


def test_mape_skips_zero_actuals():
    # 10/100 = 10 %, 20/200 = 10 %, (zero actual skipped), 0/50 = 0 %
    assert mape(A, F) == pytest.approx((10 + 10 + 0) / 3)


def test_smape_epftoolbox_definition():
    # 2|a-f|/(|a|+|f|): 20/210, 40/380, 20/10, 0
    expected = (20 / 210 + 40 / 380 + 2.0 + 0.0) / 4 * 100
    assert smape(A, F) == pytest.approx(expected)
    # both zero -> perfect, scores 0
    assert smape([0.0, 10.0], [0.0, 10.0]) == 0.0


def test_rmae_ratio_to_naive():
    naive = np.array([90.0, 220.0, 0.0, 40.0])  # |errors| 10, 20, 0, 10 -> MAE 10
    assert rmae(A, F, naive) == pytest.approx(10.0 / 10.0)
    assert rmae([1.0, 2.0], [1.0, 2.0], [2.0, 4.0]) == 0.0
    with pytest.raises(ValueError):
        rmae([1.0, 2.0], [1.5, 2.0], [1.0, 2.0])


def test_pinball_by_hand():
    a = np.array([10.0, 10.0])
    f = np.array([8.0, 13.0])
    # q = 0.9: under-forecast by 2 -> 0.9 * 2 = 1.8; over-forecast by 3 -> 0.1 * 3 = 0.3
    assert pinball_loss(a, f, 0.9) == pytest.approx((1.8 + 0.3) / 2)
    # q = 0.5 is half the MAE
    assert pinball_loss(a, f, 0.5) == pytest.approx(mae(a, f) / 2)
    with pytest.raises(ValueError):
        pinball_loss(a, f, 1.0)


def test_interval_coverage_closed_interval():
    a = np.array([1.0, 5.0, 10.0, 11.0])
    lo = np.array([0.0, 5.0, 0.0, 0.0])
    hi = np.array([2.0, 6.0, 10.0, 10.0])
    assert interval_coverage(a, lo, hi) == pytest.approx(3 / 4)


def test_nan_pairs_ignored():
    a = np.array([100.0, np.nan, 200.0, 300.0])
    f = np.array([110.0, 5.0, np.nan, 290.0])
    assert mae(a, f) == pytest.approx(10.0)
    assert interval_coverage(a, f - 20, [np.nan, 0, 0, 400]) == pytest.approx(1.0)


@pytest.mark.parametrize("fn", [mae, rmse, mape, smape])
def test_errors(fn):
    with pytest.raises(ValueError, match="length"):
        fn([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="valid"):
        fn([np.nan, 1.0], [1.0, np.nan])


def test_mape_all_zero_actuals_raises():
    with pytest.raises(ValueError):
        mape([0.0, 0.0], [1.0, 2.0])
