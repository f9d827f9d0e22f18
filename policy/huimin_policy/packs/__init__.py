"""The dated, cited policy packs (the national notice and each city's) and their pure model."""
