"""Price features for day-ahead forecasting (epftoolbox protocol): day arrays, lags, transform.

One implementation for the benchmark (`energy_assets/benchmarks/epf.py`) and the price assets
(`energy_assets/defs/prices.py`, `features/price_features` and the `models/price_*` assets).

Day-level (LEAR-style) feature vector of day D (`day_features`): prices of D-1, D-2, D-3, D-7
(4 x 24), each exogenous forecast for D, D-1, D-7 (3 x 24 per series); the models add
day-of-week dummies (7). `long_features`: per (day, hour) rows for gradient boosting. `Scaler`:
the variance-stabilising transform asinh((x - median) / (1.4826 MAD)) (Uniejewski et al. 2018)
for prices, and for the exogenous forecasts either the same or, `exog_transform="linear"`, the
robust standardisation (x - median) / (1.4826 MAD) alone (for a series whose MAD is degenerate,
such as a solar forecast at zero all night, the mean absolute deviation is its scale:
`exog_scale`), linear up to 8 robust standard deviations and compressed beyond
(`bounded_linear`), so that a glitch in a forecast cannot send a linear model's price to
thousands.
`day_feature_frame` lays the day vector out as the 24 rows of a table (`features/price_features`):
column by column, its 24 values are the vector's blocks, so `day_vector_from_frame` gives back
`day_features` exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

HOURS = 24
MAX_LAG = 7  # the oldest lag used by the features (D-7)

__all__ = [
    "EXOG_LAGS",
    "EXOG_TRANSFORMS",
    "HOURS",
    "LINEAR_EXOG_BOUND",
    "MAX_LAG",
    "PRICE_LAGS",
    "Market",
    "Scaler",
    "bounded_linear",
    "day_feature_frame",
    "day_features",
    "day_vector_from_frame",
    "dummies",
    "exog_scale",
    "exogenous_beyond_bound",
    "long_features",
    "market_from_frame",
]


@dataclass(frozen=True)
class Market:
    """A market as day arrays: `prices` (days, 24), `exog` (days, 24, k), `dates` (days,)."""

    name: str
    dates: np.ndarray  # datetime64[D]
    prices: np.ndarray
    exog: np.ndarray

    @property
    def n_days(self) -> int:
        return int(self.prices.shape[0])

    @property
    def n_exog(self) -> int:
        return int(self.exog.shape[2])

    @property
    def dow(self) -> np.ndarray:
        """Day of week, Monday 0 .. Sunday 6."""
        return ((self.dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int64)


def market_from_frame(frame: pl.DataFrame, name: str = "market") -> Market:
    """The output of `load_epf_csv` as day arrays."""
    n = frame.height // HOURS
    exog_cols = [c for c in frame.columns if c.startswith("exog_")]
    prices = frame.get_column("price").to_numpy().astype(np.float64).reshape(n, HOURS)
    if exog_cols:
        exog = (
            frame.select(exog_cols).to_numpy().astype(np.float64).reshape(n, HOURS, len(exog_cols))
        )
    else:
        exog = np.zeros((n, HOURS, 0))
    dates = frame.get_column("ts").to_numpy()[::HOURS].astype("datetime64[D]")
    return Market(name=name, dates=dates, prices=prices, exog=exog)


# ============================================================================ features
# Day-level (LEAR-style) feature vector of day d: prices of D-1, D-2, D-3, D-7 (4 x 24), each
# exogenous forecast for D, D-1, D-7 (3 x 24 per series), day-of-week dummies (7).
PRICE_LAGS = (1, 2, 3, 7)
EXOG_LAGS = (0, 1, 7)


def day_features(prices: np.ndarray, exog: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Raw day feature rows for `days` (each >= 7): (len(days), 96 + 72 k) without dummies.

    Row d reads prices of days d-1, d-2, d-3, d-7 only and exogenous forecasts of d, d-1, d-7:
    `prices` may end at day d-1 (a shorter array than `exog`).
    """
    days = np.asarray(days, dtype=np.int64)
    if days.size and days.min() < MAX_LAG:
        raise ValueError(f"feature rows need day index >= {MAX_LAG}")
    parts = [prices[days - lag] for lag in PRICE_LAGS]
    for j in range(exog.shape[2]):
        parts.extend(exog[days - lag, :, j] for lag in EXOG_LAGS)
    return np.concatenate(parts, axis=1)


