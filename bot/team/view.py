"""The team summary and the one-person view, built from standings (`bot.team.roster`): heatmap cells, the
biggest gaps, who needs attention and the coaching actions to suggest, grouped by direct report when the
team is large. Pure functions of data already loaded, so the chat, the digest and the CSV agree."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from bot.lessons.answers import FEEDBACK
from bot.replies import (
    AnswerTally,
    Button,
    Choice,
    Engagement,
    HeatCell,
    LevelCounts,
    MemberLine,
    Moment,
    PersonDetail,
    Phrase,
    TeamGroup,
    TeamSummary,
    Text,
)
from bot.team.roster import Standing
from bot.team.text import ACTIVE_DAYS, detail_text, last_seen, summary_text
from bot.team.text import standing as cell_standing
from store.groups import GivenFeedback, RecentAnswer

GROUP_ABOVE = 15
"""Teams larger than this are shown grouped, one line per group, each with a button that opens the group's own
summary person by person: by direct report when there are managers among them; a flat team by role, and a
role of more than this many people by ranges of names (`flat_groups`)."""
LIST_LIMIT = 150
"""Above this many people the heatmap image is not drawn (a picture of hundreds of rows helps nobody): the
attached CSV has everyone."""
MAX_GAPS = 5
GROUP_GAPS = 2
"""How many of its biggest gaps a group's line names."""
MAX_ATTENTION = 8
MAX_ACTIONS = 5
MAX_NUDGES = 2
RATINGS = dict(FEEDBACK)
"""A rating as the learner pressed it on the lesson card."""


@dataclass(frozen=True)
class Org:
    """Who reports to whom inside the team. `root` is the manager whose team it is; `manager_of` has each
    member's manager, and also that of everyone between a member and the root who has left the org chart
    (`left`: their names). People who reported to a leaver stay in the team, under the leaver's place."""

    root: int
    manager_of: dict[int, int | None]
    left: dict[int, str] = field(default_factory=dict)

    def head_of(self, person_id: int) -> int:
        """The person right below the root on the way up from this one, whose group they belong to:
        themselves for someone reporting to the root, a direct report, or a leaver who was one (or the
        person themselves when their chain never reaches the root)."""
        head = self._heads.get(person_id)
        return person_id if head is None else head

    @cached_property
    def _heads(self) -> dict[int, int | None]:
        """Everyone's head, found in one pass: each walk up the chain stops at someone reporting to the root
        or at someone already placed, and places everyone it passed, so the whole team costs time in
        proportion to its size, not size × depth."""
        heads: dict[int, int | None] = {}
        for start in self.manager_of:
            path: list[int] = []
            current: int | None = start
            head: int | None = None
            while current is not None and current in self.manager_of and len(path) <= len(self.manager_of):
                if current in heads:
                    head = heads[current]
                    break
                path.append(current)
                if self.manager_of[current] == self.root:
                    head = current
                    break
                current = self.manager_of[current]
            heads.update(dict.fromkeys(path, head))
        return heads


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def columns(standings: list[Standing], names: dict[str, str]) -> list[Choice]:
    """Competencies that anyone in the team has a target for, by name."""
    wanted = {row.competency_id for s in standings for row in s.rows if row.target}
    return [Choice(c, names.get(c, c)) for c in sorted(wanted, key=lambda c: names.get(c, c).lower())]


def member_line(standing: Standing, competencies: list[Choice], names: dict[str, str]) -> MemberLine:
    cells: list[HeatCell | None] = []
    for competency in competencies:
        row = standing.row(competency.value)
        cells.append(HeatCell(row.level, row.target, row.mastery, answered=row.attempts > 0) if row else None)
    focus = [names.get(c, c) for c, t in standing.ctx.targets.items() if t.source == "focus"]
    return MemberLine(
        person_id=standing.id, name=standing.person.name, email=standing.person.email, cells=cells,
        engagement=standing.engagement, quiet=standing.quiet,
        falling=[names.get(c, c) for c in standing.falling], focus=sorted(focus),
    )


