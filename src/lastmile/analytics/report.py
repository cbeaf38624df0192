"""The scorecard and the comparison for people: Rich tables, JSON files and an HTML report.

Tables and HTML read the same rows (:func:`headline_rows`, :func:`group_rows`,
:func:`comparison_rows`) so the terminal and the browser never disagree.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from lastmile.analytics.compare import A_BETTER, B_BETTER, DIFFERS, Comparison, KpiDifference
from lastmile.analytics.kpis import DASH, HEADLINE, fmt
from lastmile.analytics.model import KpiSet, Rate, Scorecard
from lastmile.analytics.serial import to_json
from lastmile.domain.errors import InvalidInput

GROUP_COLUMNS = (
    "orders", "on time", "OTIF", "1st attempt", "km/stop", "cost/stop", "stops/h",
    "time util", "cap util", "ETA MAE", "dwell med", "dwell P90", "CO2/stop", "exc.",
)  # fmt: skip
#: The columns kept when the terminal is too narrow for all of them (the JSON and HTML keep all).
NARROW_COLUMNS = ("orders", "on time", "1st attempt", "km/stop", "stops/h", "ETA MAE", "exc.")
#: Terminal width below which the group tables show only :data:`NARROW_COLUMNS`.
FULL_WIDTH = 170
VERDICTS = {
    B_BETTER: "B better",
    A_BETTER: "A better",
    DIFFERS: "differs",
    "no_difference": "no clear difference",
    "too_few_seeds": "too few seeds",
    "no_data": "no data",
}
_STYLE = {B_BETTER: "green", A_BETTER: "red"}


def headline_rows(card: Scorecard) -> list[tuple[str, str, str]]:
    """(KPI, value, basis) for the whole day; the basis shows a rate's fraction."""
    k = card.overall
    rates: dict[str, Rate] = {
        "on_time": k.on_time, "otif": k.otif, "first_attempt": k.first_attempt,
        "completion": k.completion, "eta_within_p10_p90": k.eta.within_p10_p90,
        "eta_p50_in_window": k.eta.p50_in_window,
    }  # fmt: skip
    rows = []
    for kpi in HEADLINE:
        rate = rates.get(kpi.name)
        basis = f"{rate.numerator} / {rate.denominator}" if rate else ""
        rows.append((kpi.label, fmt(kpi.unit, kpi.read(k)), basis))
    return rows


def group_rows(groups: list[KpiSet]) -> list[tuple[str, ...]]:
    """One row per zone or window, in :data:`GROUP_COLUMNS` order after the group name."""
    return [
        (
            g.group,
            str(g.counts.orders),
            fmt("share", g.on_time.value),
            fmt("share", g.otif.value),
            fmt("share", g.first_attempt.value),
            fmt("km", g.fleet.km_per_stop),
            fmt("money", g.fleet.cost_per_stop),
            fmt("/h", g.fleet.stops_per_hour),
            fmt("share", g.fleet.time_utilisation),
            fmt("share", g.fleet.capacity_utilisation),
            fmt("min", g.eta.mae_p50_min),
            fmt("s", g.dwell.median_s),
            fmt("s", g.dwell.p90_s),
            fmt("g", g.fleet.co2_g_per_stop),
            str(g.exceptions_total),
        )
        for g in groups
    ]


def comparison_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    """(KPI, mean A, mean B, B − A, interval, seeds, verdict) per KPI."""
    return [_comparison_row(k) for k in comparison.kpis]


def _comparison_row(k: KpiDifference) -> tuple[str, ...]:
    interval = DASH
    if k.ci_low is not None and k.ci_high is not None:
        interval = f"[{fmt(k.unit, k.ci_low, signed=True)}, {fmt(k.unit, k.ci_high, signed=True)}]"
    return (
        k.label,
        fmt(k.unit, k.mean_a),
        fmt(k.unit, k.mean_b),
        fmt(k.unit, k.mean_diff, signed=True),
        interval,
        str(k.n),
        VERDICTS[k.verdict],
    )


def _title(card: Scorecard) -> str:
    seed = f", seed {card.seed}" if card.seed is not None else ""
    policy = f" — {card.policy}" if card.policy else ""
    return f"Scorecard {card.day}{policy}{seed} ({card.timezone})"


