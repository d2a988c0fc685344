"""Daily demand models, chosen per series by a rolling-origin backtest, with intervals calibrated on its residuals.

Candidates (each forecasts the median of the next days from a series' history and its calendar):
- 'Seasonal naive': the same weekday last week (the yardstick every accuracy figure is compared with);
- 'ETS': statsmodels' Holt-Winters exponential smoothing (damped trend, weekly seasonality) fitted on the history
  with special days evened out, then each coming special day scaled by the lift it had the last time;
- 'Calendar regression': least squares on log counts with trend, weekday, a yearly cycle (from a year of history)
  and one effect per holiday, peak or promotion, plus an exponentially smoothed level of the recent residuals.
Intervals are conformal: the 10th/90th (2.5th/97.5th) percentiles of the backtest's log errors at each horizon,
added to the forecast, so 80 % means what the history says it meant, not what a model assumes.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import numpy as np

from .model import CalendarEvent

SEASON = 7
MIN_MODEL_DAYS = 2 * SEASON  # under two weekly cycles: a labelled simple forecast
YEAR_DAYS = 365  # yearly cycle and measured lifts need a year of history
BACKTEST_HORIZON = 14
BACKTEST_STEP = 7
BACKTEST_WINDOWS = 8
FOURIER_TERMS = 6
RIDGE = 0.3  # shrinks effects seen once or twice towards no effect
LEVEL_ALPHA = 0.12  # how fast the regression's level follows recent errors


@dataclass(frozen=True)
class Calendar:
    """Special days by date: their names (the effects a model learns) and the days the shop is closed."""

    names: dict[date, tuple[str, ...]] = field(default_factory=dict)
    closed: frozenset[date] = frozenset()
    lifts: dict[date, float] = field(default_factory=dict)  # lift measured the last time, for the ETS candidate

    @classmethod
    def of(cls, events: list[CalendarEvent]) -> "Calendar":
        names: dict[date, list[str]] = {}
        lifts: dict[date, list[float]] = {}
        for event in events:
            names.setdefault(event.day, []).append(event.name)
            if event.lift is not None:
                lifts.setdefault(event.day, []).append(event.lift)
        return cls({d: tuple(n) for d, n in names.items()}, frozenset(e.day for e in events if e.closed),
                   {d: float(np.prod(v)) for d, v in lifts.items()})

    def special(self, day: date) -> bool:
        return day in self.names or day in self.closed


# A model: (history counts, first day, calendar, horizon) -> medians for the next `horizon` days.
Model = Callable[[np.ndarray, date, Calendar, int], np.ndarray]


def seasonal_naive(y: np.ndarray, first: date, calendar: Calendar, horizon: int) -> np.ndarray:
    last_week = y[-SEASON:]
    return np.array([last_week[h % SEASON] for h in range(horizon)], dtype=float)


def recent_mean(y: np.ndarray, first: date, calendar: Calendar, horizon: int) -> np.ndarray:
    """The simple forecast: the mean of the last (up to) seven days, closed days left out."""
    days = [first + timedelta(days=i) for i in range(len(y))]
    open_values = [v for v, d in zip(y[-SEASON:], days[-SEASON:]) if d not in calendar.closed] or [0.0]
    return np.full(horizon, float(np.mean(open_values)))


def _features(days: list[date], origin: date, yearly: bool, effects: list[str], calendar: Calendar) -> np.ndarray:
    t = np.array([(d - origin).days for d in days], dtype=float)
    columns = [np.ones(len(days)), t / 365.0]
    weekday = np.array([d.weekday() for d in days])
    columns += [(weekday == k).astype(float) for k in range(1, 7)]
    if yearly:
        doy = np.array([d.timetuple().tm_yday for d in days], dtype=float) / 365.25
        for k in range(1, FOURIER_TERMS + 1):
            columns += [np.sin(2 * math.pi * k * doy), np.cos(2 * math.pi * k * doy)]
    for name in effects:
        columns.append(np.array([name in calendar.names.get(d, ()) for d in days], dtype=float))
    return np.column_stack(columns)


def calendar_regression(y: np.ndarray, first: date, calendar: Calendar, horizon: int) -> np.ndarray:
    n = len(y)
    days = [first + timedelta(days=i) for i in range(n)]
    future = [first + timedelta(days=n + h) for h in range(horizon)]
    yearly = n >= YEAR_DAYS
    seen = {name for d in days for name in calendar.names.get(d, ())}
    # An effect is learned only if it was seen in the history (and, without a yearly cycle, only the shop's own).
    effects = sorted(seen)
    fit = np.array([d not in calendar.closed for d in days])
    X = _features(days, first, yearly, effects, calendar)
    target = np.log1p(y)
    Xf, yf = X[fit], target[fit]
    penalty = np.zeros(X.shape[1])
    penalty[8 + (2 * FOURIER_TERMS if yearly else 0):] = RIDGE  # only the special-day effects are shrunk
    # Recent days count more: growth and the shop's current mix matter more than two years ago.
    weights = np.exp(-(n - 1 - np.arange(n))[fit] / 365.0)
    W = weights[:, None]
    beta = np.linalg.solve(Xf.T @ (W * Xf) + np.diag(penalty) + 1e-6 * np.eye(X.shape[1]), Xf.T @ (weights * yf))
    residual = yf - Xf @ beta
    level = 0.0
    for r in residual[-120:]:
        level = LEVEL_ALPHA * r + (1 - LEVEL_ALPHA) * level
    forecast = np.expm1(_features(future, first, yearly, effects, calendar) @ beta + level)
    return np.maximum(forecast, 0.0)


def ets(y: np.ndarray, first: date, calendar: Calendar, horizon: int) -> np.ndarray:
    """Holt-Winters on the history with special days replaced by their weekday's recent level, then lifts applied."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    n = len(y)
    days = [first + timedelta(days=i) for i in range(n)]
    clean = y.astype(float).copy()
    for i, d in enumerate(days):
        if calendar.special(d):
            same = [clean[j] for j in range(i - 7, max(i - 36, -1), -7) if j >= 0 and not calendar.special(days[j])]
            clean[i] = float(np.mean(same)) if same else clean[i]
    history = clean[-min(n, 2 * YEAR_DAYS):] + 1.0  # multiplicative seasonality needs positive values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Heuristic start values and a local optimiser: 0.03-0.1 s a fit instead of 1-6 s (every backtest window refits).
        model = ExponentialSmoothing(history, trend="add", damped_trend=True, seasonal="mul", seasonal_periods=SEASON,
                                     initialization_method="heuristic").fit(use_brute=False)
        forecast = np.asarray(model.forecast(horizon)) - 1.0
    future = [first + timedelta(days=n + h) for h in range(horizon)]
    lifts = np.array([0.0 if d in calendar.closed else calendar.lifts.get(d, 1.0) for d in future])
    return np.maximum(forecast, 0.0) * lifts


