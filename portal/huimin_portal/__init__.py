"""The community portal (社区门户): server-rendered pages on the three huimin APIs, holding no data."""
