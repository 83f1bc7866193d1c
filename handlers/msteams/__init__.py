"""Microsoft Teams: the coach over the Bot Framework (botbuilder 4.17), kept thin on purpose.

The SDK is archived upstream; everything that touches it lives in this folder, so a move to the Microsoft
365 Agents SDK changes nothing outside it. `runtime.attach_teams` wires the pieces into `coach serve`.
"""

PLATFORM = "teams"
"""The platform's name in the store (chat identities, pending contacts) and in deliveries."""