MODELS: dict[str, Model] = {"Calendar regression": calendar_regression, "ETS": ets, "Seasonal naive": seasonal_naive}
SIMPLE = "Simple: mean of the last days"


# ---------------------------------------------------------------- backtest and calibration
@dataclass
class Backtest:
    """Rolling-origin results of one model on one series: per window, the actuals and forecasts (horizon days)."""

    actual: list[np.ndarray] = field(default_factory=list)
    predicted: list[np.ndarray] = field(default_factory=list)
    open_days: list[np.ndarray] = field(default_factory=list)

    @property
    def windows(self) -> int:
        return len(self.actual)

    def wape(self) -> float | None:
        actual = sum(float(a[o].sum()) for a, o in zip(self.actual, self.open_days))
        error = sum(float(np.abs(a - p)[o].sum()) for a, p, o in zip(self.actual, self.predicted, self.open_days))
        return error / actual if actual > 0 else None

    def log_errors(self, exclude: int | None = None) -> np.ndarray:
        """Log errors per horizon (rows: windows, columns: horizon), open days only (NaN elsewhere)."""
        rows = []
        for i, (a, p, o) in enumerate(zip(self.actual, self.predicted, self.open_days)):
            if i == exclude:
                continue
            rows.append(np.where(o, np.log1p(a) - np.log1p(p), np.nan))
        return np.array(rows) if rows else np.empty((0, BACKTEST_HORIZON))


