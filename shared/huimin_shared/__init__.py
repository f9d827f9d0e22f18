"""Code every huimin service uses. No service's business rules and no ORM models live here."""
