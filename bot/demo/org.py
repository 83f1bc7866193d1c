"""The demo's sample org: a director, two managers and a dozen (or `learners`) employees in several roles."""

from __future__ import annotations

import random

FIRST = ["Ava", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jon", "Kim", "Lea", "Max", "Noor",
         "Olu", "Pia", "Raj", "Sol", "Tom", "Uma", "Vic", "Wen", "Yas", "Zoe"]
LAST = ["Okafor", "Schmidt", "Rossi", "Nakamura", "Silva", "Novak", "Haddad", "Kowalski", "Moreau", "Lindqvist",
        "Mensah", "Garcia", "Ivanova", "Chen", "Dubois", "Jensen"]
ROLES = ["buyer", "call-centre-agent", "shop-floor-operator", "new-hire", "buyer", "call-centre-agent",
         "team-lead", "shop-floor-operator", "new-hire", "call-centre-agent", "buyer", "shop-floor-operator"]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York"]
DIRECTOR = "dana.director@example.com"
MANAGERS = ["mia.manager@example.com", "omar.manager@example.com"]


def sample_org(learners: int, rng: random.Random) -> tuple[str, list[tuple[str, str, str]]]:
    """The org chart CSV and the employees as (email, name, role)."""
    rows = ["email,name,manager_email,role,timezone",
            f"{DIRECTOR},Dana Director,,people-manager,Europe/Berlin",
            f"{MANAGERS[0]},Mia Manager,{DIRECTOR},people-manager,Europe/Berlin",
            f"{MANAGERS[1]},Omar Manager,{DIRECTOR},people-manager,America/New_York"]
    employees = []
    names = rng.sample([(f, s) for f in FIRST for s in LAST], learners)
    for index, (first, last) in enumerate(names):
        email = f"{first.lower()}.{last.lower()}@example.com"
        role = ROLES[index % len(ROLES)]
        manager = MANAGERS[index % 2]
        zone = ZONES[0] if manager == MANAGERS[0] else ZONES[1 + index % 2]
        rows.append(f"{email},{first} {last},{manager},{role},{zone}")
        employees.append((email, f"{first} {last}", role))
    return "\n".join(rows) + "\n", employees