def print_scorecard(console: Console, card: Scorecard) -> None:
    """Headline KPIs, then the same KPIs by zone and by promised window."""
    head = Table(title=_title(card))
    for name in ("KPI", "value", "of"):
        head.add_column(name, justify="left" if name == "KPI" else "right")
    for row in headline_rows(card):
        head.add_row(*row)
    console.print(head)
    c = card.overall.counts
    console.print(
        f"orders {c.orders}: delivered {c.delivered}, failed {c.failed}, rescheduled "
        f"{c.rescheduled}, cancelled {c.cancelled}, unserved {c.unserved}"
    )
    names = GROUP_COLUMNS if console.width >= FULL_WIDTH else NARROW_COLUMNS
    keep = [0] + [1 + GROUP_COLUMNS.index(name) for name in names]
    for title, groups in (
        ("By zone", card.by_zone),
        ("By promised window (local)", card.by_window),
    ):
        table = Table(title=title)
        table.add_column("zone" if title == "By zone" else "window", no_wrap=True)
        for name in names:
            table.add_column(name, justify="right", no_wrap=True)
        for cells in group_rows(groups):
            table.add_row(*(cells[i] for i in keep))
        console.print(table)
    if names is NARROW_COLUMNS:
        console.print(f"(a wider terminal, ≥ {FULL_WIDTH} columns, shows every KPI per group)")
    if card.overall.exceptions:
        kinds = ", ".join(f"{kind} {n}" for kind, n in card.overall.exceptions.items())
        console.print(f"exceptions raised: {kinds}")


def print_comparison(console: Console, comparison: Comparison) -> None:
    """Each KPI under both policies, the paired difference, its interval and the verdict."""
    table = Table(
        title=f"B = {comparison.policy_b} vs A = {comparison.policy_a}, "
        f"{len(comparison.seeds)} seeds, {comparison.confidence:.0%} intervals"
    )
    table.add_column("KPI")
    for name in ("A", "B", "B − A", "interval", "seeds", "verdict"):
        table.add_column(name, justify="right")
    for k, row in zip(comparison.kpis, comparison_rows(comparison), strict=True):
        style = _STYLE.get(k.verdict, "")
        table.add_row(*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1])
    console.print(table)


def write_json(obj: Scorecard | Comparison, path: Path) -> None:
    """Deterministic JSON (sorted keys, null for figures with nothing to measure)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(obj), encoding="utf-8")


def write_html(obj: Scorecard | Comparison, out_dir: Path) -> Path:
    """An HTML report with its PNG charts and JSON beside it; returns the index.html path."""
    from jinja2 import Environment, PackageLoader

    from lastmile.analytics import charts  # matplotlib is heavy: import only when drawing

    if not isinstance(obj, Scorecard | Comparison):
        raise InvalidInput(f"cannot report a {type(obj).__name__}", field="obj")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(obj, out_dir / "report.json")
    env = Environment(
        # Always escape: zone names and notes come from data, and ".j2" is not on Jinja's list.
        loader=PackageLoader("lastmile.analytics", "templates"),
        autoescape=True,
    )
    if isinstance(obj, Scorecard):
        images = {
            "on_time_by_window": charts.on_time_by_window(obj, out_dir),
            "zone_rates": charts.zone_rates(obj, out_dir),
            "dwell_by_zone": charts.dwell_by_zone(obj, out_dir),
            "eta_errors": charts.eta_errors(obj, out_dir),
            "vehicles": charts.vehicles(obj, out_dir),
        }
        html = env.get_template("scorecard.html.j2").render(
            title=_title(obj),
            card=obj,
            headline=headline_rows(obj),
            columns=GROUP_COLUMNS,
            zones=group_rows(obj.by_zone),
            windows=group_rows(obj.by_window),
            images=images,
        )
    else:
        html = env.get_template("comparison.html.j2").render(
            comparison=obj,
            rows=comparison_rows(obj),
            verdicts=[k.verdict for k in obj.kpis],
            images={"forest": charts.forest(obj, out_dir)},
        )
    index = out_dir / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
