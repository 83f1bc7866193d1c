"""The coach in Slack: Bolt listeners that turn Slack payloads into use-case calls, Block Kit rendering of
the coach's replies, the courier for proactive sends, and the runtime that mounts it all (HTTP or Socket
Mode). Nothing outside this package imports Slack."""