def dummies(dow: np.ndarray) -> np.ndarray:
    return np.eye(7)[dow]


EXOG_TRANSFORMS = ("asinh", "linear")


def exog_scale(e: np.ndarray, median: np.ndarray) -> np.ndarray:
    """Each column's robust scale: 1.4826 MAD (the standard deviation of normal data), unless
    that is under half of 1.2533 x the mean absolute deviation (the same for normal data): then
    the MAD is degenerate, as for a series at one value most of the time (a solar forecast, zero
    at night, has a MAD of 0), and the mean absolute deviation is the scale. Standardised by a
    MAD of ~0, such a series reaches millions, and a linear model on it (`exog_transform=
    "linear"`) is wrecked. On PJM's load forecasts the two scales differ by at most 20 % on every
    window, so the MAD is kept there. Never under 1e-3 of the median's size (a constant series)."""
    dev = np.abs(e - median)
    mad = np.median(dev, axis=0) * 1.4826
    mean_ad = dev.mean(axis=0) * 1.2533
    scale = np.where(mad >= 0.5 * mean_ad, mad, mean_ad)
    return np.maximum(scale, 1e-3 * np.maximum(np.abs(median), 1.0))


# Standardised exogenous values stay linear up to this many robust standard deviations from the
# median and grow as the asinh of the excess beyond (`bounded_linear`). PJM's reach 7.1 at most
# (every window of every model, training rows included), so they are linear there; a glitch such
# as one hour of a load forecast ten times too high (z ~ 55) made the linear LEAR forecast 689
# $/MWh for an actual 37, and 38 with the bound.
LINEAR_EXOG_BOUND = 8.0


def bounded_linear(z: np.ndarray, bound: float = LINEAR_EXOG_BOUND) -> np.ndarray:
    """z where |z| <= bound; sign(z) (bound + asinh(|z| - bound)) beyond (continuous, monotone)."""
    a = np.abs(z)
    return np.where(a <= bound, z, np.sign(z) * (bound + np.arcsinh(np.maximum(a - bound, 0.0))))


def exogenous_beyond_bound(
    market: Market, day: int, windows: Sequence[int], bound: float = LINEAR_EXOG_BOUND
) -> list[dict[str, float | int]]:
    """Day `day`'s exogenous forecasts that lie beyond `bound` robust standard deviations from
    the median of some window's days before it (standardised as the linear models standardise
    them on each of `windows`): one {"series", "hour", "value", "z", "window_days"} per such
    hour, from the window where it stands out most (series counted from 1, sorted by series
    and hour), none on an ordinary day. Such a value is compressed (`bounded_linear`) and is
    more often a glitch in the file than a forecast."""
    worst: dict[tuple[int, int], dict[str, float | int]] = {}
    for window in windows:
        e = market.exog[np.arange(max(MAX_LAG, day - window), day)].reshape(-1, market.n_exog)
        median = np.median(e, axis=0)
        z_day = (market.exog[day] - median) / exog_scale(e, median)  # (24, series)
        for hour, j in zip(*np.nonzero(np.abs(z_day) > bound), strict=True):
            z = round(float(z_day[hour, j]), 2)
            key = (int(j) + 1, int(hour))
            if key not in worst or abs(z) > abs(float(worst[key]["z"])):
                worst[key] = {
                    "series": key[0],
                    "hour": key[1],
                    "value": float(market.exog[day, hour, j]),
                    "z": z,
                    "window_days": int(window),
                }
    return [worst[key] for key in sorted(worst)]


