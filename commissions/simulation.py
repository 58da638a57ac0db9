"""Preview of a draft rule: recent bookings quoted with the draft and with the live rules.

Bookings belong to the marketplace, which this app does not import: the marketplace
registers a *line source* (``register_line_source``) that yields the engine's ``Line``s
of a territory's recent bookings. With no source, or no booking, the simulation says so.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils import timezone

from commissions.engine import Line, quote

LineSource = Callable[..., Iterable[Line]]
_line_sources: list[LineSource] = []
DEFAULT_DAYS = 90


def register_line_source(source: LineSource) -> LineSource:
    """Register ``source(*, site, since: date) -> Iterable[Line]``; usable as a decorator."""
    if source not in _line_sources:
        _line_sources.append(source)
    return source


@dataclass
class Simulation:
    days: int
    bookings: int = 0
    live_commission: int = 0
    draft_commission: int = 0
    live_by_beneficiary: Counter = field(default_factory=Counter)
    draft_by_beneficiary: Counter = field(default_factory=Counter)
    live_by_category: Counter = field(default_factory=Counter)
    draft_by_category: Counter = field(default_factory=Counter)
    by_provider: Counter = field(default_factory=Counter)  # draft − live, per provider

    @property
    def difference(self) -> int:
        return self.draft_commission - self.live_commission

    def beneficiary_rows(self):
        keys = sorted(set(self.live_by_beneficiary) | set(self.draft_by_beneficiary))
        return [(k, self.live_by_beneficiary[k], self.draft_by_beneficiary[k]) for k in keys]

    def category_rows(self):
        keys = sorted(set(self.live_by_category) | set(self.draft_by_category))
        return [(k, self.live_by_category[k], self.draft_by_category[k]) for k in keys]

    def most_affected_providers(self, n: int = 10):
        return sorted(self.by_provider.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:n]


def lines_for(*, site, since: dt.date) -> list[Line]:
    lines: list[Line] = []
    for source in _line_sources:
        lines.extend(source(site=site, since=since))
    return lines


def simulate(*, lines: Iterable[Line], draft_spec, live_specs, days: int) -> Simulation:
    """Quote each line with the live rules, and with the draft replacing its live version."""
    draft_set = [s for s in live_specs if s.key != draft_spec.key] + [draft_spec]
    result = Simulation(days=days)
    for line in lines:
        live = quote(line, live_specs)
        draft = quote(line, draft_set)
        result.bookings += 1
        result.live_commission += live.commission
        result.draft_commission += draft.commission
        result.live_by_beneficiary.update(live.allocations)
        result.draft_by_beneficiary.update(draft.allocations)
        category = line.categories[0] if line.categories else ""
        result.live_by_category[category] += live.commission
        result.draft_by_category[category] += draft.commission
        if draft.commission != live.commission:
            result.by_provider[line.provider] += draft.commission - live.commission
    return result


def rule_simulate(*, draft, site, days: int = DEFAULT_DAYS) -> Simulation:
    """Simulate ``draft`` (a CommissionRule, possibly unsaved) over the last ``days`` days."""
    from commissions.selectors import live_rule_specs

    since = timezone.localdate() - dt.timedelta(days=days)
    return simulate(
        lines=lines_for(site=site, since=since),
        draft_spec=draft.to_spec(),
        live_specs=live_rule_specs(site_id=site.pk, use_cache=False),
        days=days,
    )
