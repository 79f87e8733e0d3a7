"""Users, organisations, roles, login sessions and permission predicates."""
