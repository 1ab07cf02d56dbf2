"""Junction shared mechanisms: no service's domain logic lives here."""
