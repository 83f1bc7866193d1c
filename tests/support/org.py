"""A small sample org for tests: a director, two managers and their reports."""

from __future__ import annotations

from pathlib import Path

from bot.imports.org_chart import import_org_chart
from store.db import Database
from store.people import person_by_email

SAMPLE_ORG = """\
email,name,manager_email,role,timezone,slack_user_id,teams_user_id
dana@example.com,Dana Director,,people-manager,Europe/Berlin,UDANA,
mia@example.com,Mia Manager,dana@example.com,people-manager,Europe/Berlin,UMIA,29:mia
omar@example.com,Omar Owner,dana@example.com,people-manager,America/New_York,UOMAR,
ben@example.com,Ben Buyer,mia@example.com,buyer,Europe/Berlin,UBEN,29:ben
cara@example.com,Cara Agent,mia@example.com,call-centre-agent,Europe/London,UCARA,
eli@example.com,Eli Operator,mia@example.com,shop-floor-operator,Europe/Berlin,UELI,
fay@example.com,Fay Newhire,omar@example.com,new-hire,America/New_York,UFAY,
gus@example.com,Gus Agent,omar@example.com,call-centre-agent,America/Chicago,,
"""


async def load_sample_org(database: Database, tmp_path: Path, text: str = SAMPLE_ORG) -> dict[str, int]:
    """Import the org chart; returns email -> person id."""
    path = tmp_path / "org.csv"
    path.write_text(text)
    await import_org_chart(database, path)
    ids = {}
    async with database.session() as session:
        for line in text.splitlines()[1:]:
            email = line.split(",")[0]
            person = await person_by_email(session, email)
            assert person is not None and person.id is not None
            ids[email] = person.id
    return ids


def sixty_people() -> list[str]:
    """The org chart's lines for a manager (Bea Boss) with five leads of eleven buyers each."""
    lines = ["email,name,manager_email,role,timezone", "boss@example.com,Bea Boss,,people-manager,Europe/Paris"]
    for lead in range(5):
        lines.append(f"lead{lead}@example.com,Lead {lead},boss@example.com,team-lead,Europe/Paris")
        lines += [f"p{lead}x{n}@example.com,Person {lead}x{n:02d},lead{lead}@example.com,buyer,Europe/Paris"
                  for n in range(11)]
    return lines