@dataclass(frozen=True)
class Scaler:
    """Variance-stabilising transform asinh((x - median) / (1.4826 MAD)) (Uniejewski et al. 2018).

    One (median, MAD) for prices and one per exogenous series, from the training window (the
    exogenous series' scale by `exog_scale`: the MAD unless it is degenerate).
    Prices always go through the asinh. The exogenous forecasts (load, generation) go through it
    too with `exog_transform="asinh"`; with "linear" they are only standardised (and bounded
    beyond `LINEAR_EXOG_BOUND`), so a linear model on them makes the transformed price, about
    the log of a high price, linear in the load: a price that grows exponentially with the load,
    as the supply stack's does (`models/price_linear.py`). A fit stored before this field
    existed reads as "asinh".
    """

    p_med: float
    p_mad: float
    e_med: np.ndarray
    e_mad: np.ndarray
    exog_transform: str = "asinh"

    @staticmethod
    def fit(prices: np.ndarray, exog: np.ndarray, exog_transform: str = "asinh") -> Scaler:
        if exog_transform not in EXOG_TRANSFORMS:
            raise ValueError(
                f"unknown exogenous transform {exog_transform!r}; one of {EXOG_TRANSFORMS}"
            )
        p = prices.ravel()
        p_med = float(np.median(p))
        p_mad = float(np.median(np.abs(p - p_med)) * 1.4826)
        e = exog.reshape(-1, exog.shape[-1])
        e_med = np.median(e, axis=0)
        scale = max(abs(p_med), 1.0)
        return Scaler(p_med, max(p_mad, 1e-3 * scale), e_med, exog_scale(e, e_med), exog_transform)

    def price(self, x: np.ndarray) -> np.ndarray:
        return np.arcsinh((x - self.p_med) / self.p_mad)

    def price_inverse(self, y: np.ndarray) -> np.ndarray:
        return self.p_med + self.p_mad * np.sinh(y)

    def exog(self, x: np.ndarray, j: int) -> np.ndarray:
        z = (x - self.e_med[j]) / self.e_mad[j]
        if self.exog_transform == "linear":
            return bounded_linear(z)
        return np.arcsinh(z)

    def day_rows(self, raw: np.ndarray, n_exog: int) -> np.ndarray:
        """Transform raw `day_features` rows (price block then one block per exog series)."""
        out = np.empty_like(raw)
        n_p = len(PRICE_LAGS) * HOURS
        out[:, :n_p] = self.price(raw[:, :n_p])
        width = len(EXOG_LAGS) * HOURS
        for j in range(n_exog):
            sl = slice(n_p + j * width, n_p + (j + 1) * width)
            out[:, sl] = self.exog(raw[:, sl], j)
        return out


