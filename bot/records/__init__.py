"""Learning records and summaries out of the coach: CSV files, xAPI 1.0.3 statements, and a Learning Record
Store client."""