def summary(manager: str, standings: list[Standing], org: Org, names: dict[str, str], now: datetime, zone: str, *,
            scope: str = "", roles: dict[str, str] | None = None) -> TeamSummary:
    """The whole team (or, with `scope`, one group of it, person by person): grouped when it is large (by
    direct report, or a flat team by role and name range: `roles` names the roles), with gaps, attention and
    actions. Everyone is in exactly one group. Its dates are in the reader's `zone`."""
    competencies = columns(standings, names)
    lines = {s.id: member_line(s, competencies, names) for s in standings}
    heads = {s.id: org.head_of(s.id) for s in standings}
    large = not scope and len(standings) > GROUP_ABOVE
    grouped = large and any(head != member for member, head in heads.items())
    flat = large and not grouped
    if flat:
        groups = [group_of([lines[s.id] for s in members], competencies, now, naming=(title, title, False),
                         opens={"f": key})
                  for key, title, members in flat_groups(standings, roles or {})]
    elif grouped:
        by_head: dict[int, list[MemberLine]] = defaultdict(list)
        for member, head in heads.items():
            by_head[head].append(lines[member])
        named = {member: line.name for member, line in lines.items()}
        groups = sorted((group_of(members, competencies, now, head=head, naming=_naming(org, named, head))
                         for head, members in by_head.items()), key=group_order)
    else:
        groups = [group_of(list(lines.values()), competencies, now)]
    assert sum(g.people for g in groups) == len(standings), "everyone is in exactly one group"
    grouped = grouped or flat
    notes = attention(standings, names, now, zone)
    result = TeamSummary(
        manager=manager, competencies=competencies, groups=groups, grouped=grouped,
        listed=not grouped and (bool(scope) or len(standings) <= LIST_LIMIT), gaps=gaps(standings, competencies),
        attention=notes[:MAX_ATTENTION], attention_more=max(0, len(notes) - MAX_ATTENTION),
        actions=actions(standings, competencies), text="", as_of=now, scope=scope, zone=zone,
    )
    if scope:
        result.actions.append(Button("Back to the team", "team_summary", {}))
    result.note = _where_everyone_is(result)
    result.text = summary_text(result, now)
    return result


