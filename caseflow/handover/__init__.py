"""handover stage."""