def long_features(
    pt: np.ndarray, et: np.ndarray, dow: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Per (day, hour) rows for gradient boosting, from transformed prices/exog.

    `pt` (transformed prices) needs rows up to max(days)-1 only; `et` up to max(days).
    Columns: same-hour prices D-1/D-2/D-3/D-7, D-1 mean/max/min and last hour, per exogenous
    series its D value (same hour), D daily mean and max, D-1 and D-7 same hour and the
    differences D - D-1 and D - D-7; day of week and hour.
    """
    days = np.asarray(days, dtype=np.int64)
    n = days.size
    cols: list[np.ndarray] = []
    names: list[str] = []

    def add(name: str, values: np.ndarray) -> None:
        names.append(name)
        cols.append(np.broadcast_to(values, (n, HOURS)).reshape(-1))

    for lag in PRICE_LAGS:
        add(f"price_d{lag}", pt[days - lag])
    prev = pt[days - 1]
    add("price_d1_mean", prev.mean(axis=1, keepdims=True))
    add("price_d1_max", prev.max(axis=1, keepdims=True))
    add("price_d1_min", prev.min(axis=1, keepdims=True))
    add("price_d1_last", prev[:, -1:])
    add("price_d7_mean", pt[days - 7].mean(axis=1, keepdims=True))
    for j in range(et.shape[2]):
        e0, e1, e7 = et[days, :, j], et[days - 1, :, j], et[days - 7, :, j]
        add(f"exog{j + 1}_d0", e0)
        add(f"exog{j + 1}_d0_mean", e0.mean(axis=1, keepdims=True))
        add(f"exog{j + 1}_d0_max", e0.max(axis=1, keepdims=True))
        add(f"exog{j + 1}_d1", e1)
        add(f"exog{j + 1}_d7", e7)
        add(f"exog{j + 1}_d0_minus_d1", e0 - e1)
        add(f"exog{j + 1}_d0_minus_d7", e0 - e7)
    add("dow", dow[days][:, None].astype(np.float64))
    add("hour", np.arange(HOURS, dtype=np.float64)[None, :])
    return np.stack(cols, axis=1), names


def padded_day_features(market: Market) -> np.ndarray:
    """`day_features` of every day of `market`, indexed by day (the first MAX_LAG rows NaN)."""
    raw = day_features(market.prices, market.exog, np.arange(MAX_LAG, market.n_days))
    return np.concatenate([np.full((MAX_LAG, raw.shape[1]), np.nan), raw], axis=0)


def feature_names(n_exog: int) -> list[str]:
    """The day vector's blocks in order, each 24 hours long: `price_d1 .. price_d7`, then per
    exogenous series j `exog<j>_d0, exog<j>_d1, exog<j>_d7`."""
    names = [f"price_d{lag}" for lag in PRICE_LAGS]
    for j in range(1, n_exog + 1):
        names += [f"exog{j}_d{lag}" for lag in EXOG_LAGS]
    return names


def day_feature_frame(market: Market, day: int, price_unit: str = "usd_per_mwh") -> pl.DataFrame:
    """`day_features` of day index `day` as 24 rows (hour 0..23): one column per block
    (`price_d1_<unit>`..., `exog<j>_d0_mw`...), the day of week (Monday 0)."""
    vector = day_features(market.prices, market.exog, np.array([day]))[0]
    columns: dict[str, np.ndarray] = {"hour": np.arange(HOURS, dtype=np.int8)}
    for k, name in enumerate(feature_names(market.n_exog)):
        unit = price_unit if name.startswith("price") else "mw"
        columns[f"{name}_{unit}"] = vector[k * HOURS : (k + 1) * HOURS]
    columns["day_of_week"] = np.full(HOURS, int(market.dow[day]), dtype=np.int8)
    return pl.DataFrame(columns)


def day_vector_from_frame(frame: pl.DataFrame, n_exog: int) -> np.ndarray:
    """The day vector (96 + 72 k values) back from `day_feature_frame`'s rows."""
    ordered = frame.sort("hour")
    blocks = [
        ordered.get_column(next(c for c in frame.columns if c.startswith(f"{name}_")))
        .to_numpy()
        .astype(np.float64)
        for name in feature_names(n_exog)
    ]
    return np.concatenate(blocks)


def market_from_days(
    name: str,
    dates: list[dt.date],
    prices: np.ndarray,
    exog: np.ndarray,
) -> Market:
    """A `Market` from day-ordered arrays (consecutive `dates`, prices (days, 24), exogenous
    (days, 24, k)); refuses a gap between days (a silent shift of the lags)."""
    days = np.array(dates, dtype="datetime64[D]")
    if len(days) > 1 and (np.diff(days).astype(np.int64) != 1).any():
        k = int(np.flatnonzero(np.diff(days).astype(np.int64) != 1)[0])
        raise ValueError(f"{name}: days are not consecutive: {days[k]} then {days[k + 1]}")
    return Market(name=name, dates=days, prices=prices, exog=exog)