def origins(n: int, windows: int = BACKTEST_WINDOWS, horizon: int = BACKTEST_HORIZON, step: int = BACKTEST_STEP) -> list[int]:
    """History lengths at which each backtest window starts (oldest first); at least two weeks kept to fit on."""
    found = [n - horizon - step * k for k in range(windows)]
    return sorted(o for o in found if o >= MIN_MODEL_DAYS)


def backtest(model: Model, y: np.ndarray, first: date, calendar: Calendar, starts: list[int],
             horizon: int = BACKTEST_HORIZON) -> Backtest:
    result = Backtest()
    for origin in starts:
        predicted = model(y[:origin], first, calendar, horizon)
        days = [first + timedelta(days=origin + h) for h in range(horizon)]
        result.actual.append(y[origin:origin + horizon].astype(float))
        result.predicted.append(predicted)
        result.open_days.append(np.array([d not in calendar.closed for d in days]))
    return result


@dataclass(frozen=True)
class Quantiles:
    """Conformal offsets on the log scale per horizon day: q[level] = (low, high) arrays of length horizon."""

    low80: np.ndarray
    high80: np.ndarray
    low95: np.ndarray
    high95: np.ndarray
    high60: np.ndarray  # the 80th percentile (p80) is the upper end of the central 60 % interval

    @classmethod
    def from_errors(cls, errors: np.ndarray, horizon: int) -> "Quantiles":
        """Quantiles of the log errors pooled over horizon weeks (days 1-7, 8-14), later days like the last week
        widened by the square root of how much further they are."""
        if errors.size == 0 or np.all(np.isnan(errors)):  # no backtest yet: +-35 % (a guess, and it says so: no accuracy)
            errors = np.tile(np.array([-0.35, 0.35])[:, None], (1, BACKTEST_HORIZON))
        columns = errors.shape[1]
        out = {name: np.zeros(horizon) for name in ("l80", "h80", "l95", "h95", "h60")}
        for h in range(horizon):
            week = min(h // SEASON, (columns - 1) // SEASON)
            pooled = errors[:, week * SEASON:min((week + 1) * SEASON, columns)].ravel()
            pooled = pooled[~np.isnan(pooled)]
            if pooled.size == 0:
                pooled = np.array([-0.35, 0.35])
            widen = math.sqrt(max(1.0, (h + 1) / columns))
            centre = float(np.median(pooled))
            stretch = 1 + 1 / pooled.size  # split conformal's finite-sample step: the (n+1)/n quantile, not the n-th
            for name, q in (("l80", 10), ("h80", 90), ("l95", 2.5), ("h95", 97.5), ("h60", 80)):
                level = min(max(50 + (q - 50) * stretch, 0.0), 100.0)
                out[name][h] = centre + (float(np.percentile(pooled, level)) - centre) * widen
        return cls(out["l80"], out["h80"], out["l95"], out["h95"], out["h60"])


@dataclass(frozen=True)
class Chosen:
    """The model chosen for a series, its forecast with intervals, and its backtest against seasonal naive."""

    method: str
    p50: np.ndarray
    p80: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray
    wape: float | None = None
    wape_naive: float | None = None
    coverage80: float | None = None
    coverage95: float | None = None
    windows: int = 0
    backtest_days: int = 0
    simple_reason: str | None = None
    test: Backtest | None = None  # the chosen model's backtest (split-down series are scored on it)
    tests: dict[str, Backtest] = field(default_factory=dict)  # every candidate's backtest, by method


def interval(p50: np.ndarray, quantiles: Quantiles) -> dict[str, np.ndarray]:
    base = np.log1p(np.maximum(p50, 0.0))
    def at(offset): return np.maximum(np.expm1(base + offset), 0.0)
    return {"p80": np.maximum(at(quantiles.high60), p50), "lo80": np.minimum(at(quantiles.low80), p50),
            "hi80": np.maximum(at(quantiles.high80), p50), "lo95": np.minimum(at(quantiles.low95), p50),
            "hi95": np.maximum(at(quantiles.high95), p50)}


def coverage(test: Backtest, level: str = "80") -> float | None:
    """Share of backtest open days inside the interval made from the other windows' errors (cross-conformal)."""
    inside = total = 0
    for i, (a, p, o) in enumerate(zip(test.actual, test.predicted, test.open_days)):
        q = Quantiles.from_errors(test.log_errors(exclude=i), len(a))
        bands = interval(p, q)
        low, high = (bands["lo80"], bands["hi80"]) if level == "80" else (bands["lo95"], bands["hi95"])
        inside += int(((a >= np.floor(low)) & (a <= np.ceil(high)))[o].sum())
        total += int(o.sum())
    return inside / total if total else None


def forecast_series(y: np.ndarray, first: date, calendar: Calendar, horizon: int,
                    models: dict[str, Model] | None = None, windows: int = BACKTEST_WINDOWS) -> Chosen:
    """Choose by backtest WAPE among the models, refit on the whole history, and calibrate its intervals."""
    n = len(y)
    future = [first + timedelta(days=n + h) for h in range(horizon)]
    closed = np.array([d in calendar.closed for d in future])
    if n < MIN_MODEL_DAYS:
        reason = (f"only {n} day{'s' if n != 1 else ''} of history: a model needs two weekly cycles "
                  f"({MIN_MODEL_DAYS} days)")
        p50 = np.where(closed, 0.0, recent_mean(y, first, calendar, horizon) if n else np.zeros(horizon))
        # Wide, plain bands (log scale: 95 % within a factor of about 1.8 either way) until a backtest can calibrate them.
        spread = np.full(horizon, 0.6 if n else 1.0)
        q = Quantiles(-0.65 * spread, 0.65 * spread, -spread, spread, 0.3 * spread)
        bands = {k: np.where(closed, 0.0, v) for k, v in interval(p50, q).items()}
        return Chosen(SIMPLE, p50, simple_reason=reason, **bands)
    starts = origins(n, windows=windows)
    models = models or MODELS
    tests = {name: backtest(model, y, first, calendar, starts) for name, model in models.items()}
    naive = tests.get("Seasonal naive") or backtest(seasonal_naive, y, first, calendar, starts)
    scores = {name: (test.wape() if test.windows else None) for name, test in tests.items()}
    ranked = sorted((s, name) for name, s in scores.items() if s is not None)
    method = ranked[0][1] if ranked else "Seasonal naive"
    chosen_test = tests[method]
    p50 = np.where(closed, 0.0, models[method](y, first, calendar, horizon))
    q = Quantiles.from_errors(chosen_test.log_errors(), horizon)
    bands = interval(p50, q)
    bands = {k: np.where(closed, 0.0, v) for k, v in bands.items()}
    return Chosen(method, p50, wape=scores.get(method), wape_naive=naive.wape() if naive.windows else None,
                  coverage80=coverage(chosen_test, "80"), coverage95=coverage(chosen_test, "95"),
                  windows=chosen_test.windows, backtest_days=chosen_test.windows * BACKTEST_HORIZON, test=chosen_test,
                  tests=tests, **bands)