def flat_groups(standings: list[Standing], roles: dict[str, str]) -> list[tuple[str, str, list[Standing]]]:
    """A flat team in groups of at most GROUP_ABOVE, as (key, title, members): one group per role, and a role
    with more people than that cut into ranges of names ("Buyer: Ada Ames – Fay Fox"), so one screen holds
    any team. The key names the group for its Show button; the same team always gives the same keys."""
    by_role: dict[str, list[Standing]] = defaultdict(list)
    for standing in standings:
        by_role[standing.person.role_id or ""].append(standing)
    groups = []
    for role, members in sorted(by_role.items(), key=lambda item: roles.get(item[0], item[0] or "~").lower()):
        label = roles.get(role, role) if role else "No role set"
        members.sort(key=lambda s: (s.person.name.lower(), s.id))
        if len(members) <= GROUP_ABOVE:
            groups.append((f"{role}:0", label, members))
            continue
        parts = -(-len(members) // GROUP_ABOVE)
        size = -(-len(members) // parts)
        for part, start in enumerate(range(0, len(members), size)):
            chunk = members[start:start + size]
            groups.append((f"{role}:{part}", f"{label}: {chunk[0].person.name} – {chunk[-1].person.name}", chunk))
    return groups


def flat_group_summary(manager: str, standings: list[Standing], org: Org, key: str, names: dict[str, str],
                       roles: dict[str, str], now: datetime, zone: str) -> TeamSummary | None:
    """The flat group `key` (as the whole team's summary shows it) person by person, or None when the team
    shows no such group (no longer flat, or a forged key)."""
    if len(standings) <= GROUP_ABOVE or any(org.head_of(s.id) != s.id for s in standings):
        return None
    found = next(((title, members) for k, title, members in flat_groups(standings, roles) if k == key), None)
    if found is None:
        return None
    title, members = found
    return summary(manager, members, org, names, now, zone, scope=title)


def _where_everyone_is(view: TeamSummary) -> str:
    """What the reply shows, and where the rest is, in one sentence (empty when everyone is listed here)."""
    if view.listed:
        return ""
    files = ("the attached heatmap image and spreadsheet have" if view.people <= LIST_LIMIT
             else "the attached spreadsheet has")
    if view.grouped:
        return (f"Each group is one line here: press its Show button to see its people one by one; {files} "
                f"all {view.people} people, competency by competency.")
    return f"{view.people} people are too many to list here one by one: {files} everyone."


def _naming(org: Org, names: dict[int, str], head: int) -> tuple[str, str, bool]:
    """(lead, heading, left) of the group of `head`: a member (`names`: the team's names) or a leaver."""
    if head not in names and head in org.left:
        return org.left[head], group_title(org.left[head], left=True), True
    return names[head], group_title(names[head], left=False), False


def group_title(name: str, *, left: bool) -> str:
    """"Ana Lead's group", or "Reporting to Lee Left (left)" for the group of someone who left the org chart."""
    return f"Reporting to {name} (left)" if left else f"{name}'s group"


def group_order(group: TeamGroup) -> tuple[bool, str, int]:
    """Groups in the order every view lists them: by name, groups of leavers last."""
    return group.left, group.lead.lower(), group.key or 0


def show_button(title: str, value: dict[str, int] | dict[str, str]) -> Button:
    return Button(f"Show {title}"[:75], "team_group", value)


def group_of(members: list[MemberLine], competencies: list[Choice], now: datetime, *, head: int | None = None,
           naming: tuple[str, str, bool] = ("", "", False), opens: dict[str, str] | None = None) -> TeamGroup:
    """One group's totals; with `head`, named after them (`naming`) with a button that opens it (or with
    `opens`, the button's value for a group of a flat team)."""
    lead, title, left = naming
    value: dict[str, int] | dict[str, str] | None = {"g": head} if head is not None else opens
    levels = [level_counts(m.cells[i] for m in members) for i in range(len(competencies))]
    members = sorted(members, key=lambda m: (m.person_id != head, m.name.lower()))
    since = now - timedelta(days=ACTIVE_DAYS)
    return TeamGroup(
        lead=lead, members=members, answered_7=sum(m.engagement.answered_7 for m in members),
        answered_30=sum(m.engagement.answered_30 for m in members), below=[c.below for c in levels],
        quiet=sum(m.quiet for m in members), key=head, title=title, left=left,
        below_people=sum(1 for m in members if any(c is not None and c.status == "below" for c in m.cells)),
        active_7=sum(1 for m in members if m.engagement.answered_7),
        needs_attention=[m.name for m in members if m.quiet or m.falling],
        show=None if value is None else show_button(title, value), levels=levels,
        active_14=sum(1 for m in members if (last := m.engagement.last_active) is not None and since <= last <= now),
        gaps=group_gaps(levels, competencies),
    )


def level_counts(cells: Iterable[HeatCell | None]) -> LevelCounts:
    """One competency column of a group, counted: met / one below / two or more below / no answers yet (cells
    without a target are not counted)."""
    kinds = Counter(cell_standing(cell) for cell in cells)
    return LevelCounts(met=kinds["met"], near=kinds["near"], far=kinds["far"], new=kinds["new"])


def group_gaps(levels: list[LevelCounts], competencies: list[Choice]) -> list[str]:
    """A group's biggest gaps for its line: "Purchase approvals 3 below"."""
    ranked = sorted((c for c in zip(levels, competencies, strict=True) if c[0].below),
                    key=lambda c: (-c[0].below, c[1].label.lower()))
    return [f"{choice.label} {counts.below} below" for counts, choice in ranked[:GROUP_GAPS]]


def gaps(standings: list[Standing], competencies: list[Choice]) -> list[str]:
    """The competencies with the most people below target (see `gap_lines`)."""
    return gap_lines([level_counts(HeatCell(r.level, r.target, r.mastery, answered=r.attempts > 0)
                                   if (r := s.row(c.value)) is not None else None for s in standings)
                      for c in competencies], competencies)


def gap_lines(totals: list[LevelCounts], competencies: list[Choice]) -> list[str]:
    """The competencies with the most people below target: "3 of 5 below target in Purchase approvals".
    Only people with answers in it count: before the first answer a level is the model's guess, not a gap."""
    counted = [(t.below, t.answered, t.new, c.label) for t, c in zip(totals, competencies, strict=True) if t.below]
    counted.sort(key=lambda t: (-t[0], -t[0] / t[1], t[3]))
    return [f"{below} of {total} below target in {label}" + (f" ({new} more with no answers yet)" if new else "")
            for below, total, new, label in counted[:MAX_GAPS]]


def attention(standings: list[Standing], names: dict[str, str], now: datetime, zone: str) -> list[Text]:
    """People who have gone quiet, and people whose mastery is falling, by name (a day in the reader's
    `zone`)."""
    notes: list[Text] = []
    for standing in sorted(standings, key=lambda s: s.person.name.lower()):
        if standing.quiet:
            notes.append(f"{standing.person.name} — " + quiet_phrase(standing.engagement, now, zone))
        for competency, (before, after) in sorted(standing.falling.items()):
            notes.append(f"{standing.person.name} — mastery falling in {names.get(competency, competency)} "
                         f"({before:.0%} → {after:.0%} over 30 days)")
    return notes


def quiet_phrase(engagement: Engagement, now: datetime, zone: str) -> Text:
    if engagement.last_active is None:
        return "hasn't answered a lesson yet"
    return "no lesson answered since " + last_seen(engagement.last_active, now, zone)


def button_names(standings: list[Standing]) -> dict[int, str]:
    """First names on the buttons, unless two people in the team share one (two Bens): then full names, so
    that a manager never nudges the wrong one."""
    first = {s.id: first_name(s.person.name) for s in standings}
    shared = Counter(name.casefold() for name in first.values())
    return {s.id: first[s.id] if shared[first[s.id].casefold()] == 1 else s.person.name for s in standings}


def actions(standings: list[Standing], competencies: list[Choice]) -> list[Button]:
    """Nudges for the quiet, then a focus for whoever is furthest below in each falling or gapped competency."""
    called = button_names(standings)
    buttons = [Button(f"Nudge {called[s.id]}"[:75], "team_nudge", {"p": s.id})
               for s in sorted(standings, key=lambda s: s.person.name.lower()) if s.quiet][:MAX_NUDGES]
    wanted: list[tuple[Standing, str, str]] = []
    for standing in standings:
        for competency in standing.falling:
            label = next((c.label for c in competencies if c.value == competency), competency)
            wanted.append((standing, competency, label))
    for competency in sorted(competencies, key=lambda c: -_below(standings, c.value)):
        furthest = max((s for s in standings if _gap(s, competency.value) > 0),
                       key=lambda s: (_gap(s, competency.value), -s.id), default=None)
        if furthest is not None:
            wanted.append((furthest, competency.value, competency.label))
    seen: set[tuple[int, str]] = set()
    for standing, competency, label in wanted:
        target = standing.ctx.targets.get(competency)
        if (standing.id, competency) in seen or (target is not None and target.source == "focus"):
            continue
        seen.add((standing.id, competency))
        buttons.append(Button(f"Focus {called[standing.id]} on {label}"[:75], "team_focus",
                              {"p": standing.id, "c": competency}, "primary"))
    return buttons[:MAX_ACTIONS]


def _gap(standing: Standing, competency: str) -> int:
    """How far below target the person is, on their answers (0 before any: no evidence, no gap)."""
    row = standing.row(competency)
    return max(0, row.target - row.level) if row and row.target and row.attempts else 0


def _below(standings: list[Standing], competency: str) -> int:
    return sum(1 for s in standings if _gap(s, competency) > 0)


def detail(standing: Standing, role: str, answers: list[RecentAnswer], feedback: list[GivenFeedback],
           names: dict[str, str], now: datetime, zone: str, *, heading: str, with_actions: bool) -> PersonDetail:
    """One person: levels against targets, answers of the last weeks by competency, feedback they gave (each
    on its day, a `Moment` in the reader's `zone`)."""
    tallies: dict[str, AnswerTally] = {}
    for answer in answers:
        tally = tallies.setdefault(answer.competency, AnswerTally(names.get(answer.competency, answer.competency),
                                                                  0, 0, []))
        tally.answered += 1
        tally.correct += bool(answer.correct)
        if answer.lesson_title not in tally.lessons:
            tally.lessons.append(answer.lesson_title)
    buttons: list[Button] = []
    if with_actions:
        if standing.quiet:
            buttons.append(Button(f"Nudge {first_name(standing.person.name)}", "team_nudge", {"p": standing.id}))
        gaps_here = sorted((r for r in standing.rows if r.target > r.level and r.why != "focus"),
                           key=lambda r: (not r.attempts, r.level - r.target, r.name))
        buttons += [Button(f"Focus on {r.name}"[:75], "team_focus", {"p": standing.id, "c": r.competency_id},
                           "primary") for r in gaps_here[:3]]
        buttons.append(Button("Back to the team", "team_summary", {}))
    result = PersonDetail(
        person_id=standing.id, name=standing.person.name, email=standing.person.email, role=role,
        rows=standing.rows, engagement=standing.engagement,
        recent=sorted(tallies.values(), key=lambda t: (-t.answered, t.competency)),
        feedback=[Phrase.of(f"{RATINGS.get(f.rating, f.rating)} — {f.lesson_title} (",
                            Moment(f.created_at, zone, day=True), ")") for f in feedback],
        attention=attention([standing], names, now, zone), actions=buttons, text="", zone=zone,
    )
    result.text = detail_text(result, heading, now)
    return result
